"""The recurrent/sequence path of the wasm backend (plan op codes 40..49): LSTMs (1-2 layers,
batch_first or not, bidirectional, with and without biases, zero or given initial states, odd
batch/hidden/sequence sizes) and cat, in one module exported as .pt2 (one `lstm` node per layer
stack) and decomposed to core ATen (the time loop unrolled: addmm, sigmoid, tanh, cat...), run
on the kernel module under Node (single-threaded, and 2 threads on the threaded variant) against
torch; no allocation during forward; lstm2 in both .pt2 forms."""

from __future__ import annotations

import shutil

import pytest
import torch
from parity import assert_plan_matches, check_module_plan
from wasm_torch.errors import UnsupportedError, WasmTorchError
from wasm_torch.model import load
from wasm_torch.plan import OpCode, build_plan, read_plan, write_plan
from wasm_torch.runtime.wasm import run_plan
from zoo_cache import reference_case

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")
RUNS = (("st", 1), ("mt", 2))

# (input size, hidden, layers, batch_first, bidirectional, bias, batch, steps, given states)
CASES = [(3, 1, 1, True, False, True, 1, 5, False), (4, 7, 2, False, False, True, 3, 5, False),
         (5, 17, 2, True, True, True, 3, 1, False), (2, 7, 1, False, True, True, 1, 5, False),
         (3, 17, 2, True, False, True, 3, 5, True), (4, 7, 1, True, True, False, 3, 5, True),
         (3, 17, 1, False, False, True, 1, 4, True)]  # batch 1, 68 gate rows: the GEMV's panel tail


class Lstms(torch.nn.Module):
    """Every CASES entry on its own input, plus cat along three dims; returns every output,
    h_n and c_n."""

    def __init__(self):
        super().__init__()
        self.lstms = torch.nn.ModuleList(
            torch.nn.LSTM(i, h, num_layers=n, batch_first=bf, bidirectional=bi, bias=bias)
            for i, h, n, bf, bi, bias, *_ in CASES)

    def forward(self, *xs):
        outs = []
        it = iter(xs)
        for lstm, case in zip(self.lstms, CASES):
            x = next(it)
            y, (h, c) = lstm(x, (next(it), next(it))) if case[-1] else lstm(x)
            outs += [y, h, c]
        z = next(it)
        return (*outs, torch.cat([z, z * 2], 0), torch.cat([z, -z, z], 1), torch.cat([z, z], -1))


def _inputs() -> tuple[torch.Tensor, ...]:
    torch.manual_seed(0)
    xs = []
    for i, h, n, bf, bi, _, batch, steps, states in CASES:
        xs.append(torch.randn(batch, steps, i) if bf else torch.randn(steps, batch, i))
        if states:
            xs += [torch.randn(n * (2 if bi else 1), batch, h) for _ in range(2)]
    return (*xs, torch.randn(2, 3, 5))


@pytest.mark.parametrize("form", ["export", "decomposed"])
def test_lstms_and_cat_match_torch(form, tmp_path):
    torch.manual_seed(1)
    plan = check_module_plan(Lstms(), _inputs(), tmp_path, f"lstms {form}", OpCode.CAT, RUNS, form == "decomposed")
    assert (OpCode.LSTM in {op.code for op in read_plan(plan).ops}) == (form == "export")


def test_lstm_projection_is_reported(tmp_path):
    path = tmp_path / "m.pt2"
    lstm = torch.nn.LSTM(3, 5, proj_size=2).eval()
    torch.export.save(torch.export.export(lstm, (torch.randn(4, 1, 3),)), str(path))
    with pytest.raises(UnsupportedError) as e:
        build_plan(load(str(path)).graph)
    assert any(op.startswith("lstm (projection") for op, _ in e.value.problems), e.value.problems


@pytest.mark.parametrize("form", ["export", "decomposed"])
def test_lstm2_matches_torch(form):
    path, inputs, outputs, refusal = reference_case("lstm2", form)
    assert not refusal, refusal
    assert_plan_matches(write_plan(build_plan(load(str(path)).graph)), inputs, outputs, f"lstm2 {form}", RUNS)


# (kind, input size, hidden, layers, batch_first, bidirectional, bias, batch, steps, given state)
RECURRENT = [("gru", 3, 1, 1, True, False, True, 1, 5, False), ("gru", 4, 7, 2, False, True, True, 3, 5, True),
             ("gru", 5, 17, 1, True, False, False, 3, 1, True), ("rnn_tanh", 2, 7, 2, False, True, True, 1, 5, False),
             ("rnn_relu", 3, 17, 1, True, False, True, 3, 7, True),
             ("rnn_tanh", 4, 3, 1, True, True, False, 3, 3, True), ("gru", 3, 17, 1, False, False, True, 1, 4, True)]


class Recurrents(torch.nn.Module):
    """Every RECURRENT entry on its own input (returning y and h_n), then GRUCell and RNNCell."""

    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.GRU(i, h, num_layers=n, batch_first=bf, bidirectional=bi, bias=bias) if kind == "gru" else
            torch.nn.RNN(i, h, num_layers=n, nonlinearity=kind[4:], batch_first=bf, bidirectional=bi, bias=bias)
            for kind, i, h, n, bf, bi, bias, *_ in RECURRENT)
        self.gru_cell = torch.nn.GRUCell(3, 5)
        self.rnn_cell = torch.nn.RNNCell(3, 5, nonlinearity="relu")

    def forward(self, *xs):
        outs = []
        it = iter(xs)
        for layer, case in zip(self.layers, RECURRENT):
            x = next(it)
            outs += list(layer(x, next(it)) if case[-1] else layer(x))
        x, h = next(it), next(it)
        return (*outs, self.gru_cell(x, h), self.rnn_cell(x), self.rnn_cell(x, h))


def _recurrent_inputs() -> tuple[torch.Tensor, ...]:
    torch.manual_seed(2)
    xs = []
    for _, i, h, n, bf, bi, _, batch, steps, state in RECURRENT:
        xs.append(torch.randn(batch, steps, i) if bf else torch.randn(steps, batch, i))
        if state:
            xs.append(torch.randn(n * (2 if bi else 1), batch, h))
    return (*xs, torch.randn(7, 3), torch.randn(7, 5))


@pytest.mark.parametrize("form", ["export", "decomposed"])
def test_grus_rnns_and_cells_match_torch(form, tmp_path):
    torch.manual_seed(3)
    plan = check_module_plan(Recurrents(), _recurrent_inputs(), tmp_path, f"recurrents {form}", (), RUNS,
                             form == "decomposed")
    assert ({OpCode.GRU, OpCode.RNN} <= {op.code for op in read_plan(plan).ops}) == (form == "export")


@pytest.mark.parametrize("code, params, message", [
    (OpCode.GRU, (4, 0), "unknown flags 0x4"),
    (OpCode.RNN, (8, 0), "unknown flags 0x8"),
    (OpCode.RNN, (0, 1), r"initial states must be \[S, 2, 5\] with state 1 < S"),
])
def test_bad_recurrent_fields_are_rejected(code, params, message, tmp_path):
    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru, self.rnn = torch.nn.GRU(3, 5), torch.nn.RNN(3, 5, nonlinearity="relu")

        def forward(self, x):
            return self.gru(x)[0], self.rnn(x)[0]

    x = torch.randn(4, 2, 3)
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(Two().eval(), (x,)), str(path))
    plan = read_plan(write_plan(build_plan(load(str(path)).graph)))
    next(op for op in plan.ops if op.code == code).params = params
    with pytest.raises(WasmTorchError, match=message):
        run_plan(write_plan(plan), [x.numpy()], 1, "st")
