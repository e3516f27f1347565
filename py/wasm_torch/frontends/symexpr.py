"""Evaluate the symbolic size expressions torch.export writes, without sympy.

Sizes of dynamic dims, `sym_int_values` and `range_constraints` keys are sympy expressions
serialized either by `srepr` (`Mul(Integer(2), Symbol('s77', positive=True, integer=True))`) or
by `str` (`2*s77`). Both are Python syntax, so they are parsed with `ast` and interpreted over an
allowlist of sympy/torch function names: nothing is ever executed.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ..errors import FormatError

# Bound on an expression's text: real ones are tens of characters.
MAX_EXPR_CHARS = 10_000
# Sizes are int64 in torch; anything beyond is a hostile or broken file (and would let a chain of
# multiplications build numbers of unbounded size).
MAX_MAGNITUDE = 2**63


def check_size(v: Any) -> Any:
    """`v` unchanged when it is a plausible size value; FormatError otherwise."""
    if isinstance(v, (int, Fraction)) and abs(v) > MAX_MAGNITUDE:
        raise FormatError(f"size value {str(v)[:40]} is out of the int64 range")
    return v


def bounded_pow(a: Any, b: Any) -> Any:
    """a ** b without computing astronomically large powers."""
    if isinstance(b, int) and abs(b) > 64 and abs(a) > 1:
        raise FormatError(f"size value {a}**{b} is out of the int64 range")
    return check_size(a ** b)


class Unresolved(Exception):
    """The expression uses a symbol with no known value (e.g. an unbacked `u0` from `.item()`)."""

    def __init__(self, symbol: str):
        super().__init__(symbol)
        self.symbol = symbol


def _product(*xs: Any) -> Any:
    out: Any = 1
    for x in xs:
        out = out * x
    return out


def _int_of(fn: Callable[[Any], Any]) -> Callable[[Any], int]:
    return lambda x: int(fn(x))


def _not(x: Any) -> bool:
    return not x


def _truediv(a: Any, b: Any) -> Any:
    return Fraction(a) / Fraction(b)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "Integer": int,
    "Rational": Fraction,
    "Add": lambda *xs: sum(xs),
    "Mul": _product,
    "Pow": bounded_pow,
    "FloorDiv": operator.floordiv,
    "CleanDiv": operator.floordiv,
    "Mod": operator.mod,
    "PythonMod": operator.mod,
    "IntTrueDiv": _truediv,
    "FloatTrueDiv": _truediv,
    "CeilToInt": _int_of(math.ceil),
    "FloorToInt": _int_of(math.floor),
    "TruncToInt": _int_of(math.trunc),
    "ceiling": _int_of(math.ceil),
    "floor": _int_of(math.floor),
    "Abs": abs,
    "Max": max,
    "Min": min,
    "ToFloat": float,
    "StrictGreaterThan": operator.gt,
    "GreaterThan": operator.ge,
    "StrictLessThan": operator.lt,
    "LessThan": operator.le,
    "Equality": operator.eq,
    "Eq": operator.eq,
    "Unequality": operator.ne,
    "Ne": operator.ne,
    "And": lambda *xs: all(xs),
    "Or": lambda *xs: any(xs),
    "Not": _not,
}
_NAMES = {"true": True, "false": False, "True": True, "False": False}
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: bounded_pow,
           ast.Div: _truediv}
_CMPOPS = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}


def symbols(expr: str) -> set[str]:
    """Names of the symbols an expression uses."""
    found = set()
    for node in ast.walk(_parse(expr)):
        if isinstance(node, ast.Call) and _callee(node) == "Symbol":
            found.add(_symbol_name(node, expr))
        elif isinstance(node, ast.Name) and node.id not in _NAMES and node.id not in _FUNCTIONS \
                and node.id != "Symbol":
            found.add(node.id)
    return found


def evaluate(expr: str, env: dict[str, int]) -> Any:
    """Value of `expr` with symbols from `env`; raises Unresolved for a missing symbol."""
    try:
        value = _eval(_parse(expr).body, env, expr)
    except RecursionError:
        raise FormatError(f"symbolic expression nested too deeply: {expr[:80]!r}") from None
    if isinstance(value, Fraction) and value.denominator == 1:
        return int(value)
    return value


def _parse(expr: str) -> ast.Expression:
    if not isinstance(expr, str) or len(expr) > MAX_EXPR_CHARS:
        raise FormatError(f"symbolic expression is not a string of at most {MAX_EXPR_CHARS} characters")
    try:
        return ast.parse(expr, mode="eval")
    except (SyntaxError, RecursionError, MemoryError):
        raise FormatError(f"cannot parse symbolic expression {expr[:80]!r}") from None


def _callee(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else ""


def _symbol_name(node: ast.Call, expr: str) -> str:
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    raise FormatError(f"malformed Symbol in expression {expr[:80]!r}")


def _eval(node: ast.AST, env: dict[str, int], expr: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _NAMES:
            return _NAMES[node.id]
        if node.id in env:
            return env[node.id]
        raise Unresolved(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        v = _eval(node.operand, env, expr)
        return -v if isinstance(node.op, ast.USub) else not v
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        try:
            left, right = _eval(node.left, env, expr), _eval(node.right, env, expr)
            return check_size(_BINOPS[type(node.op)](left, right))
        except (ArithmeticError, TypeError) as e:
            raise FormatError(f"cannot evaluate {expr[:80]!r}: {e}") from None
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
        return _CMPOPS[type(node.ops[0])](_eval(node.left, env, expr), _eval(node.comparators[0], env, expr))
    if isinstance(node, ast.BoolOp):
        vals = [_eval(v, env, expr) for v in node.values]
        return all(vals) if isinstance(node.op, ast.And) else any(vals)
    if isinstance(node, ast.Call):
        name = _callee(node)
        if name == "Symbol":
            sym = _symbol_name(node, expr)
            if sym not in env:
                raise Unresolved(sym)
            return env[sym]
        if name == "Float" and node.args and isinstance(node.args[0], ast.Constant):
            return float(node.args[0].value)
        if name in _FUNCTIONS:
            args = [_eval(a, env, expr) for a in node.args]
            try:
                return check_size(_FUNCTIONS[name](*args))
            except (ArithmeticError, TypeError, ValueError) as e:
                raise FormatError(f"cannot evaluate {name} in {expr[:80]!r}: {e}") from None
    raise FormatError(f"unsupported construct in symbolic expression {expr[:80]!r}")


def pretty(expr: str) -> str:
    """A readable form of an srepr'd expression: `Mul(Integer(2), Symbol('s0', ...))` -> `2*s0`."""
    try:
        return _pretty(_parse(expr).body)
    except FormatError:
        return expr[:80]


_INFIX = {"Add": " + ", "Mul": "*", "FloorDiv": "//", "Mod": "%", "PythonMod": "%", "Pow": "**"}


def _pretty(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        name = _callee(node)
        if name == "Symbol" and node.args and isinstance(node.args[0], ast.Constant):
            return str(node.args[0].value)
        if name == "Integer" and node.args and isinstance(node.args[0], ast.Constant):
            return str(node.args[0].value)
        parts = [_pretty(a) for a in node.args]
        if name in _INFIX:
            return _INFIX[name].join(f"({p})" if " " in p else p for p in parts)
        return f"{name}({', '.join(parts)})"
    return ast.unparse(node)
