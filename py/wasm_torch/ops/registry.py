"""The op registry: one entry per canonical op (schema with defaults, shape/dtype inference,
numpy reference) and the lowerings that map frontend spellings (TorchScript calls, export
targets, core-ATen decompositions) onto canonical ops.

Schemas use ATen's own syntax, so frontends can bind TorchScript's positional calls and the
export JSON's named arguments the same way, with dropped defaults filled back in.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..dtypes import DTYPES
from ..errors import ShapeError, UnsupportedError, WasmTorchError
from ..ir import Graph, Ref, TensorMeta

_MISSING = object()


class A(dict):
    """Bound arguments with attribute access (`a.self`, `a.dim`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Arg:
    name: str
    type: str
    default: Any = _MISSING
    kwarg_only: bool = False

    @property
    def is_tensor(self) -> bool:
        return self.type.startswith("Tensor")


@dataclass
class Schema:
    name: str
    overload: str
    args: list[Arg]
    returns: list[str]

    @property
    def full_name(self) -> str:
        return f"{self.name}.{self.overload}" if self.overload else self.name

    def bind(self, positional: list[Any], keywords: dict[str, Any], where: str = "") -> A:
        """Bind a call to this schema, filling defaults; raise WasmTorchError on a mismatch."""
        out = A()
        pos_params = [a for a in self.args if not a.kwarg_only]
        if len(positional) > len(pos_params):
            raise WasmTorchError(
                f"{self.full_name}: {len(positional)} positional arguments, expected at most "
                f"{len(pos_params)}{_at(where)}")
        for p, v in zip(pos_params, positional):
            out[p.name] = v
        names = {a.name for a in self.args}
        for k, v in keywords.items():
            if k not in names:
                raise WasmTorchError(f"{self.full_name}: unexpected argument {k!r}{_at(where)}")
            if k in out:
                raise WasmTorchError(f"{self.full_name}: argument {k!r} given twice{_at(where)}")
            out[k] = v
        for a in self.args:
            if a.name not in out:
                if a.default is _MISSING:
                    raise WasmTorchError(f"{self.full_name}: missing argument {a.name!r}{_at(where)}")
                out[a.name] = list(a.default) if isinstance(a.default, list) else a.default
            elif not _accepts(a, out[a.name]):
                raise WasmTorchError(
                    f"{self.full_name}: argument {a.name!r} is {_describe(out[a.name])}, "
                    f"expected {a.type}{_at(where)}")
        return A((a.name, _normalise(a, out[a.name])) for a in self.args)


def _at(where: str) -> str:
    return f" at {where}" if where else ""


def _describe(v: Any) -> str:
    return "a tensor" if isinstance(v, Ref) else f"{type(v).__name__} {v!r}"


def _accepts(arg: Arg, v: Any) -> bool:
    t = arg.type
    if v is None:
        return t.endswith("?") or arg.default is None
    base = t.rstrip("?")
    if base.startswith("Tensor"):
        if base.startswith("Tensor?[") or base.startswith("Tensor["):
            return isinstance(v, (list, tuple))
        return isinstance(v, (Ref, int, float, bool))
    if isinstance(v, Ref):
        return base in ("Scalar",)  # a 0-d tensor used as a Scalar (e.g. traced shape math)
    if "[" in base:
        return isinstance(v, (list, tuple, int))  # int[2] accepts a single int, as ATen does
    if base in ("int", "SymInt"):
        return isinstance(v, int)
    if base in ("float",):
        return isinstance(v, (int, float))
    if base == "bool":
        return isinstance(v, (bool, int))
    if base == "str":
        return isinstance(v, str)
    if base == "Scalar":
        return isinstance(v, (int, float, bool, complex))
    if base == "ScalarType":  # a dtype name only, so that `to` overloads tell a dtype from a device
        return isinstance(v, str) and v in DTYPES
    return True


def _normalise(arg: Arg, v: Any) -> Any:
    base = arg.type.rstrip("?")
    if v is None:
        return None
    if "[" in base and not base.startswith("Tensor"):
        if isinstance(v, int):
            size = base[base.index("[") + 1: base.index("]")]
            return [v] * int(size) if size else [v]
        return list(v)
    if base.startswith("Tensor") and "[" in base:
        return list(v)
    if base == "bool" and isinstance(v, int):
        return bool(v)
    if base == "float" and isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    return v


def parse_schema(text: str) -> Schema:
    """Parse an ATen schema string: `name.overload(Type a, Type b=default, *, Type c=d) -> Ret`."""
    head, _, ret = text.partition("->")
    head = head.strip()
    lp = head.index("(")
    full, params = head[:lp], head[lp + 1: head.rindex(")")]
    name, _, overload = full.partition(".")
    args: list[Arg] = []
    kwarg_only = False
    for piece in _split_top(params):
        piece = piece.strip()
        if not piece:
            continue
        if piece == "*":
            kwarg_only = True
            continue
        decl, eq, default = piece.partition("=")
        typ, _, pname = decl.strip().rpartition(" ")
        typ = typ.replace("(a)", "").replace("(a!)", "").replace("(b)", "").strip()
        args.append(Arg(pname, typ, _parse_default(default.strip()) if eq else _MISSING, kwarg_only))
    ret = ret.strip()
    if ret.startswith("("):
        returns = [r.strip().split(" ")[0] for r in _split_top(ret[1:-1])]
    else:
        returns = [ret] if ret and ret != "()" else []
    return Schema(name, overload, args, returns)


def _split_top(s: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _parse_default(s: str) -> Any:
    if s == "None":
        return None
    if s in ("True", "False"):
        return s == "True"
    if s == "contiguous_format":
        return "contiguous_format"
    if s in ("long", "float"):
        return {"long": "int64", "float": "float32"}[s]
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError):
        return s.strip("'\"")


InferFn = Callable[[A], "TensorMeta | list[TensorMeta]"]
RefFn = Callable[[A], Any]
LowerFn = Callable[[Graph, A, str], "Ref | list[Ref]"]


@dataclass
class OpDef:
    schema: Schema
    infer: InferFn
    ref: RefFn

    @property
    def name(self) -> str:
        return self.schema.name

    def infer_meta(self, g: Graph, args: dict[str, Any], source: str = "") -> list[TensorMeta]:
        a = A((k, _to_meta(g, v)) for k, v in args.items())
        try:
            out = self.infer(a)
        except ShapeError as e:  # raised by shared shape helpers: name the op and the source
            raise ShapeError(f"{self.name}: {e}{_at(source)}") from None
        except WasmTorchError:
            raise
        except (ValueError, IndexError, TypeError, KeyError, AttributeError, ZeroDivisionError) as e:
            raise ShapeError(f"{self.name}: {e}{_at(source)}") from None
        return list(out) if isinstance(out, (list, tuple)) else [out]


def _to_meta(g: Graph, v: Any) -> Any:
    if isinstance(v, Ref):
        return g.values[v.name]
    if isinstance(v, list):
        return [_to_meta(g, x) for x in v]
    return v


OPS: dict[str, OpDef] = {}
# Frontend spelling ("conv2d", "_convolution", "convolution.default", "addmm") -> candidates.
LOWERINGS: dict[str, list[tuple[Schema, LowerFn]]] = {}


def define(schema: str, infer: InferFn, ref: RefFn) -> OpDef:
    """Register a canonical op; it is also its own lowering under its name."""
    s = parse_schema(schema)
    if s.name in OPS:
        raise RuntimeError(f"op {s.name} defined twice")
    op = OpDef(s, infer, ref)
    OPS[s.name] = op
    LOWERINGS.setdefault(s.name, []).append((s, _identity_lowering(s.name)))
    return op


def _identity_lowering(name: str) -> LowerFn:
    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        return g.add_node(name, dict(a), src)

    return lower


def lowering(schema: str) -> Callable[[LowerFn], LowerFn]:
    """Register how a frontend spelling maps onto canonical ops (decorator)."""
    s = parse_schema(schema)

    def deco(fn: LowerFn) -> LowerFn:
        key = s.full_name
        LOWERINGS.setdefault(key, []).append((s, fn))
        if s.overload:
            LOWERINGS.setdefault(s.name, []).append((s, fn))
        return fn

    return deco


def alias(schema: str, target: str, **fixed: Any) -> None:
    """A spelling whose bound arguments (plus `fixed`) are exactly the canonical op's."""

    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        keep = {k: v for k, v in a.items() if k in {x.name for x in OPS[target].schema.args}}
        full = OPS[target].schema.bind([], {**keep, **fixed}, src)
        return g.add_node(target, dict(full), src)

    lowering(schema)(lower)


def get(name: str) -> OpDef:
    try:
        return OPS[name]
    except KeyError:
        raise UnsupportedError("unsupported op", [(name, "")]) from None


def find_lowering(name: str, overload: str = "") -> list[tuple[Schema, LowerFn]]:
    """Candidates for a spelling, most specific (name.overload) first; [] when unknown."""
    if not overload and "." in name:  # "add.Scalar": an export target's name and overload in one
        name, _, overload = name.partition(".")
        return find_lowering(name, overload) or find_lowering(name)
    found = []
    if overload:
        found += LOWERINGS.get(f"{name}.{overload}", [])
        if overload == "default":
            found += LOWERINGS.get(name, [])
    else:
        found += LOWERINGS.get(name, [])
    seen, out = set(), []
    for cand in found:
        # One function may serve several overloads (by schema); drop only true repeats.
        key = (id(cand[0]), id(cand[1]))
        if key not in seen:
            seen.add(key)
            out.append(cand)
    return out


def lower_call(g: Graph, name: str, positional: list[Any], keywords: dict[str, Any],
               source: str = "", overload: str = "") -> list[Ref]:
    """Bind a frontend call against the candidate schemas and emit canonical nodes."""
    cands = find_lowering(name, overload)
    if not cands and overload:
        cands = find_lowering(name)
    if not cands:
        raise UnsupportedError("unsupported op", [(f"{name}.{overload}" if overload else name, source)])
    errors = []
    for schema, fn in cands:
        try:
            a = schema.bind(positional, keywords, source)
        except WasmTorchError as e:
            errors.append(str(e))
            continue
        out = fn(g, a, source)
        return out if isinstance(out, list) else [out]
    raise WasmTorchError(errors[0] if len(errors) == 1 else f"{name}: no overload matches{_at(source)} "
                         f"({' | '.join(errors)})")
