"""The archive's `code/` sources: parsed with `ast` (never executed), checked, and indexed.

A qualified name `__torch__.a.b.Cls` lives in `code/__torch__/a/b.py` (classes of `__main__` in
`code/__torch__.py`); one file may hold several classes and free functions.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..errors import FormatError, SecurityError, UnsupportedError

# Callables TorchScript never prints but hostile source would use to reach real Python.
_DENIED_CALLS = frozenset({
    "__import__", "exec", "eval", "compile", "open", "globals", "locals", "vars", "setattr",
    "delattr", "breakpoint", "input", "exit", "quit", "help", "type", "object", "super",
    "memoryview", "classmethod", "staticmethod", "property",
})
_DENIED_NAMES = frozenset({"__builtins__", "__builtin__", "__loader__", "__spec__", "__import__"})
# Attributes used to walk from an object to interpreter internals.
_DENIED_ATTRS = frozenset({
    "__class__", "__globals__", "__subclasses__", "__dict__", "__bases__", "__base__", "__mro__",
    "__code__", "__builtins__", "__getattribute__", "__getattr__", "__setattr__", "__delattr__",
    "__reduce__", "__reduce_ex__", "__import__", "__loader__", "__spec__", "__self__", "__func__",
    "__closure__", "__defaults__", "__kwdefaults__", "__wrapped__", "__objclass__",
    "__subclasshook__", "__init_subclass__", "__traceback__", "f_globals", "f_locals", "f_back",
    "f_builtins", "tb_frame", "gi_frame", "cr_frame", "co_code", "func_globals",
})
_DENIED_STATEMENTS = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)


@dataclass
class ClassInfo:
    qualname: str
    file: str
    # `name : Final[T] = value` constants of scripted classes (folded literal values).
    finals: dict[str, Any] = field(default_factory=dict)
    methods: dict[str, ast.FunctionDef] = field(default_factory=dict)


class CodeIndex:
    """Parsed `code/` files with class and function lookup by qualified name."""

    def __init__(self, code: dict[str, str]):
        self.trees: dict[str, ast.Module] = {}
        for path in sorted(code):
            if path.endswith(".py"):
                self.trees[path] = _parse(path, code[path])
        self._classes: dict[str, ClassInfo | None] = {}

    def file_of(self, qualname: str) -> tuple[str, str]:
        """(`code/` path of the module that defines `qualname`, the final name)."""
        module, _, name = qualname.rpartition(".")
        if not module.startswith("__torch__"):
            raise UnsupportedError(f"TorchScript name {qualname!r} is not defined in the archive's code/")
        return module.replace(".", "/") + ".py", name

    def find_class(self, qualname: str) -> ClassInfo | None:
        if qualname not in self._classes:
            self._classes[qualname] = self._load_class(qualname)
        return self._classes[qualname]

    def find_function(self, qualname: str) -> tuple[str, ast.FunctionDef] | None:
        """A free function `__torch__.torch.nn.functional.relu` -> (file, its def)."""
        path, name = self.file_of(qualname)
        tree = self.trees.get(path)
        if tree is not None:
            for stmt in tree.body:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == name:
                    return path, stmt
        return None

    def _load_class(self, qualname: str) -> ClassInfo | None:
        path, name = self.file_of(qualname)
        tree = self.trees.get(path)
        if tree is None:
            return None
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == name:
                return _class_info(qualname, path, stmt)
        return None


def _parse(path: str, source: str) -> ast.Module:
    try:
        tree = ast.parse(source, filename=f"code/{path}")
    except SyntaxError as e:
        raise FormatError(f"code/{path}:{e.lineno}: not valid TorchScript source ({e.msg})") from None
    except (RecursionError, MemoryError, ValueError):
        raise FormatError(f"code/{path}: source nests too deeply or is malformed") from None
    _check_safe(path, tree)
    return tree


def _check_safe(path: str, tree: ast.Module) -> None:
    """Refuse sources reaching for Python machinery TorchScript never prints (defence in depth:
    the evaluator interprets only an allow-list anyway)."""
    for node in ast.walk(tree):
        bad = None
        if isinstance(node, ast.Name) and node.id in _DENIED_NAMES:
            bad = f"name {node.id!r}"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _DENIED_CALLS:
            bad = f"call {node.func.id}(...)"
        elif isinstance(node, ast.Attribute) and node.attr in _DENIED_ATTRS:
            bad = f"attribute {node.attr!r}"
        elif isinstance(node, _DENIED_STATEMENTS):
            bad = f"{type(node).__name__.lower()} statement"
        if bad:
            where = f"code/{path}:{getattr(node, 'lineno', '?')}"
            raise SecurityError(f"{where}: refusing source that uses {bad} "
                                "(not TorchScript; nothing was run)")


def _class_info(qualname: str, path: str, cls: ast.ClassDef) -> ClassInfo:
    info = ClassInfo(qualname, path)
    for stmt in cls.body:
        if isinstance(stmt, ast.FunctionDef):
            info.methods[stmt.name] = stmt
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            try:
                info.finals[stmt.target.id] = literal(stmt.value)
            except ValueError:
                raise UnsupportedError(f"code/{path}:{stmt.lineno}: class constant {stmt.target.id} is not "
                                       "a literal") from None
    return info


_NAMED_FLOATS = {"inf": float("inf"), "nan": float("nan")}


def literal(node: ast.expr) -> Any:
    """Fold a literal expression (class constants): numbers, strings, None, tuples, lists, -x."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMED_FLOATS:
        return _NAMED_FLOATS[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(literal(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [literal(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = literal(node.operand)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
    raise ValueError("not a literal")
