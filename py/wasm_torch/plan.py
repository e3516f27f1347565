"""The `.wtm` execution plan: a graph lowered to kernel ops, a static memory plan, and weights.

Spec: docs/wtm-format.md. The C runtime (wasm_kernels/runtime/plan.c) is the authority that
validates a plan before running it; this module writes plans and reads them back (for
round-trip checks, `wasm-torch run model.wtm`, and rejecting bad files early with a FormatError).

Stdlib only: it runs inside Pyodide. Weights are copied byte for byte from the graph's
zero-copy views; no arithmetic happens here (packing and layout changes happen in C at load).
"""

from __future__ import annotations

import enum
import hashlib
import math
import struct
from dataclasses import dataclass, field
from typing import Any

from .errors import FormatError, UnsupportedError

MAGIC = b"\x89WTM\r\n\x1a\n"  # PNG-style: a non-ASCII byte, then CR LF, ^Z, LF catch text-mode mangling
VERSION_MAJOR = 1
VERSION_MINOR = 6  # the newest minor this writer knows; plans get the lowest they need
ENVELOPE_BYTES = 64
HEADER_BYTES = 64
VALUE_BYTES = 56
IO_BYTES = 12
OP_HEADER_BYTES = 16
ALIGN = 64
MAX_RANK = 8
MAX_TENSOR_BYTES = 1 << 30
MAX_ARENA_BYTES = 1 << 30
MAX_FILE_BYTES = 2**31 - 1
MAX_VALUES = 1 << 20
MAX_OPS = 1 << 20
MAX_IO = 1024

# int64 since 1.1 (embedding ids); the rest since 1.4 (int32, uint8, float64, float16: casts and copies only)
DTYPE_CODES = {"float32": 1, "int64": 2, "bool": 3, "int32": 4, "uint8": 5, "float64": 6, "float16": 7}
ITEMSIZE = {"float32": 4, "int64": 8, "bool": 1, "int32": 4, "uint8": 1, "float64": 8, "float16": 2}
DTYPE_NAMES = {v: k for k, v in DTYPE_CODES.items()}
SPACE_ARENA = 0
SPACE_WEIGHTS = 1
SPACE_NAMES = {SPACE_ARENA: "arena", SPACE_WEIGHTS: "weights"}

GEMM_FLAG_KN = 1  # weight stored [K, N] (matmul's other) instead of [N, K] (Linear's weight)

_ENVELOPE = struct.Struct("<8sHHII12s32s")
_HEADER = struct.Struct("<13I12s")
_VALUE = struct.Struct("<BBBBIIII8II")
_IO = struct.Struct("<III")
_OP_HEADER = struct.Struct("<HBBIII")


class OpCode(enum.IntEnum):
    GEMM = 1     # y = clamp(x . W^T + bias, min, max); inputs x, w[, bias]
    CLAMP = 2    # y = clamp(x, min, max)
    ADD = 3      # y = a + b, same shapes
    RESHAPE = 4  # y aliases x's bytes: no work at run time
    COPY = 5     # y = x: a constant returned as an output is copied into the arena
    # 6..19: vision ops, NHWC activations (since 1.1; passes/lower_vision.py, passes/layout.py)
    CONV2D = 6               # inputs x, w[, bias][, gamma, beta, mean, var]: BN folded at load
    BATCH_NORM = 7           # inputs x, gamma, beta, mean, var: per channel (last dim)
    MAX_POOL2D = 8
    AVG_POOL2D = 9
    ADAPTIVE_AVG_POOL2D = 10
    LAYOUT = 11              # NCHW <-> NHWC; params (direction,)
    ADD_CLAMP = 12           # y = clamp(a + b, min, max), same shapes
    # 20..39: sequence/transformer ops (since 1.1; passes/lower_transformer.py)
    EMBEDDING = 20   # y = table[ids]: inputs table [V, D], ids int64
    BINARY = 21      # y = a OP b broadcast, or a OP scalar: params (op, flags, scalar)
    UNARY = 22       # y = op(x): params (op, p0, p1)
    LAYER_NORM = 23  # last dim: inputs x[, gamma][, beta]; params (flags, eps)
    SOFTMAX = 24     # last dim; params (flags: 1 = log_softmax)
    MATMUL = 25      # batched a @ b with b an activation; params (flags: 1 = b stored [.., N, K])
    TRANSPOSE = 26   # y = x.permute(perm); params perm padded to 8
    SLICE = 27       # params (dim, start, step); y's dim gives the length
    EXPAND = 28      # y = x broadcast to y's shape
    # 40..49: recurrent/sequence ops (since 1.2; passes/lower_sequence.py)
    LSTM = 40        # one layer direction: inputs x, w_ih, w_hh, b_ih, b_hh, h0, c0 -> y, h_n, c_n;
                     # params (flags: 1 = batch_first, 2 = reverse; state index)
    CAT = 41         # y = cat(inputs, dim); params (dim,)
    FLIP = 42        # y = x.flip(dim); params (dim,)
    # 50..69: dtype-aware elementwise ops and reductions (since 1.4; passes/lower_dtype.py)
    CAST = 50        # y = x converted to y's dtype (float32, int64, bool)
    ELEMWISE = 51    # y = a OP b broadcast, a and b of one dtype; params (op,): wt_elemwise_op
    WHERE = 52       # y = cond ? a : b broadcast; inputs cond (bool), a, b
    MAP = 53         # y = op(x) on int64/bool, float32 -> bool tests; params (op,): wt_map_op
    REDUCE = 54      # y = reduce x over dims [start, end); params (op, start, end, p)
    SCAN = 55        # cumsum/cumprod along dim; params (op, dim)
    TOPK = 56        # (1.6) the k best of the last dim, sorted -> values, int64 indices; params (k, flags: 1 = largest)
    SOFTMAX_DIM = 57  # (1.6) (log_)softmax over any dim; params (dim, flags: 1 = log_softmax)
    # 70..89: more vision ops (since 1.5; passes/lower_spatial.py); NHWC unless said otherwise
    CONV_TRANSPOSE2D = 70     # inputs x, w [IC, OC/groups, KH, KW][, bias]; params (flags: 1 = bias,
                              # groups, stride h/w, padding t/l/b/r, dilation h/w, output_padding h/w)
    PAD = 71                  # any layout: params (mode: constant/reflect/replicate/circular, value,
                              # before/after per dim of the stored bytes, 16 words); negative crops
    MAX_POOL2D_INDICES = 72   # params as MAX_POOL2D; outputs y, indices (int64, NCHW as torch's)
    ADAPTIVE_MAX_POOL2D = 73
    UPSAMPLE2D = 74           # params (flags: 1 align_corners, 2 linear, 4 nearest shortcut; 1/scale h, w)
    GROUP_NORM = 75           # NCHW [N, C, *]: inputs x[, gamma][, beta]; params (flags, groups, eps)
    # 90..109: recurrent, attention and indexing ops (since 1.3; passes/lower_sequence.py, ...)
    GRU = 90         # one layer direction: inputs x, w_ih, w_hh, b_ih, b_hh, h0 -> y, h_n; params as LSTM
    RNN = 91         # as GRU; params (flags: 4 = relu nonlinearity, else tanh; state index)
    SDPA = 92        # scaled dot-product attention: inputs q, k, v[, mask]; params (flags: 1 = causal; scale)
    RMS_NORM = 93    # over the trailing row length elements: inputs x[, gamma]; params (row length, eps)
    INDEX = 94       # y = x[..., i0, i1, ...] from dim first: inputs x, int64 indices; params (first,)
    INDEX_PUT = 95   # y = x, x[.., i0, ..] = (or +=) values: inputs x, values, indices; params (first, accumulate)
    GATHER = 96      # y = x.gather(dim, index): inputs x, int64 index; params (dim,)


# Operand counts (min inputs, max inputs, outputs) and attribute layout per op code.
OP_OPERANDS = {OpCode.GEMM: (2, 3, 1), OpCode.CLAMP: (1, 1, 1), OpCode.ADD: (2, 2, 1),
               OpCode.RESHAPE: (1, 1, 1), OpCode.COPY: (1, 1, 1),
               OpCode.CONV2D: (2, 7, 1), OpCode.BATCH_NORM: (5, 5, 1), OpCode.MAX_POOL2D: (1, 1, 1),
               OpCode.AVG_POOL2D: (1, 1, 1), OpCode.ADAPTIVE_AVG_POOL2D: (1, 1, 1), OpCode.LAYOUT: (1, 1, 1),
               OpCode.ADD_CLAMP: (2, 2, 1),
               OpCode.CONV_TRANSPOSE2D: (2, 3, 1), OpCode.PAD: (1, 1, 1), OpCode.MAX_POOL2D_INDICES: (1, 1, 2),
               OpCode.ADAPTIVE_MAX_POOL2D: (1, 1, 1), OpCode.UPSAMPLE2D: (1, 1, 1), OpCode.GROUP_NORM: (1, 3, 1),
               OpCode.EMBEDDING: (2, 2, 1), OpCode.BINARY: (1, 2, 1), OpCode.UNARY: (1, 1, 1),
               OpCode.LAYER_NORM: (1, 3, 1), OpCode.SOFTMAX: (1, 1, 1), OpCode.MATMUL: (2, 2, 1),
               OpCode.TRANSPOSE: (1, 1, 1), OpCode.SLICE: (1, 1, 1), OpCode.EXPAND: (1, 1, 1),
               OpCode.LSTM: (7, 7, 3), OpCode.CAT: (1, 8, 1), OpCode.FLIP: (1, 1, 1),
               OpCode.CAST: (1, 1, 1), OpCode.ELEMWISE: (2, 2, 1), OpCode.WHERE: (3, 3, 1),
               OpCode.MAP: (1, 1, 1), OpCode.REDUCE: (1, 1, 1), OpCode.SCAN: (1, 1, 1),
               OpCode.TOPK: (1, 1, 2), OpCode.SOFTMAX_DIM: (1, 1, 1),
               OpCode.GRU: (6, 6, 2), OpCode.RNN: (6, 6, 2), OpCode.SDPA: (3, 4, 1), OpCode.RMS_NORM: (1, 2, 1),
               OpCode.INDEX: (2, 8, 1), OpCode.INDEX_PUT: (3, 8, 1), OpCode.GATHER: (2, 2, 1)}
_ATTRS = {OpCode.GEMM: struct.Struct("<Iff"), OpCode.CLAMP: struct.Struct("<ff"), OpCode.ADD: struct.Struct("<"),
          OpCode.RESHAPE: struct.Struct("<"), OpCode.COPY: struct.Struct("<"),
          OpCode.CONV2D: struct.Struct("<10Ifff"), OpCode.BATCH_NORM: struct.Struct("<fff"),
          OpCode.MAX_POOL2D: struct.Struct("<9I"), OpCode.AVG_POOL2D: struct.Struct("<8Ii"),
          OpCode.ADAPTIVE_AVG_POOL2D: struct.Struct("<"), OpCode.LAYOUT: struct.Struct("<I"),
          OpCode.ADD_CLAMP: struct.Struct("<ff"),
          OpCode.CONV_TRANSPOSE2D: struct.Struct("<12Iff"), OpCode.PAD: struct.Struct("<If16i"),
          OpCode.MAX_POOL2D_INDICES: struct.Struct("<9I"), OpCode.ADAPTIVE_MAX_POOL2D: struct.Struct("<"),
          OpCode.UPSAMPLE2D: struct.Struct("<Iff"), OpCode.GROUP_NORM: struct.Struct("<IIf"),
          OpCode.EMBEDDING: struct.Struct("<"), OpCode.BINARY: struct.Struct("<IIf"),
          OpCode.UNARY: struct.Struct("<Iff"), OpCode.LAYER_NORM: struct.Struct("<If"),
          OpCode.SOFTMAX: struct.Struct("<I"), OpCode.MATMUL: struct.Struct("<I"),
          OpCode.TRANSPOSE: struct.Struct("<8I"), OpCode.SLICE: struct.Struct("<III"),
          OpCode.EXPAND: struct.Struct("<"), OpCode.LSTM: struct.Struct("<II"), OpCode.CAT: struct.Struct("<I"),
          OpCode.FLIP: struct.Struct("<I"), OpCode.CAST: struct.Struct("<"), OpCode.ELEMWISE: struct.Struct("<I"),
          OpCode.WHERE: struct.Struct("<"), OpCode.MAP: struct.Struct("<I"), OpCode.REDUCE: struct.Struct("<IIIf"),
          OpCode.SCAN: struct.Struct("<II"), OpCode.TOPK: struct.Struct("<II"),
          OpCode.SOFTMAX_DIM: struct.Struct("<II"), OpCode.GRU: struct.Struct("<II"), OpCode.RNN: struct.Struct("<II"),
          OpCode.SDPA: struct.Struct("<If"), OpCode.RMS_NORM: struct.Struct("<If"), OpCode.INDEX: struct.Struct("<I"),
          OpCode.INDEX_PUT: struct.Struct("<II"), OpCode.GATHER: struct.Struct("<I")}
# Op codes whose attributes are PlanOp.params as they are packed (the 1.1 additions).
PARAM_CODES = frozenset(code for code in OpCode if code > OpCode.COPY)
# Op codes whose last two attributes are a clamp epilogue (PlanOp.min, max) after their params.
CLAMPED_CODES = frozenset({OpCode.CONV2D, OpCode.BATCH_NORM, OpCode.ADD_CLAMP, OpCode.CONV_TRANSPOSE2D})


def align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class PlanValue:
    shape: tuple[int, ...]
    space: int = SPACE_ARENA
    offset: int = 0
    dtype: str = "float32"

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * ITEMSIZE[self.dtype]


@dataclass
class PlanOp:
    code: OpCode
    inputs: list[str]
    outputs: list[str]
    name: str                     # what it computes, in canonical op names: "linear+relu"
    source: str = ""              # where it came from in the model
    flags: int = 0                # GEMM_FLAG_*
    min: float = -math.inf        # clamp bounds (GEMM epilogue, CLAMP)
    max: float = math.inf
    params: tuple[Any, ...] = ()  # attributes of PARAM_CODES ops, in their packed order

    @property
    def label(self) -> str:
        return f"{self.name} at {self.source}" if self.source else self.name

    def attrs(self) -> tuple[Any, ...]:
        if self.code == OpCode.GEMM:
            return (self.flags, self.min, self.max)
        if self.code == OpCode.CLAMP:
            return (self.min, self.max)
        if self.code in CLAMPED_CODES:
            return (*self.params, self.min, self.max)
        if self.code in PARAM_CODES:
            return self.params
        return ()


@dataclass
class Plan:
    values: dict[str, PlanValue]                 # insertion order gives the value ids
    ops: list[PlanOp]
    inputs: list[tuple[str, str]]                # (value, user-facing name)
    outputs: list[tuple[str, str]]
    arena_bytes: int = 0
    weights: dict[str, memoryview] = field(default_factory=dict)  # weights-space value -> its bytes
    weights_bytes: int = 0
    version_minor: int = VERSION_MINOR

    def activation_bytes(self) -> int:
        """What the arena would need with no reuse: every arena buffer (aliases once), 64-aligned."""
        aliases = {op.outputs[0] for op in self.ops if op.code == OpCode.RESHAPE}
        return sum(align(v.nbytes) for n, v in self.values.items() if v.space == SPACE_ARENA and n not in aliases)

    def summary(self) -> str:
        """A canonical text form: equal for a plan and the same plan written and read back."""

        def val(name: str) -> str:
            v = self.values[name]
            return f"%{name}: {v.dtype}{list(v.shape)} @{SPACE_NAMES[v.space]}+{v.offset}"

        lines = [f"wtm {VERSION_MAJOR}.{self.version_minor}: arena {self.arena_bytes} bytes, "
                 f"weights {self.weights_bytes} bytes"]
        lines += [f"input {user}: {val(name)}" for name, user in self.inputs]
        for op in self.ops:
            attrs = ""
            if op.code == OpCode.GEMM:
                attrs = f"; weight {'KxN' if op.flags & GEMM_FLAG_KN else 'NxK'}"
            clamped = op.code in CLAMPED_CODES or op.code in (OpCode.GEMM, OpCode.CLAMP)
            if clamped and (op.min, op.max) != (-math.inf, math.inf):
                attrs += f"; clamp [{op.min:g}, {op.max:g}]"
            if op.params:
                attrs += f"; {', '.join(f'{p:g}' if isinstance(p, float) else str(p) for p in op.params)}"
            lines.append(f"{', '.join(map(val, op.outputs))} = {op.code.name.lower()}"
                         f"({', '.join(map(val, op.inputs))}{attrs})  # {op.label}")
        lines += [f"output {user}: {val(name)}" for name, user in self.outputs]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# graph -> plan


def build_plan(graph: Any) -> Plan:
    """Lower a canonical graph (ir.Graph) for the wasm backend and lay out its memory.

    Raises UnsupportedError listing every op the kernels lack, with its source location.
    """
    from .passes.arena import plan_arena
    from .passes.dce import eliminate_dead_code
    from .passes.fuse import fuse_clamps
    from .passes.lower_wasm import lower_for_wasm

    low = lower_for_wasm(eliminate_dead_code(graph))
    ops = fuse_clamps(low.ops, {name for name, _ in low.outputs})
    # value ids: inputs, then in order of first use
    order = list(dict.fromkeys([n for n, _ in low.inputs] + [n for op in ops for n in op.inputs + op.outputs]
                               + [n for n, _ in low.outputs]))
    arena = plan_arena(ops, [name for name, _ in low.inputs], [name for name, _ in low.outputs],
                       {name: PlanValue(tuple(low.shapes[name]), dtype=low.dtypes.get(name, "float32")).nbytes
                        for name in order}, set(low.constants))
    offsets, weights, weights_bytes = _layout_weights([arena.root[n] for n in order], low.constants)
    values = {}
    for name in order:
        root = arena.root[name]
        dtype = low.dtypes.get(name, "float32")
        if root in low.constants:
            values[name] = PlanValue(tuple(low.shapes[name]), SPACE_WEIGHTS, offsets[root], dtype)
        else:
            values[name] = PlanValue(tuple(low.shapes[name]), SPACE_ARENA, arena.offsets[root], dtype)
    big = [n for n, v in values.items() if v.nbytes > MAX_TENSOR_BYTES]
    if big or arena.arena_bytes > MAX_ARENA_BYTES:
        raise UnsupportedError(f"the model needs {arena.arena_bytes} bytes of activations"
                               f"{' and tensors ' + ', '.join(big[:3]) if big else ''}: above the wasm "
                               f"runtime's limit of {MAX_ARENA_BYTES} bytes")
    # 1.0 readers know float32 and op codes 1..5 only
    minor = 0 if all(op.code <= OpCode.COPY for op in ops) and all(v.dtype == "float32" for v in values.values()) else 1
    minor = 2 if any(op.code >= OpCode.LSTM for op in ops) else minor
    minor = 3 if any(op.code >= OpCode.GRU for op in ops) else minor
    if any(OpCode.CAST <= op.code <= OpCode.SCAN for op in ops) \
            or any(v.dtype not in ("float32", "int64") for v in values.values()):
        minor = 4
    if any(OpCode.CONV_TRANSPOSE2D <= op.code <= OpCode.GROUP_NORM for op in ops):
        minor = 5
    if any(op.code in (OpCode.TOPK, OpCode.SOFTMAX_DIM) for op in ops):
        minor = 6
    return Plan(values, ops, low.inputs, low.outputs, arena.arena_bytes, weights, weights_bytes, minor)


def _layout_weights(roots: list[str], constants: dict[str, Any]) -> tuple[dict[str, int], dict[str, memoryview], int]:
    """64-byte aligned offsets for the constants the plan reads, in order of first use; one copy
    per distinct tensor, so tied weights are stored once."""
    offsets: dict[str, int] = {}
    weights: dict[str, memoryview] = {}
    by_tensor: dict[int, int] = {}
    end = 0
    for name in roots:
        if name not in constants or name in offsets:
            continue
        data = constants[name]
        if id(data) not in by_tensor:
            by_tensor[id(data)] = end
            weights[name] = data.raw()
            end = align(end + data.nbytes)
        offsets[name] = by_tensor[id(data)]
    return offsets, weights, end


# ---------------------------------------------------------------------------------------------
# plan -> bytes


def write_plan(plan: Plan) -> bytes:
    ids = {name: i for i, name in enumerate(plan.values)}
    strings = bytearray()

    def string(text: str) -> tuple[int, int]:
        data = text.encode("utf-8")
        strings.extend(data)
        return len(strings) - len(data), len(data)

    values = bytearray()
    for name, v in plan.values.items():
        if len(v.shape) > MAX_RANK:
            raise FormatError(f"value {name}: rank {len(v.shape)} above the plan format's {MAX_RANK}")
        dims = list(v.shape) + [0] * (MAX_RANK - len(v.shape))
        values += _VALUE.pack(DTYPE_CODES[v.dtype], v.space, len(v.shape), 0, v.offset, v.nbytes,
                              *string(name), *dims, 0)
    io = bytearray()
    for name, user in plan.inputs + plan.outputs:
        io += _IO.pack(ids[name], *string(user))
    ops = bytearray()
    for op in plan.ops:
        operands = [ids[n] for n in op.inputs + op.outputs]
        attrs = _ATTRS[op.code].pack(*op.attrs())
        record = OP_HEADER_BYTES + 4 * len(operands) + len(attrs)
        ops += _OP_HEADER.pack(op.code, len(op.inputs), len(op.outputs), record, *string(op.label))
        ops += struct.pack(f"<{len(operands)}I", *operands) + attrs

    values_off = ENVELOPE_BYTES + HEADER_BYTES
    ops_off = values_off + len(values)
    io_off = ops_off + len(ops)
    strings_off = io_off + len(io)
    weights_off = align(strings_off + len(strings))
    file_bytes = weights_off + plan.weights_bytes
    if file_bytes > MAX_FILE_BYTES:
        raise FormatError(f"the plan would be {file_bytes} bytes, above the format's limit of {MAX_FILE_BYTES}")
    out = bytearray(file_bytes)
    _HEADER.pack_into(out, ENVELOPE_BYTES, len(plan.values), len(plan.ops), len(plan.inputs), len(plan.outputs),
                      plan.arena_bytes, values_off, ops_off, len(ops), io_off, strings_off, len(strings),
                      weights_off, plan.weights_bytes, bytes(12))
    out[values_off:ops_off] = values
    out[ops_off:io_off] = ops
    out[io_off:strings_off] = io
    out[strings_off:strings_off + len(strings)] = strings
    for name, data in plan.weights.items():
        start = weights_off + plan.values[name].offset
        out[start:start + len(data)] = data
    digest = hashlib.sha256(memoryview(out)[ENVELOPE_BYTES:]).digest()
    _ENVELOPE.pack_into(out, 0, MAGIC, VERSION_MAJOR, plan.version_minor, file_bytes, 0, bytes(12), digest)
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# bytes -> plan


def is_plan(data: bytes | bytearray | memoryview) -> bool:
    return bytes(data[:8]) == MAGIC


def read_plan(data: bytes | bytearray | memoryview, filename: str = "plan") -> Plan:
    """Parse and check a plan's framing (the C runtime re-checks everything, shapes included)."""
    mv = memoryview(data).cast("B")

    def bad(msg: str) -> FormatError:
        return FormatError(f"{filename}: {msg}")

    if len(mv) < ENVELOPE_BYTES:
        raise bad(f"{len(mv)} bytes, shorter than the {ENVELOPE_BYTES}-byte .wtm envelope")
    magic, major, minor, file_bytes, flags, reserved, digest = _ENVELOPE.unpack_from(mv)
    if magic != MAGIC:
        raise bad("not a .wtm plan (bad magic)")
    if major != VERSION_MAJOR:
        raise bad(f"plan version {major}.{minor}, this reader reads {VERSION_MAJOR}.x")
    if file_bytes != len(mv):
        raise bad(f"plan declares {file_bytes} bytes, the file has {len(mv)} (truncated or padded)")
    if file_bytes < ENVELOPE_BYTES + HEADER_BYTES:
        raise bad(f"{file_bytes} bytes, shorter than the plan headers")
    if flags or any(reserved):
        raise bad("envelope flags or reserved bytes are not zero")
    if hashlib.sha256(mv[ENVELOPE_BYTES:]).digest() != digest:
        raise bad("payload SHA-256 does not match the envelope (corrupt or modified plan)")
    (n_values, n_ops, n_inputs, n_outputs, arena_bytes, values_off, ops_off, ops_bytes, io_off, strings_off,
     strings_bytes, weights_off, weights_bytes, reserved) = _HEADER.unpack_from(mv, ENVELOPE_BYTES)
    if any(reserved):
        raise bad("plan header reserved bytes are not zero")
    if n_values > MAX_VALUES or n_ops > MAX_OPS or n_inputs + n_outputs > MAX_IO or arena_bytes > MAX_ARENA_BYTES:
        raise bad(f"{n_values} values, {n_ops} ops, {n_inputs + n_outputs} inputs/outputs, arena {arena_bytes} "
                  f"bytes: above the format's limits")
    strings_end = strings_off + strings_bytes
    if (values_off != ENVELOPE_BYTES + HEADER_BYTES or ops_off != values_off + n_values * VALUE_BYTES
            or io_off != ops_off + ops_bytes or strings_off != io_off + (n_inputs + n_outputs) * IO_BYTES
            or weights_off != align(strings_end) or weights_off + weights_bytes != file_bytes):
        raise bad("sections do not tile the file")
    if any(mv[strings_end:weights_off]):
        raise bad("padding before the weights is not zero")
    strings = mv[strings_off:strings_end]

    def text(off: int, length: int, what: str) -> str:
        if off + length > len(strings):
            raise bad(f"{what}: name past the string table")
        return bytes(strings[off:off + length]).decode("utf-8", errors="replace")

    names: list[str] = []
    values: dict[str, PlanValue] = {}
    for i in range(n_values):
        dtype, space, rank, pad, offset, nbytes, name_off, name_len, *dims, tail = _VALUE.unpack_from(
            mv, values_off + i * VALUE_BYTES)
        name = text(name_off, name_len, f"value {i}")
        if name in values:
            name = f"{name}#{i}"
        if dtype not in DTYPE_NAMES or space not in SPACE_NAMES or rank > MAX_RANK or pad or tail or any(dims[rank:]):
            raise bad(f"value {i} ({name}): bad dtype, space, rank or reserved bytes")
        v = PlanValue(tuple(dims[:rank]), space, offset, DTYPE_NAMES[dtype])
        limit = arena_bytes if space == SPACE_ARENA else weights_bytes
        if v.nbytes > MAX_TENSOR_BYTES or nbytes != v.nbytes or offset % ALIGN or offset + nbytes > limit:
            raise bad(f"value {i} ({name}): {nbytes} bytes at {offset} do not fit shape {list(v.shape)} "
                      f"in the {SPACE_NAMES[space]} ({limit} bytes)")
        names.append(name)
        values[name] = v

    def value_name(i: int, what: str) -> str:
        if i >= n_values:
            raise bad(f"{what} refers to value {i}, the plan has {n_values}")
        return names[i]

    io = []
    for i in range(n_inputs + n_outputs):
        vid, name_off, name_len = _IO.unpack_from(mv, io_off + i * IO_BYTES)
        what = f"input {i}" if i < n_inputs else f"output {i - n_inputs}"
        io.append((value_name(vid, what), text(name_off, name_len, what)))
        if values[io[-1][0]].space != SPACE_ARENA:
            raise bad(f"{what} is not in the arena")

    ops: list[PlanOp] = []
    pos, end = ops_off, ops_off + ops_bytes
    for i in range(n_ops):
        if end - pos < OP_HEADER_BYTES:
            raise bad(f"op {i}: record past the op section")
        code, n_in, n_out, record_bytes, label_off, label_len = _OP_HEADER.unpack_from(mv, pos)
        label = text(label_off, label_len, f"op {i}")
        if code not in OP_OPERANDS:
            raise bad(f"op {i} ({label}): op code {code} unknown (plan version {major}.{minor}, "
                      f"this reader reads {VERSION_MAJOR}.{VERSION_MINOR})")
        code = OpCode(code)
        lo, hi, outs = OP_OPERANDS[code]
        attrs = _ATTRS[code]
        if not lo <= n_in <= hi or n_out != outs or record_bytes != OP_HEADER_BYTES + 4 * (n_in + n_out) + attrs.size \
                or record_bytes > end - pos:
            raise bad(f"op {i} ({label}): bad operand count or record size")
        ids = struct.unpack_from(f"<{n_in + n_out}I", mv, pos + OP_HEADER_BYTES)
        operands = [value_name(x, f"op {i}") for x in ids]
        op = PlanOp(code, operands[:n_in], operands[n_in:], label)
        fields = attrs.unpack_from(mv, pos + OP_HEADER_BYTES + 4 * (n_in + n_out))
        if code == OpCode.GEMM:
            op.flags, op.min, op.max = fields
        elif code == OpCode.CLAMP:
            op.min, op.max = fields
        elif code in CLAMPED_CODES:
            op.params, op.min, op.max = tuple(fields[:-2]), fields[-2], fields[-1]
        elif code in PARAM_CODES:
            op.params = fields
        ops.append(op)
        pos += record_bytes
    if pos != end:
        raise bad("bytes left over after the last op")
    weights_mv = mv[weights_off:file_bytes]
    aliases = {op.outputs[0] for op in ops if op.code == OpCode.RESHAPE}
    weights = {n: weights_mv[v.offset:v.offset + v.nbytes] for n, v in values.items()
               if v.space == SPACE_WEIGHTS and n not in aliases}
    return Plan(values, ops, io[:n_inputs], io[n_inputs:], arena_bytes, weights, weights_bytes, minor)
