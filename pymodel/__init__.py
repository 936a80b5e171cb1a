"""accelscope Python package: golden models, compilers and reports."""

from pymodel.errors import AccelscopeError

__all__ = ["AccelscopeError"]
__version__ = "0.1.0"
