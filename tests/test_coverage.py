"""Every canonical op in the registry is checked against torch somewhere.

An op is covered when a `parity("<spelling>", ...)` call in tests/test_ops_*.py names it or a
spelling whose lowering can emit it, or when it appears in the converted graph of a zoo model
that matched torch's outputs.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

import zoo_cache
from models import zoo
from wasm_torch.ops import registry

TESTS = Path(__file__).resolve().parent


def parity_spellings() -> dict[str, set[str]]:
    """Spelling -> test files that call parity() with it as a literal first argument."""
    found: dict[str, set[str]] = {}
    for path in sorted(TESTS.glob("test_ops_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            fn = node.func
            called = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else ""
            first = node.args[0]
            if called == "parity" and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, set()).add(path.name)
    return found


def _codes(code: types.CodeType):
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from _codes(c)


def lowered_ops(spelling: str, seen: set[int] | None = None) -> set[str]:
    """Canonical ops a spelling's lowerings can emit, read off their code: the op names they
    mention, following the wasm_torch helpers and other spellings they call. A superset of what
    one call emits, which is what "some parity case reaches this op" needs."""
    seen = set() if seen is None else seen
    ops: set[str] = set()

    def visit_value(v: object) -> None:
        if isinstance(v, str):
            if v in registry.OPS:
                ops.add(v)
            elif v in registry.LOWERINGS:
                ops.update(lowered_ops(v, seen))
        elif isinstance(v, types.FunctionType):
            visit_function(v)

    def visit_function(fn: types.FunctionType) -> None:
        if id(fn) in seen or not fn.__module__.startswith("wasm_torch"):
            return
        seen.add(id(fn))
        for cell in fn.__closure__ or ():
            visit_value(cell.cell_contents)
        for code in _codes(fn.__code__):
            for c in code.co_consts:
                visit_value(c)
            for name in code.co_names:
                visit_value(fn.__globals__.get(name))

    for _, fn in registry.find_lowering(spelling):  # looked up as parity() does
        visit_function(fn)
    return ops


def zoo_ops() -> set[str]:
    """Canonical ops in the converted zoo graphs whose outputs matched torch."""
    ops: set[str] = set()
    for e in zoo.ZOO.values():
        for form in e.forms:
            try:
                ops |= zoo_cache.check_case(e.name, form)
            except Exception:  # reported by test_zoo; a failing case covers nothing
                continue
    return ops


def test_every_op_has_a_parity_case() -> None:
    print(f"\nwasm-torch: {len(registry.OPS)} canonical ops, {len(registry.LOWERINGS)} spellings")
    covered = zoo_ops()
    for spelling in parity_spellings():
        covered |= lowered_ops(spelling)
    missing = sorted(set(registry.OPS) - covered)
    assert not missing, (f"{len(missing)} of {len(registry.OPS)} ops have no parity case "
                         f"(tests/test_ops_*.py or a passing zoo model): {', '.join(missing)}")


def test_parity_spellings_exist() -> None:
    unknown = {s: sorted(files) for s, files in parity_spellings().items()
               if not registry.find_lowering(s)}
    assert not unknown, f"parity() names spellings the registry does not know: {unknown}"
