"""`KEY=INT,KEY=INT` parameter strings for the hardware-configuration dataclasses."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import TypeVar

from pymodel.errors import AccelscopeError

T = TypeVar("T")


def parse_params(cfg: T, text: str | None, label: str) -> T:
    """Return `cfg` with the integer fields named in `text` replaced; unknown keys are an error."""
    if not text:
        return cfg
    known = {f.name for f in fields(cfg)}  # type: ignore[arg-type]  # T is a config dataclass (unbound TypeVar)
    updates: dict[str, int] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, val = item.partition("=")
        key = key.strip()
        if not sep or key not in known:
            raise AccelscopeError(f"{label}: bad item {item!r}; expected KEY=INT with KEY in "
                                  f"{', '.join(sorted(known))}")
        try:
            updates[key] = int(val, 0)
        except ValueError:
            raise AccelscopeError(f"{label}: {key}={val!r} is not an integer") from None
    return replace(cfg, **updates)  # type: ignore[type-var]  # as above: T is a dataclass
