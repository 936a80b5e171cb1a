"""The one exception type users see: a clear message naming what and where."""


class AccelscopeError(Exception):
    """Bad input (firmware, images, records, models, command lines)."""
