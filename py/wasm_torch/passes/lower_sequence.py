"""Kernel selection for the recurrent/sequence ops (plan op codes 40..49, 90..91), called by
passes/lower_wasm.py through LOWER (canonical op -> lowering function).

    lstm, gru, rnn_tanh, rnn_relu (eval, no projection)
                                 one LSTM / GRU / RNN op per layer and direction (W_ih, W_hh
                                 packed and the biases folded at load); a bidirectional layer's
                                 two outputs are joined by CAT along the features; h_n (and c_n)
                                 are CATs of the per-direction final states (dropped when nothing
                                 reads them); the cell forms arrive as one-step sequences
    cat (any dim)                CAT, chained when it has more than 8 inputs
    flip                         one FLIP per flipped dim of size > 1 (the reverse direction of
                                 a decomposed LSTM)
    expand of a transposed weight, read only by matmul: the decomposed LSTM's batched input
                                 projection, folded into one GEMM over all leading dims
"""

from __future__ import annotations

from collections.abc import Callable

from ..formats.tensor import TensorData
from ..ir import Node, Ref
from ..plan import OpCode, PlanOp
from . import lower_transformer as lt
from . import lower_wasm as lw

MAX_CAT_INPUTS = 8  # WT_MAX_OPERANDS
LSTM_BATCH_FIRST, LSTM_REVERSE, RNN_RELU = 1, 2, 4  # recurrent op flags (runtime/wt_sequence.h)


def _fresh(c: lw._Ctx, base: str, shape: tuple[int, ...]) -> str:
    """A new arena value the lowering adds."""
    name, i = base, 1
    while name in c.g.values or name in c.extra or name in c.folded:
        name, i = f"{base}{i}", i + 1
    c.extra[name] = shape
    return name


def _shape(c: lw._Ctx, name: str) -> tuple[int, ...]:
    return c.extra[name] if name in c.extra else tuple(c.g.values[name].shape)


def _cat_to(c: lw._Ctx, n: Node, inputs: list[str], dim: int, output: str) -> None:
    """output = cat(inputs, dim) in ops of at most MAX_CAT_INPUTS inputs."""
    while len(inputs) > MAX_CAT_INPUTS:
        groups = [inputs[i:i + MAX_CAT_INPUTS] for i in range(0, len(inputs), MAX_CAT_INPUTS)]
        inputs = []
        for group in groups:
            shape = list(_shape(c, group[0]))
            shape[dim] = sum(_shape(c, name)[dim] for name in group)
            part = _fresh(c, f"{output}_part", tuple(shape))
            c.ops.append(PlanOp(OpCode.CAT, group, [part], "cat", n.source, params=(dim,)))
            inputs.append(part)
    c.ops.append(PlanOp(OpCode.CAT, inputs, [output], "cat", n.source, params=(dim,)))


def _cat(c: lw._Ctx, n: Node) -> None:
    out = tuple(c.g.values[n.outputs[0]].shape)
    if c.g.values[n.outputs[0]].dtype != "float32" or not out:
        raise lw._Reject("cat (not a float32 tensor of rank >= 1)")
    refs = n.args["tensors"]
    inputs = [c.tensor(r, "tensors", "cat") for r in refs]
    if any(len(c.shape(r)) != len(out) for r in refs):
        raise lw._Reject("cat (inputs of different ranks)")
    _cat_to(c, n, inputs, n.args["dim"] % len(out), n.outputs[0])


def _flip(c: lw._Ctx, n: Node) -> None:
    x = c.tensor(n.args["self"], "self", "flip")
    shape = c.shape(n.args["self"])
    if c.g.values[n.outputs[0]].dtype != "float32":
        raise lw._Reject("flip (not float32)")
    dims = sorted({d % len(shape) for d in n.args["dims"]} if shape else set())
    dims = [d for d in dims if shape[d] > 1]
    if not dims:
        c.ops.append(PlanOp(OpCode.RESHAPE, [x], [n.outputs[0]], "flip", n.source))
    for i, d in enumerate(dims):
        out = n.outputs[0] if i == len(dims) - 1 else _fresh(c, f"{n.outputs[0]}_{d}", shape)
        c.ops.append(PlanOp(OpCode.FLIP, [x], [out], "flip", n.source, params=(d,)))
        x = out


def _expand(c: lw._Ctx, n: Node) -> None:
    """A transposed weight broadcast over batch dims is the same weight to a matmul (which reads it
    as a GEMM weight over all of its input's leading dims)."""
    x = n.args["self"]
    if isinstance(x, Ref) and x.name in c.transposed:
        out = tuple(c.g.values[n.outputs[0]].shape)
        readers = [u.op for u in c.g.nodes if any(r.name == n.outputs[0] for r in u.input_refs())]
        if out[-2:] == c.shape(x) and readers and all(op == "matmul" for op in readers) and \
                n.outputs[0] not in c.g.outputs:
            c.transposed[n.outputs[0]] = c.transposed[x.name]
            return
    lt.LOWER["expand"](c, n)


def _zeros(c: lw._Ctx, n: Node, count: int) -> str:
    name = _fresh(c, f"{n.outputs[0]}_zero_bias", (count,))
    c.folded[name] = TensorData("float32", (count,), bytes(4 * count), name=name)
    return name


_RECURRENT = {"lstm": (OpCode.LSTM, 4, 0), "gru": (OpCode.GRU, 3, 0), "rnn_tanh": (OpCode.RNN, 1, 0),
              "rnn_relu": (OpCode.RNN, 1, RNN_RELU)}  # op -> (plan op, gates, flags)


def _recurrent(c: lw._Ctx, n: Node) -> None:
    a = n.args
    code, gates, kind_flags = _RECURRENT[n.op]
    dirs = 2 if a["bidirectional"] else 1
    per = 4 if a["has_biases"] else 2
    layers = a["num_layers"]
    if a["train"] and a["dropout"] > 0:
        raise lw._Reject(f"{n.op} (dropout in training mode)")
    if len(a["params"]) != layers * dirs * per:
        raise lw._Reject(f"{n.op} (projection weights, proj_size > 0)")
    if any(c.g.values[o].dtype != "float32" for o in n.outputs):
        raise lw._Reject(f"{n.op} (not float32)")
    x = c.tensor(a["input"], "input", n.op)
    states = [c.tensor(s, "hx", n.op) for s in (a["hx"] if n.op == "lstm" else [a["hx"]])]
    bf = bool(a["batch_first"])
    shape = c.shape(a["input"])
    batch, steps = (shape[0], shape[1]) if bf else (shape[1], shape[0])
    hidden = c.shape(a["params"][1])[1]
    if min(batch, steps, shape[2], hidden) < 1:
        raise lw._Reject(f"{n.op} (empty input {list(shape)})")
    params = [c.const(p, "params", n.op, (1, 2)) for p in a["params"]]
    final: list[list[str]] = [[] for _ in states]  # h_n (and c_n) pieces
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            group = params[k * per:(k + 1) * per]
            biases = group[2:] if a["has_biases"] else [_zeros(c, n, gates * hidden)] * 2
            y = (n.outputs[0] if layer == layers - 1 and dirs == 1 else
                 _fresh(c, f"{n.outputs[0]}_l{layer}d{d}", (batch, steps, hidden) if bf else (steps, batch, hidden)))
            last = [n.outputs[1 + i] if layers * dirs == 1 else
                    _fresh(c, f"{n.outputs[1 + i]}_l{layer}d{d}", (1, batch, hidden)) for i in range(len(states))]
            flags = (LSTM_BATCH_FIRST if bf else 0) | (LSTM_REVERSE if d else 0) | kind_flags
            c.ops.append(PlanOp(code, [x, group[0], group[1], *biases, *states], [y, *last], n.op,
                                n.source, params=(flags, k)))
            outs.append(y)
            for i, piece in enumerate(last):
                final[i].append(piece)
        if dirs == 2:
            y = n.outputs[0] if layer == layers - 1 else _fresh(
                c, f"{n.outputs[0]}_l{layer}", (batch, steps, 2 * hidden) if bf else (steps, batch, 2 * hidden))
            _cat_to(c, n, outs, 2, y)
            outs = [y]
        x = outs[0]
    if layers * dirs > 1:
        for i, pieces in enumerate(final):
            _cat_to(c, n, pieces, 0, n.outputs[1 + i])


LOWER: dict[str, Callable[[lw._Ctx, Node], None]] = {
    **{op: _recurrent for op in _RECURRENT}, "cat": _cat, "flip": _flip, "expand": _expand}
