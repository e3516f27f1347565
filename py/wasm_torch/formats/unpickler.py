"""A safe unpickler for the pickles torch writes (formats.md §5).

Every global a pickle names goes through `find_class`, which hands back only our own inert
implementations: tensor rebuilders that produce `TensorData`, storage and dtype tokens, stub
types for TorchScript classes, and a few value types. Globals that can run code raise
`SecurityError`; other unknown classes become inert placeholders (never called; their
arguments and state are kept as data) and a warning.

The pure-Python `pickle._Unpickler` is used on purpose: the C unpickler sizes its memo table
from the index a pickle asks for, so ten hostile bytes can make it allocate gigabytes. The
pure-Python one keeps its memo in a dict.
"""

from __future__ import annotations

import io
import pickle
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..dtypes import DTYPES, STORAGE_CLASSES, TORCH_ATTR, itemsize
from ..errors import FormatError, SecurityError
from .tensor import MAX_ELEMENTS, TensorData

# Largest pickle we unpickle (data.pkl of a model with tens of thousands of tensors is a few MB).
MAX_PICKLE = 256 * 1024 * 1024
# Deepest nesting of containers and objects a loaded pickle may have (torch's are < 30 deep).
MAX_DEPTH = 200
# Zero-filled stand-ins for 0-byte storages (TorchScript traced_inputs hold shapes only), in
# bytes per pickle.
MAX_EMPTY_FILL = 256 * 1024 * 1024

# Globals that exist to run code, whatever module they come from.
_CODE_NAMES = frozenset({
    "eval", "exec", "execfile", "compile", "system", "popen", "spawn", "run", "call", "check_call",
    "check_output", "Popen", "getoutput", "getstatusoutput", "runstring", "__import__",
    "import_module", "getattr", "setattr", "delattr", "apply", "load", "loads", "open", "input",
    "breakpoint", "globals", "locals", "vars", "execv", "execve", "execl", "startfile",
})
# Modules whose members can run code, touch files, processes or the interpreter.
_CODE_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "sys", "builtins", "__builtin__", "importlib", "runpy",
    "pickle", "_pickle", "cPickle", "pickletools", "marshal", "types", "functools", "_functools",
    "operator", "_operator", "copyreg", "copy_reg", "codecs", "_codecs", "io", "_io", "shutil",
    "socket", "ctypes", "_ctypes", "code", "codeop", "pty", "platform", "webbrowser",
    "multiprocessing", "threading", "_thread", "signal", "tempfile", "pathlib", "glob", "inspect",
    "asyncio", "ssl", "http", "urllib", "posixpath", "ntpath", "_posixsubprocess", "commands",
    "gc", "weakref", "ast", "dis", "zipimport", "pkgutil", "site", "sysconfig", "imp", "timeit",
    "trace", "pdb", "bdb", "profile", "cProfile", "doctest", "unittest", "logging", "atexit",
    "resource", "mmap", "fcntl", "torch", "dill", "cloudpickle", "joblib",
})
_DIGITS = re.compile(r"[0-9]{1,40}")


def _short(value: Any) -> str:
    """repr for messages: bounded, and safe for huge ints."""
    try:
        text = repr(value)
    except Exception:  # a hostile object's repr must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


# -- value types a pickle may create ------------------------------------------------------------

class StorageType:
    """Token for `torch.FloatStorage` & co. `numel` in a persistent id counts elements of `dtype`
    (bytes for `torch.storage.UntypedStorage`, whose dtype is uint8)."""

    __slots__ = ("qualname", "dtype")

    def __init__(self, qualname: str, dtype: str):
        self.qualname, self.dtype = qualname, dtype

    def __repr__(self) -> str:
        return self.qualname


class DType(str):
    """A pickled torch dtype (`torch.float16`); equal to our dtype string ("float16")."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.{str.__str__(self)}"


class Size(tuple):
    """A pickled `torch.Size`: a tuple of ints."""

    __slots__ = ()

    def __new__(cls, dims: Any = ()):
        if not isinstance(dims, (list, tuple)) or not all(_is_int(d) for d in dims):
            raise FormatError(f"torch.Size takes a tuple of ints, got {_short(dims)}")
        return super().__new__(cls, dims)


class Device:
    """A pickled `torch.device` ("cpu", "cuda", index)."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: Any = None):  # torch's own argument names
        if not isinstance(type, str) or len(type) > 64 or not (index is None or _is_int(index)):
            raise FormatError(f"torch.device takes (str, int | None), got {_short((type, index))}")
        if ":" in type and index is None:
            type, _, idx = type.partition(":")
            index = int(idx) if idx.isdigit() else None
        self.type, self.index = type, index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        return f"device({self.type!r}" + (f", {self.index})" if self.index is not None else ")")


class StateDict(OrderedDict):
    """`collections.OrderedDict` as pickles rebuild it. torch BUILDs `_metadata` onto state
    dicts; state that would shadow a dict method is refused."""

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict) or not all(
                isinstance(k, str) and not hasattr(OrderedDict, k) for k in state):
            raise FormatError(f"OrderedDict: refusing pickled attributes {_short(state)}")
        self.__dict__.update(state)


class InertObject:
    """An object of a class we never import: NEWOBJ/REDUCE arguments go to `_pickle_args`,
    BUILD state fills `__dict__` (or `_pickle_state` when it is not a dict of names).

    `type(obj).qualname` is the pickled class name (`obj.qualname` too, unless the object has
    an attribute of that name).
    """

    __slots__ = ("__dict__", "_pickle_args", "_pickle_state")
    qualname = ""

    def __new__(cls, *args: Any, **kwargs: Any):
        obj = super().__new__(cls)
        obj._pickle_args = args + ((kwargs,) if kwargs else ())
        obj._pickle_state = None
        return obj

    def __init__(self, *args: Any, **kwargs: Any):
        pass  # the arguments were kept by __new__; nothing runs

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict) and all(isinstance(k, str) for k in state):
            shadowing = [k for k in state if hasattr(type(self), k)]
            if shadowing:
                raise FormatError(f"{self.qualname}: pickled attribute {shadowing[0]!r} would "
                                  "shadow a method")
            self.__dict__.update(state)
        else:
            self._pickle_state = state

    def __repr__(self) -> str:
        return f"<{self.qualname}>"


class ScriptObject(InertObject):
    """Instance of a TorchScript class (`__torch__.*`): a module, or a scripted class object."""

    __slots__ = ()


class Placeholder(InertObject):
    """Instance of an unknown, harmless-looking class (numpy scalar, argparse.Namespace, ...)."""

    __slots__ = ()


class StorageRef:
    """What a persistent id resolves to: a storage's validated raw bytes."""

    __slots__ = ("dtype", "raw", "label")

    def __init__(self, dtype: str, raw: memoryview | None, label: str):
        self.dtype, self.raw, self.label = dtype, raw, label


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- the unpickler -------------------------------------------------------------------------------

# resolve(key, itemsize, numel) -> the storage's raw bytes, or None while only scanning.
StorageResolver = Callable[[str, int, int], "memoryview | None"]


class PickleContext:
    """State shared by the pickles of one file: its name, warnings, and the stub types made."""

    def __init__(self, filename: str):
        self.filename = filename
        self.warnings: list[str] = []
        self._types: dict[str, type] = {}

    def inert_type(self, base: type, qualname: str) -> type:
        cls = self._types.get(qualname)
        if cls is None:
            short = qualname.rsplit(".", 1)[-1] or "Object"
            cls = type(short, (base,), {"__slots__": (), "qualname": qualname, "__module__": __name__})
            self._types[qualname] = cls
            if base is Placeholder:
                self.warnings.append(f"{self.filename}: kept {qualname} as an inert placeholder "
                                     "(a class wasm-torch does not know)")
        return cls


class SafeUnpickler(pickle._Unpickler):
    """Unpickles one torch pickle with the allow-list of formats.md §5.

    `storages` resolves persistent ids; `folder` names them in messages ("data" → "data/3").
    `allow_empty` lets 0-byte storages stand for zero-filled ones (TorchScript traced_inputs).
    `legacy` expects the 6-field persistent ids of the non-zip torch.save format.
    """

    def __init__(self, file: Any, ctx: PickleContext, member: str, storages: StorageResolver | None,
                 folder: str = "data", allow_empty: bool = False, legacy: bool = False):
        super().__init__(file, encoding="utf-8")
        self.ctx, self.member, self.folder = ctx, member, folder
        self.storages, self.allow_empty, self.legacy = storages, allow_empty, legacy
        self._cache: dict[tuple[str, str], StorageRef] = {}
        self._filled = 0
        self._allowed: dict[str, Any] = {
            "collections.OrderedDict": StateDict,
            "torch._utils._rebuild_tensor": self._rebuild_tensor,
            "torch._utils._rebuild_tensor_v2": self._rebuild_tensor_v2,
            "torch._utils._rebuild_tensor_v3": self._rebuild_tensor_v3,
            "torch._utils._rebuild_parameter": self._rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self._rebuild_parameter,
            "torch.jit._pickle.build_intlist": self._typed_list,
            "torch.jit._pickle.build_doublelist": self._typed_list,
            "torch.jit._pickle.build_boollist": self._typed_list,
            "torch.jit._pickle.build_tensorlist": self._typed_list,
            "torch.jit._pickle.restore_type_tag": _restore_type_tag,
            "torch.storage.UntypedStorage": StorageType("torch.storage.UntypedStorage", "uint8"),
            "torch.UntypedStorage": StorageType("torch.UntypedStorage", "uint8"),
            "torch.device": Device,
            "torch.Size": Size,
            "_codecs.encode": self._codecs_encode,
        }
        for mod in ("__builtin__", "builtins"):
            self._allowed.update({f"{mod}.set": _make_set(set), f"{mod}.frozenset": _make_set(frozenset),
                                  f"{mod}.complex": _complex, f"{mod}.bytearray": self._bytearray})

    # find_class is the only way a pickle reaches a global (GLOBAL, STACK_GLOBAL, INST, OBJ, EXT).
    def find_class(self, module: str, name: str) -> Any:
        full = f"{module}.{name}"
        found = self._allowed.get(full)
        if found is not None:
            return found
        if module in ("torch", "torch.cuda"):
            if name in STORAGE_CLASSES:
                return StorageType(full, STORAGE_CLASSES[name])
            if name in TORCH_ATTR:
                return DType(TORCH_ATTR[name])
        if module == "__torch__" or module.startswith("__torch__."):
            return self.ctx.inert_type(ScriptObject, full)
        if module.startswith("torch.nn.modules.") and name[:1].isupper() and name.isidentifier():
            # torch.save(model) pickles the nn.Module tree: keep it as data (state_dict_candidates
            # reads its _parameters/_buffers); the classes are never imported.
            return self.ctx.inert_type(Placeholder, full)
        if module.split(".", 1)[0] in _CODE_MODULES or name.rsplit(".", 1)[-1] in _CODE_NAMES:
            raise SecurityError(f"refusing to load {self.ctx.filename}: the file references {full}")
        return self.ctx.inert_type(Placeholder, full)

    def persistent_load(self, pid: Any) -> StorageRef:
        arity = 6 if self.legacy else 5
        if not isinstance(pid, tuple) or len(pid) != arity or pid[0] != "storage":
            raise self._error(f"persistent id {_short(pid)} is not a {arity}-tuple "
                              "('storage', type, key, location, numel)")
        _, stype, key, location, numel = pid[:5]
        if not isinstance(stype, StorageType):
            raise self._error(f"persistent id names {_short(stype)}, not a storage type")
        if not isinstance(key, str) or not _DIGITS.fullmatch(key):
            raise self._error(f"storage key {_short(key)} is not a decimal number")
        if not isinstance(location, str):
            raise self._error(f"storage {key} has location {_short(location)}, not a string")
        if not _is_int(numel) or numel < 0:
            raise self._error(f"storage {key} has element count {_short(numel)}")
        if numel > MAX_ELEMENTS:
            raise self._error(f"storage {key} claims {numel} elements, more than the limit of {MAX_ELEMENTS}")
        ref = self._storage(stype.dtype, key, numel)
        view = pid[5] if self.legacy else None
        return ref if view is None else self._legacy_view(ref, key, view)

    def _storage(self, dtype: str, key: str, numel: int) -> StorageRef:
        cached = self._cache.get((key, dtype))
        if cached is not None:
            return cached
        where = f"{self.folder}/{key}" if self.folder else f"storage {key}"
        label = f"{self.ctx.filename}:{where}"
        if self.storages is None:
            raise self._error(f"references storage {key} but this pickle has no storages")
        size = itemsize(dtype)
        raw = self.storages(key, size, numel)
        if raw is not None and len(raw) != numel * size:
            if len(raw) == 0 and self.allow_empty and self._filled + numel * size <= MAX_EMPTY_FILL:
                self._filled += numel * size
                raw = memoryview(bytearray(numel * size))
            else:
                raise self._error(f"{where} holds {len(raw)} bytes but its pickle "
                                  f"claims {numel} {dtype} elements ({numel * size} bytes)")
        ref = StorageRef(dtype, raw, label)
        self._cache[(key, dtype)] = ref
        return ref

    def _legacy_view(self, root: StorageRef, key: str, view: Any) -> StorageRef:
        # Storage views of pre-1.0 files: (view_key, offset, size) in elements of the root.
        if not (isinstance(view, tuple) and len(view) == 3 and isinstance(view[0], str)
                and _DIGITS.fullmatch(view[0]) and _is_int(view[1]) and _is_int(view[2])):
            raise self._error(f"storage {key} has view metadata {_short(view)}")
        _, offset, size = view
        if root.raw is None:
            return root
        n = len(root.raw) // itemsize(root.dtype)
        if offset < 0 or size < 0 or offset + size > n:
            raise self._error(f"storage view {view[0]} ({offset}+{size}) lies outside storage {key} ({n})")
        step = itemsize(root.dtype)
        return StorageRef(root.dtype, root.raw[offset * step:(offset + size) * step], root.label)

    def _error(self, what: str) -> FormatError:
        return FormatError(f"{self.ctx.filename}: {self.member}: {what}")

    # -- allow-listed callables ----------------------------------------------------------------

    def _tensor(self, storage: Any, dtype: str, offset: Any, size: Any, stride: Any) -> TensorData | None:
        if not isinstance(storage, StorageRef):
            raise self._error(f"tensor rebuilt from {_short(storage)}, not a storage")
        if not (_is_int(offset) and isinstance(size, (tuple, list)) and isinstance(stride, (tuple, list))
                and all(_is_int(d) for d in size) and all(_is_int(s) for s in stride)):
            raise self._error(f"tensor has malformed offset/size/stride {_short((offset, size, stride))}")
        if storage.raw is None:
            return None  # scanning pass of a legacy file: storages are not read yet
        return TensorData(dtype, size, storage.raw, stride, offset, name=storage.label)

    def _rebuild_tensor(self, storage: Any, offset: Any, size: Any, stride: Any) -> TensorData | None:
        return self._tensor(storage, getattr(storage, "dtype", ""), offset, size, stride)

    def _rebuild_tensor_v2(self, storage: Any, offset: Any, size: Any, stride: Any,
                           requires_grad: Any = False, hooks: Any = None, metadata: Any = None):
        return self._rebuild_tensor(storage, offset, size, stride)

    def _rebuild_tensor_v3(self, storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any,
                           hooks: Any, dtype: Any, metadata: Any = None):
        if not isinstance(dtype, DType) or dtype not in DTYPES:
            raise self._error(f"_rebuild_tensor_v3 dtype {_short(dtype)} is not a torch dtype")
        return self._tensor(storage, str(dtype), offset, size, stride)

    def _rebuild_parameter(self, data: Any, requires_grad: Any, hooks: Any, state: Any = None):
        if data is not None and not isinstance(data, TensorData):
            raise self._error(f"parameter rebuilt from {_short(data)}, not a tensor")
        return data

    def _typed_list(self, items: Any) -> list:
        if not isinstance(items, list):
            raise self._error(f"torch.jit._pickle list builder got {_short(items)}")
        return list(items)

    def _codecs_encode(self, text: Any, encoding: Any = "utf-8") -> bytes:
        # Protocol 2 pickles bytes as _codecs.encode(str, 'latin1'); nothing else is allowed.
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise SecurityError(f"refusing to load {self.ctx.filename}: the file calls _codecs.encode "
                                f"with {_short(encoding)}")
        return text.encode("latin-1")

    def _bytearray(self, source: Any = b"", encoding: Any = None) -> bytearray:
        # bytearray(n) would allocate n bytes: only bytes/str sources (how pickles write it).
        if isinstance(source, (bytes, bytearray)) and encoding is None:
            return bytearray(source)
        if isinstance(source, str) and encoding in ("latin1", "latin-1"):
            return bytearray(source.encode("latin-1"))
        raise SecurityError(f"refusing to load {self.ctx.filename}: the file calls bytearray with "
                            f"{_short(source)}")


def _restore_type_tag(value: Any, type_str: Any = None) -> Any:
    return value


def _make_set(kind: type) -> Callable[..., Any]:
    def build(items: Any = ()) -> Any:
        if not isinstance(items, (list, tuple, set, frozenset)):
            raise FormatError(f"{kind.__name__} built from {_short(items)}")
        return kind(items)

    return build


def _complex(real: Any = 0.0, imag: Any = 0.0) -> complex:
    if not all(isinstance(v, (int, float)) for v in (real, imag)):
        raise FormatError(f"complex built from {_short((real, imag))}")
    return complex(real, imag)


# -- entry points --------------------------------------------------------------------------------

_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
                  AttributeError, OverflowError, RecursionError, MemoryError, UnicodeError)


def load_pickle(data: Any, ctx: PickleContext, member: str, storages: StorageResolver | None = None,
                folder: str = "data", allow_empty: bool = False) -> Any:
    """Unpickle one zip member (`data.pkl`, `constants.pkl`, ...) with the allow-list."""
    if len(data) > MAX_PICKLE:
        raise FormatError(f"{ctx.filename}: {member} is {len(data)} bytes, more than the limit of "
                          f"{MAX_PICKLE}")
    return load_from_stream(io.BytesIO(data), ctx, member, storages, folder, allow_empty)


def load_from_stream(file: Any, ctx: PickleContext, member: str, storages: StorageResolver | None,
                     folder: str = "data", allow_empty: bool = False, legacy: bool = False) -> Any:
    """Unpickle the next pickle in a stream (the legacy format holds several back to back)."""
    unpickler = SafeUnpickler(file, ctx, member, storages, folder, allow_empty, legacy)
    try:
        obj = unpickler.load()
    except FormatError as exc:
        if ctx.filename in str(exc):
            raise
        # Value types (Size, Device, sets...) do not know the file: name it here.
        raise FormatError(f"{ctx.filename}: {member}: {exc}") from None
    except _PICKLE_ERRORS as exc:
        raise FormatError(f"{ctx.filename}: {member} is not a valid torch pickle "
                          f"({type(exc).__name__}: {_short(str(exc))})") from None
    problem = nesting_problem(obj, f"{ctx.filename}: {member}")
    if problem:
        # CPython frees nested containers recursively: in Pyodide in a browser Worker a refused
        # 10000-deep pickle overflowed the JS stack while being freed. Free it one level at a time:
        # hold every container, drop the other references (the unpickler's memo, ours), then
        # release parents before children.
        keep = _containers(obj)
        unpickler.memo.clear()
        del obj
        for i in range(len(keep)):
            keep[i] = None
        raise FormatError(problem)
    return obj


def _children(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        kids = [*dict.keys(obj), *dict.values(obj)]
        extra = getattr(obj, "__dict__", None)
        return kids + list(extra.values()) if extra else kids
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, InertObject):
        return [*obj.__dict__.values(), obj._pickle_args, obj._pickle_state]
    return []


def _is_container(obj: Any) -> bool:
    return isinstance(obj, (dict, list, tuple, set, frozenset, InertObject))


def _containers(root: Any) -> list[Any]:
    """Every container reachable from root, parents before children (breadth first)."""
    seen = {id(root)}
    order = [root]
    for obj in order:
        for child in _children(obj):
            if _is_container(child) and id(child) not in seen:
                seen.add(id(child))
                order.append(child)
    return order


def nesting_problem(root: Any, where: str, limit: int = MAX_DEPTH) -> str | None:
    """Why root cannot be accepted: a reference cycle, or nesting deeper than `limit` (so that code
    walking the result, frontends and state_dict_candidates, can recurse safely); None when fine.
    Iterative: no recursion here. Returns rather than raises, so no traceback keeps root alive."""
    if not _is_container(root):
        return None
    height: dict[int, int] = {}
    on_path: set[int] = {id(root)}
    stack = [(root, iter(_children(root)), 0)]
    while stack:
        obj, kids, tallest = stack[-1]
        for child in kids:
            if not _is_container(child):
                continue
            cid = id(child)
            if cid in on_path:
                return f"{where}: contains a reference cycle"
            if cid in height:
                tallest = max(tallest, height[cid])
                if len(stack) + height[cid] > limit:
                    return f"{where}: nests deeper than {limit} levels"
                continue
            if len(stack) >= limit:
                return f"{where}: nests deeper than {limit} levels"
            stack[-1] = (obj, kids, tallest)
            stack.append((child, iter(_children(child)), 0))
            on_path.add(cid)
            break
        else:
            stack.pop()
            on_path.discard(id(obj))
            height[id(obj)] = tallest + 1
            if stack:
                parent, pkids, ptallest = stack[-1]
                stack[-1] = (parent, pkids, max(ptallest, tallest + 1))
    return None
