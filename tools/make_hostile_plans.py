"""Writes tests/hostile/plans/: a small valid plan and hostile variants of it.

    python tools/make_hostile_plans.py [OUT_DIR]

valid_mlp.wtm    flatten -> linear+relu -> linear+clamp -> residual add -> linear, batch 3, with
valid_mlp.json   its input and the float64 expected output (computed here, stdlib only).
*.wtm            one defect each, re-signed with a correct SHA-256 unless the checksum is the
                 defect, so the runtime's structural checks are what must catch them.
expected.json    file -> {"status": wt_status code, "message": substring of the runtime's error,
                 "reader": whether plan.read_plan (framing checks only) rejects it too}

tests/node/plan.test.mjs loads every file into the kernel module (both variants);
tests/test_plan.py checks the Python reader and that this script's output is up to date.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "py"))

from wasm_torch.formats.tensor import TensorData  # noqa: E402
from wasm_torch.ir import Graph, TensorMeta  # noqa: E402
from wasm_torch.plan import (  # noqa: E402
    ENVELOPE_BYTES,
    OP_HEADER_BYTES,
    VALUE_BYTES,
    build_plan,
    write_plan,
)

OUT = os.path.join(ROOT, "tests", "hostile", "plans")
BATCH, C, H, W, HIDDEN, CLASSES = 3, 2, 4, 8, 7, 3  # input [BATCH, C, H] flattens to [BATCH, W]


def _values(n: int, seed: int) -> list[float]:
    """Deterministic small floats, exact in float32 (multiples of 1/16)."""
    return [((i * 37 + seed * 11) % 17 - 8) / 16 for i in range(n)]


def _const(g: Graph, name: str, shape: tuple[int, ...], seed: int):
    n = 1
    for d in shape:
        n *= d
    data = TensorData("float32", shape, struct.pack(f"<{n}f", *_values(n, seed)), name=name)
    return g.add_constant(name, data, name)


def valid_graph() -> Graph:
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (BATCH, C, H)))
    g.input_names = ["x"]
    w1, b1 = _const(g, "fc1.weight", (HIDDEN, W), 1), _const(g, "fc1.bias", (HIDDEN,), 2)
    w2, b2 = _const(g, "fc2.weight", (HIDDEN, HIDDEN), 3), _const(g, "fc2.bias", (HIDDEN,), 4)
    w3 = _const(g, "fc3.weight", (CLASSES, HIDDEN), 5)
    (flat,) = g.add_node("reshape", {"self": x, "shape": [BATCH, W]}, "flatten")
    (h,) = g.add_node("linear", {"input": flat, "weight": w1, "bias": b1}, "fc1")
    (h,) = g.add_node("relu", {"self": h}, "relu")
    (r,) = g.add_node("linear", {"input": h, "weight": w2, "bias": b2}, "fc2")
    (r,) = g.add_node("clamp", {"self": r, "min": -0.5, "max": 1.0}, "clamp")
    (s,) = g.add_node("add", {"self": h, "other": r, "alpha": 1}, "residual")
    (y,) = g.add_node("linear", {"input": s, "weight": w3, "bias": None}, "fc3")
    g.outputs = [y.name]
    g.output_names = ["logits"]
    return g


def expected_output(x: list[float]) -> list[float]:
    def linear(rows, weight, bias, n_out, n_in):
        return [[sum(r[k] * weight[j * n_in + k] for k in range(n_in)) + (bias[j] if bias else 0.0)
                 for j in range(n_out)] for r in rows]

    rows = [x[i * W:(i + 1) * W] for i in range(BATCH)]
    h = [[max(v, 0.0) for v in r] for r in linear(rows, _values(HIDDEN * W, 1), _values(HIDDEN, 2), HIDDEN, W)]
    r = [[min(max(v, -0.5), 1.0) for v in row]
         for row in linear(h, _values(HIDDEN * HIDDEN, 3), _values(HIDDEN, 4), HIDDEN, HIDDEN)]
    s = [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(h, r)]
    return [v for row in linear(s, _values(CLASSES * HIDDEN, 5), None, CLASSES, HIDDEN) for v in row]


# ---- byte surgery on a written plan -----------------------------------------------------------

def _header(b: bytes) -> list[int]:
    return list(struct.unpack_from("<13I", b, ENVELOPE_BYTES))


def _value_pos(b: bytes, i: int) -> int:
    return _header(b)[5] + i * VALUE_BYTES


def _op_pos(b: bytes, i: int) -> int:
    pos = _header(b)[6]
    for _ in range(i):
        pos += struct.unpack_from("<I", b, pos + 4)[0]
    return pos


def _value_id(b: bytes, name: str) -> int:
    h = _header(b)
    for i in range(h[0]):
        off, length = struct.unpack_from("<II", b, _value_pos(b, i) + 12)
        if bytes(b[h[9] + off:h[9] + off + length]).decode() == name:
            return i
    raise KeyError(name)


def _resign(b: bytearray) -> bytearray:
    b[32:64] = hashlib.sha256(b[ENVELOPE_BYTES:]).digest()
    return b


def _patch(base: bytes, fmt: str, pos: int, *values, sign: bool = True) -> bytes:
    b = bytearray(base)
    struct.pack_into(fmt, b, pos, *values)
    return bytes(_resign(b) if sign else b)


def hostile_cases(base: bytes) -> dict[str, tuple[bytes, int, str, bool]]:
    """name -> (bytes, status, message substring, rejected by the Python reader too)."""
    h = _header(base)
    n_values, arena_bytes, weights_bytes = h[0], h[4], h[12]
    x, w1 = _value_id(base, "x"), _value_id(base, "fc1.weight")
    hidden = _value_id(base, "relu")  # fc1's fused output
    gemm1 = _op_pos(base, 1)          # op 0 is the flatten reshape, op 1 the first GEMM
    io_off = h[8]
    gemm_bytes = struct.unpack_from("<I", base, gemm1 + 4)[0]
    gemm_attrs = gemm1 + OP_HEADER_BYTES + 4 * (base[gemm1 + 2] + base[gemm1 + 3])  # flags, min, max
    x_offset = struct.unpack_from("<I", base, _value_pos(base, x) + 4)[0]
    hidden_offset = struct.unpack_from("<I", base, _value_pos(base, hidden) + 4)[0]
    v = _value_pos
    cases = {
        "empty.wtm": (b"", 1, "shorter than its 64-byte envelope", True),
        "truncated.wtm": (base[:-100], 1, "truncated", True),
        "truncated_in_header.wtm": (base[:100], 1, "truncated", True),
        "bad_magic.wtm": (b"PK\x03\x04" + base[4:], 2, "bad magic", True),
        "version_2.wtm": (_patch(base, "<H", 8, 2, sign=False), 3, "plan version 2.0", True),
        "bad_checksum.wtm": (_patch(base, "<B", len(base) - 1, base[-1] ^ 1, sign=False), 4, "SHA-256", True),
        "trailing_bytes.wtm": (base + bytes(64), 5, "follow the plan's declared end", True),
        "envelope_flags.wtm": (_patch(base, "<I", 16, 1, sign=False), 5, "flags or reserved", True),
        "sections_do_not_tile.wtm": (_patch(base, "<I", ENVELOPE_BYTES + 8, h[2] + 1), 5, "do not tile", True),
        "arena_over_limit.wtm": (_patch(base, "<I", ENVELOPE_BYTES + 16, 1 << 31), 10, "arena of", True),
        "too_many_values.wtm": (_patch(base, "<I", ENVELOPE_BYTES, 1 << 24), 10, "above the limits", True),
        "value_past_arena.wtm": (_patch(base, "<I", v(base, hidden) + 4, arena_bytes), 6, "past the arena", True),
        "weight_past_weights.wtm": (_patch(base, "<I", v(base, w1) + 4, weights_bytes), 6, "past the weights", True),
        "offset_unaligned.wtm": (_patch(base, "<I", v(base, hidden) + 4, 4), 6, "not 64-byte aligned", True),
        "huge_shape.wtm": (_patch(base, "<II", v(base, w1) + 20, 2**31 - 1, 2**31 - 1), 10, "more than", True),
        "dim_over_2_31.wtm": (_patch(base, "<I", v(base, w1) + 20, 2**31), 10, "above 2^31 - 1", True),
        "nbytes_mismatch.wtm": (_patch(base, "<I", v(base, w1) + 8, 4), 6, "bytes declared", True),
        "bad_dtype.wtm": (_patch(base, "<B", v(base, x), 99), 6, "dtype code 99 unknown", True),
        "rank_9.wtm": (_patch(base, "<B", v(base, x) + 2, 9), 6, "rank 9", True),
        "bad_op_code.wtm": (_patch(base, "<H", gemm1, 99), 7, "op code 99 unknown", True),
        "op_code_zero.wtm": (_patch(base, "<H", gemm1, 0), 7, "op code 0 unknown", True),
        "operand_out_of_range.wtm": (_patch(base, "<I", gemm1 + OP_HEADER_BYTES, 100000), 8, "the plan has", True),
        "operand_count.wtm": (_patch(base, "<B", gemm1 + 2, 1), 8, "inputs and", True),
        "op_record_size.wtm": (_patch(base, "<I", gemm1 + 4, gemm_bytes + 4), 5, "record is", True),
        "name_past_strings.wtm": (_patch(base, "<I", v(base, x) + 16, 1 << 30), 5, "past the", True),
        "io_value_out_of_range.wtm": (_patch(base, "<I", io_off + 12, n_values), 11, "the plan has", True),
        "input_in_weights.wtm": (_patch(base, "<I", io_off, w1), 11, "not in the arena", True),
        # semantic defects: framing is fine, so only the runtime's per-op checks catch them
        "gemm_output_shape.wtm": (_patch(base, "<II", v(base, hidden) + 20, HIDDEN, BATCH), 9, "has shape", False),
        "gemm_weight_shape.wtm": (_patch(base, "<II", v(base, w1) + 20, W, HIDDEN), 9, "do not match", False),
        "read_before_write.wtm": (_patch(base, "<I", gemm1 + OP_HEADER_BYTES, _value_id(base, "add")), 8,
                                  "before it is written", False),
        "output_overlaps_input.wtm": (_patch(base, "<I", v(base, hidden) + 4, x_offset), 8, "overlaps", False),
        "clamp_bound_nan.wtm": (_patch(base, "<I", gemm_attrs + 4, 0x7FC00000), 8, "NaN", False),
        "reshape_not_alias.wtm": (_patch(base, "<I", v(base, _value_id(base, "reshape")) + 4, hidden_offset), 8,
                                  "alias", False),
        "input_written_by_op.wtm": (_patch(base, "<I", io_off, hidden), 11, "written by an op", False),
    }
    return cases


def embedding_graph() -> Graph:
    """ids int64 [2, 3] -> embedding of a [5, 4] table -> layer_norm -> softmax: the base of the
    transformer op codes' hostile cases."""
    g = Graph()
    ids = g.add_input("ids", TensorMeta("int64", (2, 3)))
    g.input_names = ["ids"]
    table = _const(g, "table", (5, 4), 6)
    (e,) = g.add_node("index", {"self": table, "indices": [ids]}, "embedding")
    (n,) = g.add_node("layer_norm", {"input": e, "normalized_shape": [4], "weight": None, "bias": None,
                                     "eps": 1e-5, "cudnn_enable": False}, "norm")
    (y,) = g.add_node("softmax", {"self": n, "dim": -1, "dtype": None}, "softmax")
    g.outputs = [y.name]
    g.output_names = ["probs"]
    return g


def transformer_cases(base: bytes) -> dict[str, tuple[bytes, int, str, bool]]:
    """Defects in the transformer op codes' operands: only the runtime's op checks catch them."""
    v = _value_pos
    table, ids, index = _value_id(base, "table"), _value_id(base, "ids"), _value_id(base, "index")
    embedding, norm = _op_pos(base, 0), _op_pos(base, 1)
    return {
        "embedding_table_3d.wtm": (_patch(_patch(base, "<B", v(base, table) + 2, 3), "<III", v(base, table) + 20,
                                          5, 2, 2), 9, "the table must be 2-d", False),
        "embedding_float_ids.wtm": (_patch(base, "<I", embedding + OP_HEADER_BYTES + 4, table), 8,
                                    "the ids must be int64", False),
        "embedding_output_shape.wtm": (_patch(base, "<III", v(base, index) + 20, 3, 2, 4), 9, "has shape", False),
        "int64_into_float_op.wtm": (_patch(base, "<I", norm + OP_HEADER_BYTES, ids), 8, "this op reads float32",
                                    False),
    }


def vision_graph() -> Graph:
    """x [1, 2, 5, 5] -> conv2d 3x3 (bias, padding 1) -> max_pool2d 2: the base of the vision op
    codes' hostile cases (ops: layout to NHWC, conv2d, max_pool2d, layout back)."""
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (1, 2, 5, 5)))
    g.input_names = ["x"]
    w, b = _const(g, "conv.weight", (3, 2, 3, 3), 7), _const(g, "conv.bias", (3,), 8)
    (h,) = g.add_node("conv2d", {"input": x, "weight": w, "bias": b, "stride": [1, 1], "padding": [1, 1],
                                 "dilation": [1, 1], "groups": 1}, "conv")
    (y,) = g.add_node("max_pool2d", {"self": h, "kernel_size": [2, 2], "stride": [], "padding": [0, 0],
                                     "dilation": [1, 1], "ceil_mode": False}, "pool")
    g.outputs = [y.name]
    g.output_names = ["y"]
    return g


def vision_cases(base: bytes) -> dict[str, tuple[bytes, int, str, bool]]:
    """Defects in the vision op codes' attributes and shapes: only the runtime's op checks catch them."""
    v = _value_pos
    conv, pool, layout = _op_pos(base, 1), _op_pos(base, 2), _op_pos(base, 0)
    conv_attrs = conv + OP_HEADER_BYTES + 4 * (base[conv + 2] + base[conv + 3])
    pool_attrs = pool + OP_HEADER_BYTES + 4 * (base[pool + 2] + base[pool + 3])
    layout_attrs = layout + OP_HEADER_BYTES + 8
    return {
        "conv_output_nbytes.wtm": (_patch(base, "<I", v(base, _value_id(base, "conv2d")) + 32, 4), 6, "bytes declared",
                                  True),
        "conv_groups.wtm": (_patch(base, "<I", conv_attrs + 4, 2), 9, "do not match", False),
        "conv_flags.wtm": (_patch(base, "<I", conv_attrs, 3), 8, "call for", False),
        "conv_stride_zero.wtm": (_patch(base, "<I", conv_attrs + 8, 0), 8, "stride 0", False),
        "conv_weight_shape.wtm": (_patch(base, "<II", v(base, _value_id(base, "conv.weight")) + 20, 2, 3), 9,
                                  "do not match", False),
        "pool_padding.wtm": (_patch(base, "<I", pool_attrs + 16, 2), 8, "above half the kernel", False),
        "pool_output_shape.wtm": (_patch(base, "<I", pool_attrs, 1), 9, "has shape", False),
        "layout_direction.wtm": (_patch(base, "<I", layout_attrs, 7), 8, "unknown layout direction", False),
    }


def lstm_graph() -> Graph:
    """x [2, 3, 4] -> bidirectional LSTM (hidden 3, batch_first, constant h0/c0): the base of the
    sequence op codes' hostile cases (ops: lstm forward, lstm reverse, cat of the two)."""
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (2, 3, 4)))
    g.input_names = ["x"]
    params = []
    for d, suffix in enumerate(("", "_reverse")):
        for i, (name, shape) in enumerate((("weight_ih", (12, 4)), ("weight_hh", (12, 3)), ("bias_ih", (12,)),
                                           ("bias_hh", (12,)))):
            params.append(_const(g, f"lstm.{name}_l0{suffix}", shape, 10 + 4 * d + i))
    hx = [_const(g, "h0", (2, 2, 3), 18), _const(g, "c0", (2, 2, 3), 19)]
    y, _, _ = g.add_node("lstm", {"input": x, "hx": hx, "params": params, "has_biases": True, "num_layers": 1,
                                  "dropout": 0.0, "train": False, "bidirectional": True, "batch_first": True},
                         "lstm")
    g.outputs = [y.name]
    g.output_names = ["y"]
    return g


def sequence_cases(base: bytes) -> dict[str, tuple[bytes, int, str, bool]]:
    """Defects in the sequence op codes' operands and attributes: only the runtime's op checks catch them."""
    v = _value_pos
    lstm, cat = _op_pos(base, 0), _op_pos(base, 2)
    lstm_attrs = lstm + OP_HEADER_BYTES + 4 * (7 + 3)
    cat_attrs = cat + OP_HEADER_BYTES + 4 * (base[cat + 2] + base[cat + 3])
    w_ih, b_ih = v(base, _value_id(base, "lstm.weight_ih_l0")), v(base, _value_id(base, "lstm.bias_ih_l0"))
    return {
        "lstm_w_ih_shape.wtm": (_patch(base, "<II", w_ih + 20, 4, 12), 9, "w_ih must be [12, 4]", False),
        "lstm_bias_rank.wtm": (_patch(_patch(base, "<B", b_ih + 2, 2), "<II", b_ih + 20, 3, 4), 9,
                               "b_ih and b_hh must be [12]", False),
        "lstm_flags.wtm": (_patch(base, "<I", lstm_attrs, 4), 9, "unknown flags", False),
        "lstm_state_index.wtm": (_patch(base, "<I", lstm_attrs + 4, 2), 9, "with state 2 < S", False),
        "lstm_weight_in_arena.wtm": (_patch(base, "<I", lstm + OP_HEADER_BYTES + 4, _value_id(base, "x")), 8,
                                     "parameter operand 1 is not a constant", False),
        "cat_dim.wtm": (_patch(base, "<I", cat_attrs, 3), 9, "dim 3 of a rank-3 output", False),
        "cat_sizes.wtm": (_patch(base, "<I", cat_attrs, 1), 9, "does not match the output", False),
    }


def write_corpus(out: str = OUT) -> None:
    os.makedirs(out, exist_ok=True)
    base = write_plan(build_plan(valid_graph()))
    with open(os.path.join(out, "valid_mlp.wtm"), "wb") as f:
        f.write(base)
    x = _values(BATCH * C * H, 9)
    with open(os.path.join(out, "valid_mlp.json"), "w") as f:
        json.dump({"input": x, "input_shape": [BATCH, C, H], "output": expected_output(x),
                   "output_shape": [BATCH, CLASSES]}, f)
        f.write("\n")
    expected = {}
    cases = {**hostile_cases(base), **transformer_cases(write_plan(build_plan(embedding_graph()))),
             **vision_cases(write_plan(build_plan(vision_graph()))),
             **sequence_cases(write_plan(build_plan(lstm_graph())))}
    for name, (data, status, message, reader) in cases.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        expected[name] = {"status": status, "message": message, "reader": reader}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    write_corpus(sys.argv[1] if len(sys.argv) > 1 else OUT)
