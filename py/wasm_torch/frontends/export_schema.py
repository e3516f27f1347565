"""Structural checks of a serialized ExportedProgram (models/<name>.json) before conversion.

The JSON is untrusted. Checking the types of everything the converter reads, once and up front,
turns a malformed or hostile file into one FormatError naming the field, and lets the converter
read the program without defensive checks at every step. Only the structure is checked here;
meaning (known ops, shapes, symbols) is the converter's job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import FormatError

# Bound on subgraph nesting (cond inside cond ...): real programs nest a few levels.
MAX_DEPTH = 32

Check = Callable[[Any, str], None]


def check_program(program: Any, where: str) -> None:
    """Raise FormatError unless `program` has the structure the converter relies on."""
    _dict(program, where)
    gm = _field(program, "graph_module", where, _dict)
    _graph(gm.get("graph"), f"{where}: graph_module.graph", 0)
    sig = _field(gm, "signature", where, _dict)
    for key in ("input_specs", "output_specs"):
        _list_of(sig.get(key), f"{where}: signature.{key}", _spec)
    ranges = program.get("range_constraints") or {}
    _dict(ranges, f"{where}: range_constraints")
    for k, v in ranges.items():
        _dict(v, f"{where}: range_constraints[{k!r}]")
        for bound in ("min_val", "max_val"):
            if not (v.get(bound) is None or _is_int(v.get(bound))):
                raise FormatError(f"{where}: range_constraints[{k!r}].{bound} is not an integer")


def _fail(where: str, what: str) -> FormatError:
    return FormatError(f"{where}: {what}")


def _dict(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _fail(where, f"expected an object, found {type(v).__name__}")
    return v


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list):
        raise _fail(where, f"expected a list, found {type(v).__name__}")
    return v


def _field(obj: dict[str, Any], key: str, where: str, check: Callable[[Any, str], Any]) -> Any:
    return check(obj.get(key), f"{where}: {key}")


def _list_of(v: Any, where: str, check: Check) -> None:
    for i, item in enumerate(_list(v, where)):
        check(item, f"{where}[{i}]")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(v: Any, where: str) -> None:
    if not isinstance(v, str):
        raise _fail(where, "expected a string")


def _int(v: Any, where: str) -> None:
    if not _is_int(v):
        raise _fail(where, "expected an integer")


def _float(v: Any, where: str) -> None:
    if not (isinstance(v, (int, float)) and not isinstance(v, bool)) and v not in ("Infinity", "-Infinity", "NaN"):
        raise _fail(where, "expected a number")


def _bool(v: Any, where: str) -> None:
    if not isinstance(v, bool):
        raise _fail(where, "expected a boolean")


def _named(v: Any, where: str) -> None:
    _str(_dict(v, where).get("name"), f"{where}.name")


def _anything(v: Any, where: str) -> None:
    return None


def union(v: Any, where: str, kinds: dict[str, Check]) -> tuple[str, Any]:
    """The (kind, value) of a one-key union object, its value checked by `kinds[kind]`."""
    if not isinstance(v, dict) or len(v) != 1:
        raise _fail(where, "expected a one-key union object")
    kind, value = next(iter(v.items()))
    if kind not in kinds:
        raise _fail(where, f"unknown kind {kind!r}")
    kinds[kind](value, f"{where}.{kind}")
    return kind, value


def _union_check(kinds: dict[str, Check]) -> Check:
    def check(v: Any, where: str) -> None:
        union(v, where, kinds)

    return check


def _list_check(item: Check) -> Check:
    return lambda v, where: _list_of(v, where, item)


_SYM_INT = _union_check({"as_name": _str, "as_int": _int})
_SYM_BOOL = _union_check({"as_name": _str, "as_bool": _bool})
_SYM_FLOAT = _union_check({"as_name": _str, "as_float": _float})
_OPTIONAL_TENSOR = _union_check({"as_tensor": _named, "as_none": _anything})


def _hint(v: Any, where: str) -> None:
    if v is not None:
        _union_check({"as_int": _int, "as_bool": _bool, "as_float": _float})(v, where)


def _expr(v: Any, where: str) -> None:
    _str(_dict(v, where).get("expr_str"), f"{where}.expr_str")
    _hint(v.get("hint"), f"{where}.hint")


_SYM_SIZE = _union_check({"as_int": _int, "as_expr": _expr})
_SYM_VALUE = _union_check({"as_int": _int, "as_bool": _bool, "as_float": _float, "as_expr": _expr})


def _device(v: Any, where: str) -> None:
    _str(_dict(v, where).get("type"), f"{where}.type")
    if v.get("index") is not None:
        _int(v["index"], f"{where}.index")


def _complex(v: Any, where: str) -> None:
    _float(_dict(v, where).get("real"), f"{where}.real")
    _float(v.get("imag"), f"{where}.imag")


def _graph_arg(v: Any, where: str, depth: int) -> None:
    _str(_dict(v, where).get("name"), f"{where}.name")
    _graph(v.get("graph"), f"{where}.graph", depth + 1)


def _argument_kinds(depth: int) -> dict[str, Check]:
    return {
        "as_none": _anything, "as_tensor": _named, "as_tensors": _list_check(_named),
        "as_int": _int, "as_ints": _list_check(_int), "as_float": _float, "as_floats": _list_check(_float),
        "as_string": _str, "as_strings": _list_check(_str), "as_bool": _bool, "as_bools": _list_check(_bool),
        "as_sym_int": _SYM_INT, "as_sym_ints": _list_check(_SYM_INT),
        "as_sym_bool": _SYM_BOOL, "as_sym_bools": _list_check(_SYM_BOOL),
        "as_sym_float": _SYM_FLOAT, "as_sym_floats": _list_check(_SYM_FLOAT),
        "as_scalar_type": _int, "as_memory_format": _int, "as_layout": _int, "as_device": _device,
        "as_optional_tensor": _OPTIONAL_TENSOR, "as_optional_tensors": _list_check(_OPTIONAL_TENSOR),
        "as_complex": _complex, "as_int_lists": _list_check(_list_check(_int)),
        "as_float_lists": _list_check(_list_check(_float)),
        "as_graph": lambda v, where: _graph_arg(v, where, depth),
        # Refused by the converter with UnsupportedError; their contents are never read.
        "as_custom_obj": _anything, "as_operator": _anything, "as_nested_tensors": _anything,
        "as_string_to_argument": _anything,
    }


def _tensor_meta(v: Any, where: str) -> None:
    _int(_dict(v, where).get("dtype"), f"{where}.dtype")
    _list_of(v.get("sizes"), f"{where}.sizes", _SYM_SIZE)
    if "strides" in v:
        _list_of(v["strides"], f"{where}.strides", _SYM_SIZE)


def _node(v: Any, where: str, depth: int) -> None:
    _dict(v, where)
    _str(v.get("target"), f"{where}.target")
    where = f"{where} ({v['target']})"
    if v.get("name") is not None:
        _str(v["name"], f"{where}.name")
    argument = _union_check(_argument_kinds(depth))
    for i, inp in enumerate(_list(v.get("inputs"), f"{where}.inputs")):
        _str(_dict(inp, f"{where}.inputs[{i}]").get("name"), f"{where}.inputs[{i}].name")
        argument(inp.get("arg"), f"{where}.inputs[{i}].arg")
    _list_of(v.get("outputs"), f"{where}.outputs", argument)
    metadata = v.get("metadata") or {}
    for key, value in _dict(metadata, f"{where}.metadata").items():
        _str(value, f"{where}.metadata.{key}")


def _graph(v: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _fail(where, f"subgraphs nested more than {MAX_DEPTH} deep")
    _dict(v, where)
    argument = _union_check(_argument_kinds(depth))
    _list_of(v.get("inputs"), f"{where}.inputs", argument)
    _list_of(v.get("outputs"), f"{where}.outputs", argument)
    _list_of(v.get("nodes"), f"{where}.nodes", lambda n, w: _node(n, w, depth))
    for key, check in (("tensor_values", _tensor_meta), ("sym_int_values", _SYM_VALUE),
                       ("sym_bool_values", _SYM_VALUE), ("sym_float_values", _SYM_VALUE)):
        for name, value in _dict(v.get(key) or {}, f"{where}.{key}").items():
            check(value, f"{where}.{key}[{name!r}]")


def _state_spec(name_key: str) -> Check:
    def check(v: Any, where: str) -> None:
        _named(_dict(v, where).get("arg"), f"{where}.arg")
        _str(v.get(name_key), f"{where}.{name_key}")

    return check


def _arg_spec(v: Any, where: str) -> None:
    _union_check(_argument_kinds(0))(_dict(v, where).get("arg"), f"{where}.arg")


def _constant_input(v: Any, where: str) -> None:
    _str(_dict(v, where).get("name"), f"{where}.name")
    _union_check({"as_none": _anything, "as_int": _int, "as_float": _float, "as_string": _str,
                  "as_bool": _bool})(v.get("value"), f"{where}.value")


_spec = _union_check({
    "user_input": _arg_spec, "user_output": _arg_spec, "loss_output": _arg_spec,
    "parameter": _state_spec("parameter_name"), "buffer": _state_spec("buffer_name"),
    "tensor_constant": _state_spec("tensor_constant_name"), "constant_input": _constant_input,
    "buffer_mutation": _dict, "parameter_mutation": _dict, "user_input_mutation": _dict,
    "gradient_to_parameter": _dict, "gradient_to_user_input": _dict, "custom_obj": _dict,
    "token": _dict,
})
