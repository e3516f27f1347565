"""Recurrent layers: LSTM (with optional projection), GRU and the Elman RNNs (tanh, relu).

Canonical ops (ATen's `.input` overloads; TorchScript's `torch.lstm(...)` and export's
`aten.lstm.input` bind directly):
    lstm(input, hx=[h0, c0], params, has_biases, num_layers, dropout, train, bidirectional,
         batch_first) -> (output, h_n, c_n)
    gru / rnn_tanh / rnn_relu(input, hx=h0, params, ...) -> (output, h_n)

`params` is torch's _flat_weights order: per layer, per direction (forward, then reverse):
w_ih, w_hh, [b_ih, b_hh,] [w_hr (LSTM projection)]. Gates are stacked as torch stacks them:
LSTM (i, f, g, o); GRU (r, z, n) with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
The packed-sequence `.data` overloads are not supported.
"""

from __future__ import annotations

from ..dtypes import is_float
from ..errors import ShapeError, UnsupportedError
from ..ir import Graph, Ref, TensorMeta
from .common import emit, shape_of
from .registry import A, define, lowering

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _layout(a: A, kind: str) -> tuple[int, int, int]:
    """(tensors per layer and direction, directions, whether an LSTM projection is present)."""
    dirs = 2 if a.bidirectional else 1
    base = 4 if a.has_biases else 2
    groups = a.num_layers * dirs
    if a.num_layers < 1 or len(a.params) not in (groups * base, groups * (base + 1)) or \
            (kind != "lstm" and len(a.params) != groups * base):
        raise ShapeError(f"{len(a.params)} parameter tensors do not fit {a.num_layers} layer(s), "
                         f"{dirs} direction(s), has_biases={a.has_biases}")
    per = len(a.params) // groups
    return per, dirs, per != base


def _rnn_infer(kind: str):
    gates = _GATES[kind]

    def infer(a: A) -> list[TensorMeta]:
        x = a.input
        if not isinstance(x, TensorMeta) or len(x.shape) != 3 or not is_float(x.dtype):
            raise ShapeError(f"input must be a 3-d float tensor, got {x!r}")
        if a.train and a.dropout > 0 and a.num_layers > 1:
            raise UnsupportedError(f"{kind} with dropout between layers in training mode (random)")
        per, dirs, proj = _layout(a, kind)
        shapes = [shape_of(p) for p in a.params]
        hidden = shapes[1][0] // gates if len(shapes[1]) == 2 else 0
        out_size = shapes[1][1] if len(shapes[1]) == 2 else 0
        batch, steps = (x.shape[0], x.shape[1]) if a.batch_first else (x.shape[1], x.shape[0])
        for i in range(0, len(shapes), per):
            features = x.shape[2] if i < per * dirs else dirs * out_size
            want = [(gates * hidden, features), (gates * hidden, out_size)]
            if a.has_biases:
                want += [(gates * hidden,), (gates * hidden,)]
            if proj:
                want.append((out_size, hidden))
            if shapes[i:i + per] != want or hidden < 1:
                raise ShapeError(f"parameters {[list(s) for s in shapes[i:i + per]]} of layer "
                                 f"{i // (per * dirs)} do not match the expected {[list(s) for s in want]}")
        states = list(a.hx) if kind == "lstm" else [a.hx]
        want_states = [(a.num_layers * dirs, batch, out_size)]
        if kind == "lstm":
            want_states.append((a.num_layers * dirs, batch, hidden))
        if [shape_of(s) for s in states] != want_states:
            raise ShapeError(f"hidden state shapes {[list(shape_of(s)) for s in states]}, expected "
                             f"{[list(s) for s in want_states]}")
        out = (batch, steps, dirs * out_size) if a.batch_first else (steps, batch, dirs * out_size)
        return [TensorMeta(x.dtype, out), *(TensorMeta(x.dtype, s) for s in want_states)]

    return infer


def _sigmoid(np, v):
    return 1.0 / (1.0 + np.exp(-v))


def _cell(np, kind: str, xw, h, c, w_hh, b_hh, w_hr):
    """One time step; `xw` already holds W_ih x + b_ih. Returns (h, c)."""
    hw = h @ w_hh.T + b_hh
    if kind == "lstm":
        i, f, g, o = np.split(xw + hw, 4, axis=-1)
        c = _sigmoid(np, f) * c + _sigmoid(np, i) * np.tanh(g)
        h = _sigmoid(np, o) * np.tanh(c)
        return (h if w_hr is None else h @ w_hr.T), c
    if kind == "gru":
        xr, xz, xn = np.split(xw, 3, axis=-1)
        hr, hz, hn = np.split(hw, 3, axis=-1)
        r, z = _sigmoid(np, xr + hr), _sigmoid(np, xz + hz)
        n = np.tanh(xn + r * hn)
        return (1.0 - z) * n + z * h, None
    pre = xw + hw
    return (np.tanh(pre) if kind == "rnn_tanh" else np.maximum(pre, 0.0)), None


def _rnn_ref(kind: str):
    def ref(a: A):
        import numpy as np

        per, dirs, proj = _layout(a, kind)
        params = [np.asarray(p, dtype=np.float64) for p in a.params]
        x = np.asarray(a.input, dtype=np.float64)
        if a.batch_first:
            x = x.swapaxes(0, 1)
        h0 = np.asarray(a.hx[0] if kind == "lstm" else a.hx, dtype=np.float64)
        c0 = np.asarray(a.hx[1], dtype=np.float64) if kind == "lstm" else None
        h_n, c_n = [], []
        for layer in range(a.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                w_ih, w_hh, *rest = params[k * per:(k + 1) * per]
                b_ih, b_hh = (rest[0], rest[1]) if a.has_biases else (0.0, 0.0)
                xw = x @ w_ih.T + b_ih
                h, c = h0[k], None if c0 is None else c0[k]
                ys = [None] * x.shape[0]
                for t in (range(x.shape[0]) if d == 0 else reversed(range(x.shape[0]))):
                    h, c = _cell(np, kind, xw[t], h, c, w_hh, b_hh, rest[-1] if proj else None)
                    ys[t] = h
                outs.append(np.stack(ys) if ys else np.zeros((0, *h.shape)))
                h_n.append(h)
                c_n.append(c)
            x = np.concatenate(outs, axis=-1)
        out = x.swapaxes(0, 1) if a.batch_first else x
        return [out, np.stack(h_n)] + ([np.stack(c_n)] if kind == "lstm" else [])

    return ref


_FLAGS = "bool has_biases, int num_layers, float dropout, bool train, bool bidirectional"
define(f"lstm.input(Tensor input, Tensor[] hx, Tensor[] params, {_FLAGS}, bool batch_first) "
       "-> (Tensor, Tensor, Tensor)", _rnn_infer("lstm"), _rnn_ref("lstm"))
for _kind in ("gru", "rnn_tanh", "rnn_relu"):
    define(f"{_kind}.input(Tensor input, Tensor hx, Tensor[] params, {_FLAGS}, bool batch_first) "
           "-> (Tensor, Tensor)", _rnn_infer(_kind), _rnn_ref(_kind))


def _packed(kind: str):
    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        raise UnsupportedError(f"{kind} over a packed sequence (pack_padded_sequence)",
                               [(f"{kind}.data", src)])

    return lower


lowering(f"lstm.data(Tensor data, Tensor batch_sizes, Tensor[] hx, Tensor[] params, {_FLAGS}) "
         "-> (Tensor, Tensor, Tensor)")(_packed("lstm"))
for _kind in ("gru", "rnn_tanh", "rnn_relu"):
    lowering(f"{_kind}.data(Tensor data, Tensor batch_sizes, Tensor hx, Tensor[] params, {_FLAGS}) "
             "-> (Tensor, Tensor)")(_packed(_kind))


def _cell_lowering(kind: str):
    """A single cell step (`lstm_cell`, `gru_cell`, `rnn_*_cell`, on [batch, features] as in ATen)
    as the sequence op over one time step, so kernels need no separate cell op."""
    seq = kind[:-len("_cell")]

    def lower(g: Graph, a: A, src: str) -> list[Ref]:
        from .shape import reshape, shape_of_ref

        if (a.b_ih is None) != (a.b_hh is None):
            raise UnsupportedError(f"{kind} with only one of b_ih/b_hh", [(kind, src)])
        x_shape = shape_of_ref(g, a.input)
        if len(x_shape) != 2:
            raise ShapeError(f"{kind}: input must be [batch, features], got {list(x_shape)}")
        states = [reshape(g, s, [1, *shape_of_ref(g, s)], src) for s in (a.hx if seq == "lstm" else [a.hx])]
        params = [a.w_ih, a.w_hh] + ([a.b_ih, a.b_hh] if a.b_ih is not None else [])
        outs = emit(g, seq, src, reshape(g, a.input, [1, *x_shape], src), states if seq == "lstm" else states[0],
                    params, a.b_ih is not None, 1, 0.0, False, False, False)
        return [reshape(g, r, list(shape_of_ref(g, r)[1:]), src) for r in outs[1:]]

    return lower


_CELL_ARGS = "Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None"
lowering(f"lstm_cell(Tensor input, Tensor[] hx, {_CELL_ARGS}) -> (Tensor, Tensor)")(_cell_lowering("lstm_cell"))
for _kind in ("gru_cell", "rnn_tanh_cell", "rnn_relu_cell"):
    lowering(f"{_kind}(Tensor input, Tensor hx, {_CELL_ARGS}) -> Tensor")(_cell_lowering(_kind))
