"""JSON Schemas (draft 2020-12) of the two hand-written input formats, checked with `jsonschema`:
the evaluation scenario (docs/deploy.md) and the bundle manifest (docs/bundle.md).

Types, ranges and the allowed keys at every level are here; the cross-field rules a schema
cannot express (memories distinct and not overlapping, map windows not overlapping, the
hardware section forming a buildable accel_top, the simulator being registered) are checked
by the loaders after the schema. `validate` turns the first error into one line naming the
file and the key path, e.g. `s.json: hardware.array: 3 is not one of [2, 4, 8, 16]`.
"""

from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from typing import Any

from pymodel.errors import AccelscopeError
from pymodel.lebug.config import LebugConfig
from pymodel.systolic.config import SystolicConfig

INT = {"type": "integer"}
NAT = {"type": "integer", "minimum": 0}
WORD32 = {"type": "integer", "minimum": 0, "maximum": 0xFFFFFFFF}


def _obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """An object with exactly these keys allowed."""
    return {"type": "object", "properties": props, "required": required or [], "additionalProperties": False,
            **extra}


SCENARIO_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "accelscope evaluation scenario",
    **_obj({
        "dataset": _obj({"type": {"enum": ["digits"],
                                  "x-error": "not supported (digits: scikit-learn's bundled set)"}}, ["type"]),
        "model": _obj({"path": {"type": "string", "pattern": r"\.(onnx|json)$",
                                "x-error": "expected an .onnx or .json (+npz) file"}}, ["path"]),
        "quantization": _obj({"mode": {"enum": ["full_int8", "hybrid"]}}),
        # lebug: a named LeBug build (pymodel.top.config.LEBUG_BUILDS, docs/top.md "LeBug builds")
        "hardware": _obj({"array": {"enum": [2, 4, 8, 16]}, "lebug": {"enum": ["int16", "int32"]}}),
        "simulator": {"type": "string"},  # one of tb.runner's registry or "model" (checked by load_scenario)
        "samples": {"type": "integer", "minimum": 1},
        "batch": {"type": "integer", "minimum": 1},
    }, ["dataset", "model"]),
}


def _config_schema(cls: type) -> dict[str, Any]:
    """Every field of a config dataclass, an integer (ranges: the dataclass's own checks)."""
    return _obj({f.name: INT for f in fields(cls)})


def manifest_schema() -> dict[str, Any]:
    name = {"type": "string", "minLength": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "accelscope bundle manifest (accelscope-bundle/1)",
        **_obj({
            "schema": {"const": "accelscope-bundle/1"},
            "hardware": _obj({"systolic": _config_schema(SystolicConfig), "lebug": _config_schema(LebugConfig),
                              "tap_depth": {"type": "integer", "minimum": 2, "maximum": 65535}},
                             ["systolic", "lebug", "tap_depth"]),
            "map": {"type": "array", "items": _obj({
                "name": name, "base": NAT, "size": {"type": "integer", "minimum": 1},
                "kind": {"enum": ["memory", "registers"]}}, ["name", "base", "size", "kind"])},
            "memories": {"type": "array", "items": _obj({
                "name": name, "base": NAT, "width": {"type": "integer", "minimum": 1, "maximum": 1024},
                "depth": NAT, "capacity": {"type": "integer", "minimum": 1},
                "stride": {"type": "integer", "minimum": 4},
                "file": {"type": "string", "pattern": r"^[^./\\][^/\\]*$",
                         "x-error": "must be a plain name in the bundle (non-empty, no '/', not starting with '.')"},
            }, ["name", "base", "width", "depth", "capacity", "stride", "file"])},
            "registers": {"type": "array", "items": _obj({"name": name, "addr": NAT, "value": WORD32},
                                                         ["name", "addr", "value"])},
            "plan": {"type": "object"},  # the compiler's memory plan: informational
            # compiler metadata (docs/bundle.md, "Whole networks"): the input region the host writes
            # each batch into, where the logits are, and the model's cost figures (informational)
            "network": _obj({"layers": {"type": "array", "items": {"type": "string"}}, "batch": NAT,
                             "input": _obj({"memory": name, "base": NAT, "words": NAT,
                                            "layout": {"enum": ["packed", "tiled", "features"]},
                                            "shape": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                                            "row_words": {"type": "integer", "minimum": 1},
                                            "scale": {"type": "number", "exclusiveMinimum": 0},
                                            "embedded": NAT, "embedded_bank": NAT,
                                            "banks": {"type": "array", "items": NAT, "minItems": 1, "maxItems": 2}},
                                           ["memory", "base", "words", "layout", "shape", "row_words", "scale"]),
                             "output": _obj({"memory": name, "base": NAT, "stride": {"type": "integer", "minimum": 1},
                                             "rows": NAT, "cols": {"type": "integer", "minimum": 1},
                                             "shape": {"type": "array", "items": {"type": "integer", "minimum": 1}},
                                             "banks": {"type": "array", "items": NAT, "minItems": 1, "maxItems": 2},
                                             # int32 accumulators, or int8 (OUT8) packed 4 a chunk
                                             "dtype": {"enum": ["int32", "int8"]},
                                             # the host's dequantization, a factor per class
                                             "scale": {"type": "array",
                                                       "items": {"type": "number", "exclusiveMinimum": 0}}},
                                            ["memory", "base", "stride", "rows", "cols"]),
                             # per bank, the descriptor list its batches run (NUM_DESC.FIRST, COUNT)
                             "lists": {"type": "array", "minItems": 1, "maxItems": 2, "items": _obj(
                                 {"first": NAT, "count": {"type": "integer", "minimum": 1}}, ["first", "count"])},
                             "cost": {"type": "object"}}),
            "tap": _obj({"firmware": {"type": "string"}, "args": {"type": "object",
                                                                  "additionalProperties": INT}}),
            # bundle-relative file -> SHA-256 of its bytes (which files: checked by load_bundle)
            "sha256": {"type": "object", "additionalProperties": {
                "type": "string", "pattern": "^[0-9a-f]{64}$",
                "x-error": "must be a SHA-256 digest (64 lowercase hex digits)"}},
        }, ["schema", "hardware", "map", "memories", "registers"]),
    }


def _where(path: Any) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


_TYPES = {"object": "a JSON object", "array": "a JSON array", "integer": "an integer", "string": "a string"}


def _message(err: Any) -> str:
    inst, v, schema = err.instance, err.validator, err.schema
    shown = repr(inst) if len(repr(inst)) <= 40 else repr(inst)[:37] + "..."
    if "x-error" in schema and v in ("enum", "pattern"):
        return f"{shown}: {schema['x-error']}"
    if v == "additionalProperties":
        extra = sorted(set(inst) - set(err.schema.get("properties", {})))
        return f"unknown keys {extra}; allowed: {sorted(err.schema.get('properties', {}))}"
    if v == "required":
        missing = [k for k in err.validator_value if k not in inst]
        return f"missing field {missing[0]!r}"
    if v == "type":
        return f"expected {_TYPES.get(err.validator_value, err.validator_value)}, got {shown}"
    if v == "enum":
        return f"{shown} is not one of {err.validator_value}"
    if v == "const":
        return f"{shown}: expected {err.validator_value!r}"
    if v in ("minimum", "maximum", "minLength"):
        bound = {"minimum": ">=", "maximum": "<=", "minLength": "length >="}[v]
        return f"{shown} must be {bound} {err.validator_value}"
    return err.message


@lru_cache(maxsize=1)
def _validator() -> Any:
    """Draft 2020-12 with a strict "integer": JSON Schema counts 1.0 as an integer, Python code that
    slices or sizes with it does not, so a float is never an integer here."""
    from jsonschema import Draft202012Validator, validators

    strict = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
    return validators.extend(Draft202012Validator, type_checker=strict)


def validate(doc: Any, schema: dict[str, Any], where: str) -> None:
    """Raise AccelscopeError (one line: `where key.path: problem`) unless doc matches schema."""
    errors = list(_validator()(schema).iter_errors(doc))
    if not errors:
        return
    # the shallowest error first (a wrong section before its contents), then document order
    err = min(errors, key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]))
    loc = _where(err.absolute_path)
    raise AccelscopeError(f"{where}{' ' + loc if loc else ''}: {_message(err)}")


def dump(which: str) -> str:
    """The schema as indented JSON (docs/deploy.md and docs/bundle.md quote it)."""
    import json

    def fmt(v: Any, ind: str) -> str:
        one = json.dumps(v)
        if len(one) + len(ind) <= 100 or not isinstance(v, (dict, list)) or not v:
            return one
        inner = ind + "  "
        if isinstance(v, dict):
            items = [f"{inner}{json.dumps(k)}: {fmt(x, inner)}" for k, x in v.items()]
            return "{\n" + ",\n".join(items) + f"\n{ind}}}"
        return "[\n" + ",\n".join(inner + fmt(x, inner) for x in v) + f"\n{ind}]"

    schema = {"scenario": SCENARIO_SCHEMA, "manifest": manifest_schema()}[which]
    return fmt(schema, "")


if __name__ == "__main__":  # python -m pymodel.schemas scenario|manifest
    import sys

    print(dump(sys.argv[1] if len(sys.argv) > 1 else "scenario"))
