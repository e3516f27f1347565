import pytest
import torch
import torch.nn as nn
from parity import parity
from wasm_torch.errors import ShapeError, UnsupportedError
from wasm_torch.ir import Graph, TensorMeta
from wasm_torch.ops import registry

MODULES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN, "rnn_relu": nn.RNN}

# (input size, hidden, layers, bidirectional, batch_first, bias, steps, batch)
CONFIGS = [
    (5, 7, 1, False, False, True, 6, 2),
    (3, 4, 2, True, True, True, 7, 3),
    (4, 3, 3, False, True, False, 1, 1),
    (1, 17, 1, True, False, False, 3, 2),
    (6, 5, 2, True, False, True, 17, 1),
]


def _call(kind, config, proj=0):
    inp, hidden, layers, bidir, batch_first, bias, steps, batch = config
    kw = dict(nonlinearity=kind[4:]) if kind.startswith("rnn") else dict(proj_size=proj) if proj else {}
    m = MODULES[kind](inp, hidden, layers, bias=bias, batch_first=batch_first, bidirectional=bidir, **kw)
    x = torch.randn((batch, steps, inp) if batch_first else (steps, batch, inp))
    dirs = 2 if bidir else 1
    h0 = torch.randn(layers * dirs, batch, proj or hidden)
    hx = [h0, torch.randn(layers * dirs, batch, hidden)] if kind == "lstm" else h0
    params = [p.detach() for p in m._flat_weights]
    return [x, hx, params, bias, layers, 0.0, False, bidir, batch_first]


@pytest.mark.parametrize("config", CONFIGS)
def test_rnn(config):
    parity("lstm", torch.lstm, _call("lstm", config))
    parity("gru", torch.gru, _call("gru", config))
    parity("rnn_tanh", torch.rnn_tanh, _call("rnn_tanh", config))
    parity("rnn_relu", torch.rnn_relu, _call("rnn_relu", config))


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("config", CONFIGS[:3])
def test_lstm_projection(config):
    parity("lstm", torch.lstm, _call("lstm", config, proj=2))


def test_rnn_against_module():
    """nn.LSTM's own forward (zero initial state), as a traced model calls the op."""
    m = nn.LSTM(4, 6, 2, batch_first=True, bidirectional=True)
    zeros = torch.zeros(4, 3, 6)
    params = [p.detach() for p in m._flat_weights]
    parity("lstm", lambda x, *rest: m(x), [torch.randn(3, 5, 4), [zeros, zeros], params, True, 2, 0.0,
                                           False, True, True])


def test_rnn_errors():
    g = Graph()
    x = g.add_input("x", TensorMeta("float32", (5, 2, 3)))
    h = g.add_input("h", TensorMeta("float32", (1, 2, 4)))
    w = [g.add_input(f"w{i}", TensorMeta("float32", s)) for i, s in enumerate([(12, 3), (12, 4), (12, 2)])]
    with pytest.raises(ShapeError, match="parameter tensors"):
        registry.lower_call(g, "gru", [x, h, w[:2], True, 1, 0.0, False, False, False], {}, "test")
    with pytest.raises(ShapeError, match="do not match"):
        registry.lower_call(g, "gru", [x, h, [w[2], w[1]], False, 1, 0.0, False, False, False], {}, "test")
    with pytest.raises(ShapeError, match="hidden state"):
        registry.lower_call(g, "gru", [x, x, w[:2], False, 1, 0.0, False, False, False], {}, "test")
    with pytest.raises(UnsupportedError, match="packed"):
        registry.lower_call(g, "gru", [x, h, h, w[:2], False, 1, 0.0, False, False], {}, "test")


CELLS = {"lstm_cell": torch.lstm_cell, "gru_cell": torch.gru_cell,
         "rnn_tanh_cell": torch.rnn_tanh_cell, "rnn_relu_cell": torch.rnn_relu_cell}


@pytest.mark.parametrize("kind", sorted(CELLS))
@pytest.mark.parametrize("inp,hidden,batch,bias", [(5, 7, 3, True), (1, 4, 1, False), (17, 3, 2, True)])
def test_cells(kind, inp, hidden, batch, bias):
    gates = {"lstm_cell": 4, "gru_cell": 3}.get(kind, 1)
    x = torch.randn(batch, inp)
    h = [torch.randn(batch, hidden), torch.randn(batch, hidden)] if kind == "lstm_cell" else torch.randn(batch, hidden)
    w_ih, w_hh = torch.randn(gates * hidden, inp), torch.randn(gates * hidden, hidden)
    biases = [torch.randn(gates * hidden), torch.randn(gates * hidden)] if bias else [None, None]
    parity(kind, CELLS[kind], [x, h, w_ih, w_hh, *biases])
