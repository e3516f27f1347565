"""A partial evaluator for TorchScript's `code/`: walks the `ast`, folds every Python value and
emits graph nodes only for tensor ops. Nothing from the archive is ever executed.

Control flow must fold: `if`/`while` conditions and `for` iterables are Python values (module
attributes, sizes of tensors with static shapes, flags such as `self.training`). Submodule calls,
methods and helper functions are inlined with their own scopes.
"""

from __future__ import annotations

import ast
from typing import Any

from .. import dtypes
from ..errors import UnsupportedError, WasmTorchError
from ..formats.tensor import TensorData
from ..ir import Graph, Ref
from . import torchscript_builtins as B
from .torchscript_alias import Aliases
from .torchscript_code import CodeIndex
from .torchscript_values import (
    UNINITIALIZED,
    UNKNOWN,
    BoundMethod,
    Namespace,
    ObjectValue,
    ScalarTensor,
    Unknown,
    unsupported,
)

MAX_WHILE_ITERATIONS = 10_000
MAX_STEPS = 5_000_000  # statements executed in one conversion (bounds loops over huge ranges)
MAX_CALL_DEPTH = 64
_GLOBAL_NAMESPACES = ("torch", "ops", "__torch__", "CONSTANTS", "math")
_NAMED_FLOATS = {"inf": float("inf"), "nan": float("nan")}
# Builtins whose first argument is a type expression, which is never evaluated.
_TYPE_FORMS = ("annotate", "unchecked_cast", "uninitialized", "isinstance")


class _Return:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


_BREAK, _CONTINUE = object(), object()


class Frame:
    __slots__ = ("vars", "file")

    def __init__(self, variables: dict[str, Any], file: str):
        self.vars, self.file = variables, file


class Interpreter:
    """Evaluates methods of the archive's module tree into graph `g`."""

    def __init__(self, g: Graph, code: CodeIndex, constants: list[Any]):
        self.g, self.code, self.constants = g, code, list(constants)
        self.problems: list[tuple[str, str]] = []
        self.aliases = Aliases(g)
        self.grad_enabled = False
        self._objects: dict[int, ObjectValue] = {}
        self._const_refs: dict[Any, Ref] = {}
        self._param_names: dict[Any, str] = {}
        self._steps = 0
        self._depth = 0

    # -- module objects and constants ------------------------------------------------------------

    def wrap_module(self, stub: Any, path: str) -> ObjectValue:
        """The ObjectValue for a module object from data.pkl (one per object, so `is` works).

        Wrapping the root wraps the whole tree, recording the state_dict name of every tensor
        in state_dict order (a module's own tensors, then its children), so that a tensor
        reachable under several names (tied weights) is named after the first, as torch does.
        """
        obj = self._objects.get(id(stub))
        if obj is None:
            # Copies of its containers: code may mutate them, the archive must stay as read.
            attrs = {k: _copy(v) for k, v in vars(stub).items()}
            obj = self._objects[id(stub)] = ObjectValue(stub_qualname(stub), attrs, path)
            for name, v in obj.attrs.items():
                if isinstance(v, TensorData):
                    self._param_names.setdefault(_storage_key(v), _join(path, name))
            for name, v in obj.attrs.items():
                if stub_qualname(v) is not None:
                    self.wrap_module(v, _join(path, name))
        return obj

    def param_ref(self, data: TensorData, path: str) -> Ref:
        return self.constant_ref(data, self._param_names.get(_storage_key(data), path))

    def constant_ref(self, data: TensorData, param_name: str | None = None) -> Ref:
        """One graph constant per tensor (tied weights and `_flat_weights` views share it)."""
        key = _storage_key(data)
        ref = self._const_refs.get(key)
        if ref is None:
            ref = self.g.add_constant(self.g.new_name(param_name or "const"), data, param_name)
            self._const_refs[key] = ref
        return ref

    def materialise(self, v: Any) -> Any:
        """A known 0-d tensor reaching a tensor op becomes a graph constant."""
        if not isinstance(v, ScalarTensor):
            return v
        if v.data is not None:
            return self.constant_ref(v.data)
        key = ("scalar", v.dtype, repr(v.value))
        ref = self._const_refs.get(key)
        if ref is None:
            ref = self.g.add_constant(self.g.new_name("scalar"), B.make_tensor([v.value], (), v.dtype))
            self._const_refs[key] = ref
        return ref

    def constant(self, index: int, src: str) -> Any:
        """CONSTANTS.c<index>: 0-d number tensors stay usable in shape arithmetic."""
        if not 0 <= index < len(self.constants):
            raise WasmTorchError(f"CONSTANTS.c{index} does not exist (constants.pkl holds "
                                 f"{len(self.constants)}) at {src}")
        v = self.constants[index]
        if isinstance(v, TensorData):
            if v.shape == () and (v.dtype == "bool" or dtypes.is_int(v.dtype) or dtypes.is_float(v.dtype)) \
                    and not v.dtype.startswith("float8"):
                return ScalarTensor(v.item(), v.dtype, v, wrapped=True)
            return self.constant_ref(v)
        return v

    def problem(self, op: str, src: str) -> None:
        if (op, src) not in self.problems:
            self.problems.append((op, src))

    # -- calls -----------------------------------------------------------------------------------

    def call_method(self, obj: ObjectValue, name: str, args: list[Any], kwargs: dict[str, Any],
                    src: str) -> Any:
        cls = self.code.find_class(obj.qualname)
        if cls is None or name not in cls.methods:
            raise unsupported(f"{obj.qualname} ({obj.path or 'the root module'}) has no method {name!r}", src)
        return self.call_function(cls.file, cls.methods[name], [obj, *args], kwargs, src)

    def call_function(self, file: str, fdef: ast.FunctionDef, args: list[Any], kwargs: dict[str, Any],
                      src: str) -> Any:
        params = fdef.args
        where = f"code/{file}:{fdef.lineno}"
        if params.vararg or params.kwarg or params.kwonlyargs or params.posonlyargs:
            raise unsupported(f"function {fdef.name} uses *args/**kwargs/keyword-only parameters", where)
        names = [a.arg for a in params.args]
        if len(args) > len(names):
            raise WasmTorchError(f"{fdef.name}() takes {len(names)} arguments, {len(args)} given at {src}")
        bound = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in bound:
                raise WasmTorchError(f"{fdef.name}(): unexpected or repeated argument {k!r} at {src}")
            bound[k] = v
        first_default = len(names) - len(params.defaults)
        for i, n in enumerate(names):
            if n not in bound:
                if i < first_default:
                    raise WasmTorchError(f"{fdef.name}(): missing argument {n!r} at {src}")
                bound[n] = self.eval(params.defaults[i - first_default], Frame({}, file))
        self._depth += 1
        try:
            if self._depth > MAX_CALL_DEPTH:
                raise unsupported(f"calls nest deeper than {MAX_CALL_DEPTH} (recursion?)", where)
            result = self.exec_block(fdef.body, Frame(bound, file))
        finally:
            self._depth -= 1
        return result.value if isinstance(result, _Return) else None

    def call_dotted(self, dotted: str, args: list[Any], kwargs: dict[str, Any], src: str) -> Any:
        head, _, rest = dotted.partition(".")
        if head == "torch":
            if rest.startswith("jit."):
                return self._call_jit(rest[4:], args, src)
            if "." not in rest:
                return B.call_torch(self, rest, args, kwargs, src)
        elif head == "ops":
            ns, _, op = rest.partition(".")
            if ns == "aten" and op and "." not in op:
                return B.call_torch(self, op, args, kwargs, src)
            if ns == "prim" and op and "." not in op:
                return B.call_prim(self, op, args, kwargs, src)
            self.problem(f"{ns}::{op}", src)
            return UNKNOWN
        elif head == "__torch__":
            return self._call_torch_code(dotted, args, kwargs, src)
        elif dotted in B.BUILTINS:
            return B.call_builtin(self, dotted, args, kwargs, src)
        elif head == "math" and rest in B.FOLD:
            return B.call_torch(self, rest, args, kwargs, src)
        self.problem(dotted, src)
        return UNKNOWN

    def _call_jit(self, name: str, args: list[Any], src: str) -> Any:
        if name in B.JIT:
            return B.JIT[name]
        if name in ("_unwrap_optional", "annotate") and args:
            return args[-1]
        self.problem(f"torch.jit.{name}", src)
        return UNKNOWN

    def _call_torch_code(self, dotted: str, args: list[Any], kwargs: dict[str, Any], src: str) -> Any:
        found = self.code.find_function(dotted)
        if found is not None:
            return self.call_function(found[0], found[1], args, kwargs, src)
        owner, _, attr = dotted.rpartition(".")
        if attr == "__new__" and self.code.find_class(owner) is not None:
            # `X.__new__(X)` then `(obj).__init__()`: an object made in code (e.g. `no_grad`).
            return ObjectValue(owner, {}, "")
        if self.code.find_class(dotted) is not None:
            raise unsupported(f"constructing {dotted} objects is not supported", src)
        raise unsupported(f"{dotted} is not defined in the archive's code/", src)

    # -- attributes ------------------------------------------------------------------------------

    def get_attr(self, obj: ObjectValue, name: str, src: str) -> Any:
        if name in obj.attrs:
            v = obj.attrs[name]
            if isinstance(v, TensorData):
                return self.aliases.resolve(self.param_ref(v, _join(obj.path, name)), src)
            if stub_qualname(v) is not None:
                return self.wrap_module(v, _join(obj.path, name))
            if isinstance(v, (list, tuple)) and any(isinstance(x, TensorData) for x in v):
                # e.g. an RNN's `_flat_weights`; keep one wrapped list so mutations persist.
                v = type(v)(self.param_ref(x, _join(obj.path, f"{name}.{i}")) if isinstance(x, TensorData)
                            else x for i, x in enumerate(v))
                obj.attrs[name] = v
            return v
        cls = self.code.find_class(obj.qualname)
        if cls is not None:
            if name in cls.finals:
                return _copy(cls.finals[name])
            if name in cls.methods:
                return BoundMethod(obj, name)
        raise unsupported(f"{obj.qualname} ({obj.path or 'the root module'}) has no attribute {name!r}", src)

    def children(self, obj: ObjectValue, src: str) -> list[Any]:
        """Numbered children of a ModuleList/Sequential, in order."""
        keys = sorted((k for k in obj.attrs if k.isdigit()), key=int)
        return [self.get_attr(obj, k, src) for k in keys]

    # -- statements ------------------------------------------------------------------------------

    def exec_block(self, stmts: list[ast.stmt], frame: Frame) -> Any:
        for stmt in stmts:
            self._steps += 1
            if self._steps > MAX_STEPS:
                raise unsupported(f"more than {MAX_STEPS} statements executed (unbounded loop?)",
                                  self.where(frame, stmt))
            signal = self.exec_stmt(stmt, frame)
            if signal is not None:
                return signal
        return None

    def exec_stmt(self, stmt: ast.stmt, frame: Frame) -> Any:
        if isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, frame)
            for target in stmt.targets:
                self.assign(target, value, frame)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.assign(stmt.target, self.eval(stmt.value, frame), frame)
        elif isinstance(stmt, ast.Expr):
            self.eval(stmt.value, frame)
        elif isinstance(stmt, ast.Return):
            return _Return(None if stmt.value is None else self.eval(stmt.value, frame))
        elif isinstance(stmt, ast.If):
            return self._exec_if(stmt, frame)
        elif isinstance(stmt, ast.For):
            return self._exec_for(stmt, frame)
        elif isinstance(stmt, ast.While):
            return self._exec_while(stmt, frame)
        elif isinstance(stmt, ast.With):
            return self._exec_with(stmt, frame)
        elif isinstance(stmt, ast.Assert):
            if not self.condition(stmt.test, frame, "assert"):
                msg = B.format_value(self.eval(stmt.msg, frame)) if stmt.msg else ""
                raise WasmTorchError(f"the model raised AssertionError: {msg} at {self.where(frame, stmt)}")
        elif isinstance(stmt, ast.Break):
            return _BREAK
        elif isinstance(stmt, ast.Continue):
            return _CONTINUE
        elif not isinstance(stmt, ast.Pass):
            raise unsupported(f"{type(stmt).__name__} statements are not supported", self.where(frame, stmt))
        return None

    def _exec_if(self, stmt: ast.If, frame: Frame) -> Any:
        v = self.eval(_unwrap_bool(stmt.test, frame), frame)
        if isinstance(v, Unknown):
            # An unsupported op's result decides the branch. Conversion will fail anyway; keep
            # going to find every unsupported op, down the branch that does not raise (input
            # checks such as BatchNorm's `_check_input_dim` raise in their `if` body).
            taken = _raises(stmt.body) and not _raises(stmt.orelse)
            return self.exec_block(stmt.orelse if taken else stmt.body, frame)
        taken = self.truth(v, "`if`", self.where(frame, stmt.test))
        return self.exec_block(stmt.body if taken else stmt.orelse, frame)

    def _exec_for(self, stmt: ast.For, frame: Frame) -> Any:
        it = self.eval(stmt.iter, frame)
        if isinstance(it, ObjectValue):
            it = self.children(it, self.where(frame, stmt))
        elif isinstance(it, dict):
            it = list(it)
        elif not isinstance(it, (range, list, tuple, str)):
            raise unsupported(f"for loop over {B.describe(it)} (only ranges, lists and module lists unroll)",
                              self.where(frame, stmt))
        for item in it if isinstance(it, range) else list(it):
            self.assign(stmt.target, item, frame)
            signal = self.exec_block(stmt.body, frame)
            if signal is _BREAK:
                return None
            if isinstance(signal, _Return):
                return signal
        else:
            return self.exec_block(stmt.orelse, frame)

    def _exec_while(self, stmt: ast.While, frame: Frame) -> Any:
        for _ in range(MAX_WHILE_ITERATIONS):
            if not self.condition(stmt.test, frame, "while"):
                return self.exec_block(stmt.orelse, frame)
            signal = self.exec_block(stmt.body, frame)
            if signal is _BREAK:
                return None
            if isinstance(signal, _Return):
                return signal
        raise unsupported(f"while loop still running after {MAX_WHILE_ITERATIONS} iterations",
                          self.where(frame, stmt))

    def _exec_with(self, stmt: ast.With, frame: Frame) -> Any:
        src = self.where(frame, stmt)
        managers = []
        for item in stmt.items:
            mgr = self.eval(item.context_expr, frame)
            if not isinstance(mgr, ObjectValue):
                raise unsupported(f"with statement over {B.describe(mgr)}", src)
            entered = self.call_method(mgr, "__enter__", [], {}, src)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, entered, frame)
            managers.append(mgr)
        signal = self.exec_block(stmt.body, frame)
        for mgr in reversed(managers):
            self.call_method(mgr, "__exit__", [None, None, None], {}, src)
        return signal

    def condition(self, test: ast.expr, frame: Frame, construct: str) -> bool:
        return self.truth(self.eval(_unwrap_bool(test, frame), frame), f"`{construct}`", self.where(frame, test))

    def truth(self, v: Any, construct: str, src: str) -> bool:
        """A condition's value, which must be known while converting."""
        v = B.item(self, v, f"{construct} on", src)
        if isinstance(v, Unknown):
            raise UnsupportedError("unsupported ops", [*self.problems, (f"{construct} on an unsupported op's "
                                                                        "result", src)])
        if v is UNINITIALIZED:
            raise WasmTorchError(f"{construct} on an uninitialized value at {src}")
        return bool(v)

    def assign(self, target: ast.expr, value: Any, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            frame.vars[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            n = len(target.elts)
            if isinstance(value, Unknown):
                value = [UNKNOWN] * n
            elif isinstance(value, ObjectValue):
                value = self.children(value, self.where(frame, target))
            if not isinstance(value, (list, tuple)) or len(value) != n:
                raise WasmTorchError(f"cannot unpack {B.describe(value)} into {n} names at "
                                     f"{self.where(frame, target)}")
            for t, v in zip(target.elts, value):
                self.assign(t, v, frame)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, frame)
            if not isinstance(obj, ObjectValue):
                raise unsupported(f"attribute assignment on {B.describe(obj)}", self.where(frame, target))
            obj.attrs[target.attr] = value
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, frame)
            key = B.plain_value(self.eval(target.slice, frame))
            if not isinstance(container, (list, dict)):
                raise unsupported(f"item assignment on {B.describe(container)}", self.where(frame, target))
            try:
                container[key] = value
            except (IndexError, TypeError) as e:
                raise WasmTorchError(f"item assignment: {e} at {self.where(frame, target)}") from None
        else:
            raise unsupported(f"assignment to {type(target).__name__}", self.where(frame, target))

    # -- expressions -----------------------------------------------------------------------------

    def eval(self, node: ast.expr, frame: Frame) -> Any:
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        if method is None:
            raise unsupported(f"{type(node).__name__} expressions are not supported", self.where(frame, node))
        return method(node, frame)

    def _eval_Constant(self, node: ast.Constant, frame: Frame) -> Any:
        if isinstance(node.value, (bytes, complex, type(...))):
            raise unsupported(f"constant {node.value!r}", self.where(frame, node))
        return node.value

    def _eval_Name(self, node: ast.Name, frame: Frame) -> Any:
        name = node.id
        if name in frame.vars:
            v = frame.vars[name]
            return self.aliases.resolve(v, self.where(frame, node)) if isinstance(v, Ref) else v
        if name in _NAMED_FLOATS:
            return _NAMED_FLOATS[name]
        if name in _GLOBAL_NAMESPACES or name in B.BUILTINS or name == "getattr":
            return Namespace(name)
        raise unsupported(f"unknown name {name!r}", self.where(frame, node))

    def _eval_Attribute(self, node: ast.Attribute, frame: Frame) -> Any:
        base = self.eval(node.value, frame)
        if isinstance(base, ObjectValue):
            return self.get_attr(base, node.attr, self.where(frame, node))
        if isinstance(base, Namespace):
            if base.dotted == "CONSTANTS":
                if not (node.attr.startswith("c") and node.attr[1:].isdigit()):
                    raise WasmTorchError(f"unknown constant CONSTANTS.{node.attr} at "
                                         f"{self.where(frame, node)}")
                return self.constant(int(node.attr[1:]), self.where(frame, node))
            return Namespace(f"{base.dotted}.{node.attr}")
        if isinstance(base, Unknown):
            return UNKNOWN
        raise unsupported(f"attribute .{node.attr} of {B.describe(base)}", self.where(frame, node))

    def _eval_Call(self, node: ast.Call, frame: Frame) -> Any:
        src = self.where(frame, node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in _TYPE_FORMS and func.id not in frame.vars:
            return self._type_form(func.id, node, frame, src)
        f = self.eval(func, frame)
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise unsupported("*args in a call", src)
            args.append(self.eval(a, frame))
        kwargs = {}
        for k in node.keywords:
            if k.arg is None:
                raise unsupported("**kwargs in a call", src)
            kwargs[k.arg] = self.eval(k.value, frame)
        if isinstance(f, BoundMethod):
            return self.call_method(f.owner, f.name, args, kwargs, src)
        if not isinstance(f, Namespace):
            raise unsupported(f"call of {B.describe(f)}", src)
        if f.dotted == "getattr":
            return self._getattr(args, src)
        return self.call_dotted(f.dotted, args, kwargs, src)

    def _type_form(self, name: str, node: ast.Call, frame: Frame, src: str) -> Any:
        if name == "uninitialized":
            return UNINITIALIZED
        if len(node.args) != 2:
            raise WasmTorchError(f"{name}() takes a type and a value at {src}")
        value = self.eval(node.args[1], frame)
        if name == "isinstance":
            raise unsupported("isinstance()", src)
        return value

    def _getattr(self, args: list[Any], src: str) -> Any:
        if len(args) != 2 or not isinstance(args[1], str):
            raise unsupported("getattr() needs an object and a constant attribute name", src)
        if not isinstance(args[0], ObjectValue):
            raise unsupported(f"getattr() on {B.describe(args[0])}", src)
        return self.get_attr(args[0], args[1], src)

    def _eval_Subscript(self, node: ast.Subscript, frame: Frame) -> Any:
        base = self.eval(node.value, frame)
        src = self.where(frame, node)
        if isinstance(node.slice, ast.Slice):
            s = node.slice
            parts = [None if p is None else B.plain_value(self.eval(p, frame))
                     for p in (s.lower, s.upper, s.step)]
            key: Any = slice(*parts)
        else:
            key = B.plain_value(self.eval(node.slice, frame))
        if isinstance(base, Unknown):
            return UNKNOWN
        if isinstance(base, ObjectValue) and isinstance(key, int):
            base = self.children(base, src)
        if not isinstance(base, (list, tuple, dict, str)):
            raise unsupported(f"indexing {B.describe(base)}", src)
        try:
            return base[key]
        except (IndexError, KeyError, TypeError) as e:
            raise WasmTorchError(f"indexing {B.describe(base)} with {key!r}: {e} at {src}") from None

    def _eval_Tuple(self, node: ast.Tuple, frame: Frame) -> Any:
        return tuple(self.eval(e, frame) for e in node.elts)

    def _eval_List(self, node: ast.List, frame: Frame) -> Any:
        return [self.eval(e, frame) for e in node.elts]

    def _eval_Dict(self, node: ast.Dict, frame: Frame) -> Any:
        if any(k is None for k in node.keys):
            raise unsupported("**dict unpacking", self.where(frame, node))
        out = {}
        for k, v in zip(node.keys, node.values):
            key = B.plain_value(self.eval(k, frame))
            if not isinstance(key, (str, int, float, bool)):
                raise unsupported(f"dict key {B.describe(key)}", self.where(frame, node))
            out[key] = self.eval(v, frame)
        return out

    def _eval_UnaryOp(self, node: ast.UnaryOp, frame: Frame) -> Any:
        v = self.eval(node.operand, frame)
        if isinstance(node.op, ast.Not):
            return B.call_torch(self, "__not__", [v], {}, self.where(frame, node))
        name = {ast.USub: "neg", ast.UAdd: None, ast.Invert: "bitwise_not"}[type(node.op)]
        return v if name is None else B.call_torch(self, name, [v], {}, self.where(frame, node))

    _BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv",
               ast.Mod: "remainder", ast.Pow: "pow", ast.BitAnd: "__and__", ast.BitOr: "__or__",
               ast.BitXor: "__xor__"}
    _CMPOPS = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge",
               ast.Is: "__is__", ast.IsNot: "__isnot__", ast.In: "__contains__"}

    def _eval_BinOp(self, node: ast.BinOp, frame: Frame) -> Any:
        name = self._BINOPS.get(type(node.op))
        if name is None:
            raise unsupported(f"operator {type(node.op).__name__}", self.where(frame, node))
        return B.call_torch(self, name, [self.eval(node.left, frame), self.eval(node.right, frame)], {},
                            self.where(frame, node))

    def _eval_Compare(self, node: ast.Compare, frame: Frame) -> Any:
        src = self.where(frame, node)
        left = self.eval(node.left, frame)
        result: Any = True
        for i, (op, right_node) in enumerate(zip(node.ops, node.comparators)):
            right = self.eval(right_node, frame)
            name = self._CMPOPS.get(type(op))
            if name is None:
                raise unsupported(f"comparison {type(op).__name__}", src)
            operands = [right, left] if name == "__contains__" else [left, right]
            result = B.call_torch(self, name, operands, {}, src)
            if i + 1 < len(node.ops) and not self.truth(result, "a chained comparison", src):
                return result
            left = right
        return result

    def _eval_BoolOp(self, node: ast.BoolOp, frame: Frame) -> Any:
        v: Any = None
        for value in node.values:
            v = self.eval(value, frame)
            truth = self.truth(v, "`and`/`or`", self.where(frame, node))
            if truth == isinstance(node.op, ast.Or):
                return v
        return v

    def _eval_IfExp(self, node: ast.IfExp, frame: Frame) -> Any:
        return self.eval(node.body if self.condition(node.test, frame, "if") else node.orelse, frame)

    @staticmethod
    def where(frame: Frame, node: ast.AST) -> str:
        return f"code/{frame.file}:{getattr(node, 'lineno', '?')}"


def _unwrap_bool(test: ast.expr, frame: Frame) -> ast.expr:
    """`if bool(<tensor>):` is the scripted form of `if <tensor>:`; name the `if` in errors."""
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "bool" \
            and "bool" not in frame.vars and len(test.args) == 1 and not test.keywords:
        return test.args[0]
    return test


def _raises(stmts: list[ast.stmt]) -> bool:
    """Whether a block raises at its top level (`ops.prim.RaiseException(...)`)."""
    for stmt in stmts:
        if isinstance(stmt, ast.Raise):
            return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and func.attr == "RaiseException":
                return True
    return False


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _copy(v: Any) -> Any:
    if isinstance(v, list):
        return [_copy(x) for x in v]
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v


def _storage_key(data: TensorData) -> tuple[Any, ...]:
    """Identity of a tensor view: one storage seen the same way (tied weights, `_flat_weights`).

    The reader shares one storage memoryview between all tensors of a storage record.
    """
    return (id(data.storage), data.offset, data.shape, data.strides, data.dtype)


def stub_qualname(v: Any) -> str | None:
    """The `__torch__...` class name of a module object from data.pkl, or None."""
    if isinstance(v, (TensorData, int, float, str, bytes, list, tuple, dict)) or v is None:
        return None
    q = getattr(type(v), "qualname", None)
    return q if isinstance(q, str) and q.startswith("__torch__") else None
