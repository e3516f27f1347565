"""Matrix products on the wasm backend (passes/lower_linalg.py): torch.matmul over every rank pair
(1-d operands, broadcast batch dims, a transposed operand), linear with a weight or bias that is
computed, addmm/baddbmm with alpha and beta, and einsum equations (batch, contracted, kept and
summed-away subscripts, ellipses, implicit outputs, three operands), on random odd shapes,
exported to .pt2 and run on the kernel module under Node against torch."""

from __future__ import annotations

import shutil

import pytest
import torch
from parity import Fn, check_module_plan
from wasm_torch.errors import UnsupportedError
from wasm_torch.model import load
from wasm_torch.plan import build_plan

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the wasm backend runs under Node")


def _run(fn, args: tuple, tmp_path, what: str) -> None:
    check_module_plan(Fn(lambda _, *xs: fn(*xs)), args, tmp_path, what)


# (shape of a, shape of b) for torch.matmul
MATMUL = [((7,), (7,)), ((5,), (5, 3)), ((3, 5), (5,)), ((1, 9), (9, 17)), ((2, 3, 5), (5,)), ((6,), (2, 6, 3)),
          ((2, 1, 3, 5), (4, 5, 7)), ((4, 3, 5), (1, 5, 2)), ((3, 1, 2, 1, 4), (2, 1, 4, 3))]


@pytest.mark.parametrize("sa, sb", MATMUL)
def test_matmul_ranks(sa, sb, tmp_path):
    torch.manual_seed(len(sa) * 10 + len(sb))
    a, b = torch.randn(*sa), torch.randn(*sb)
    _run(lambda x, y: (torch.matmul(x, y), torch.matmul(x * 2, y.transpose(-1, -2).transpose(-1, -2)))
         if len(sb) > 1 else torch.matmul(x, y), (a, b), tmp_path, f"matmul {sa} @ {sb}")


def test_matmul_with_transposed_and_constant_operands(tmp_path):
    torch.manual_seed(1)
    w = torch.randn(7, 5)
    _run(lambda x, y: (x @ y.transpose(-1, -2), x @ w, torch.matmul(x[0, 0], w), y @ w @ w.t()),
         (torch.randn(2, 3, 7), torch.randn(2, 5, 7)), tmp_path, "matmul transposed/constant")


def test_linear_with_computed_weight_and_bias(tmp_path):
    torch.manual_seed(2)
    w, bias = torch.randn(5, 7), torch.randn(5)
    _run(lambda x, v, u: (torch.nn.functional.linear(x, w, bias * 2), torch.nn.functional.linear(x, v * 1.5, u),
                          torch.nn.functional.linear(x, v), torch.nn.functional.linear(x[0, 0], v, u)),
         (torch.randn(2, 3, 7), torch.randn(5, 7), torch.randn(5)), tmp_path, "linear")


@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, 2.0), (0, -1.5), (2, 1)])
def test_addmm_and_baddbmm(beta, alpha, tmp_path):
    torch.manual_seed(3)
    bias, w = torch.randn(17), torch.randn(9, 17)
    _run(lambda m, x, y, s, b1, b2: (torch.addmm(s, x, y, beta=beta, alpha=alpha),
                                     torch.addmm(bias, x, w, beta=beta, alpha=alpha),
                                     torch.addmm(m, x, y, beta=beta, alpha=alpha),
                                     torch.baddbmm(s, b1, b2, beta=beta, alpha=alpha),
                                     torch.baddbmm(m[0], b1, b2.transpose(1, 2).transpose(1, 2), beta=beta,
                                                   alpha=alpha)),
         (torch.randn(3, 17), torch.randn(3, 9), torch.randn(9, 17), torch.randn(17), torch.randn(5, 3, 9),
          torch.randn(5, 9, 17)), tmp_path, f"addmm beta={beta} alpha={alpha}")


EINSUM = [("bhij,bhjk->bhik", [(2, 3, 5, 7), (2, 3, 7, 4)]), ("bij,jk->bik", [(3, 5, 7), (7, 1)]),
          ("ij,kj->ik", [(5, 7), (3, 7)]), ("i,j->ij", [(3,), (5,)]), ("i,i->", [(17,), (17,)]),
          ("bhij->bj", [(2, 3, 5, 7)]), ("ij->ji", [(5, 7)]), ("ijk->", [(3, 5, 7)]), ("ij", [(3, 5)]),
          ("ji", [(3, 5)]), ("...ij,...jk", [(3, 1, 5, 7), (4, 7, 2)]), ("bn,anm,bm->ba", [(3, 5), (2, 5, 7), (3, 7)]),
          ("bij,bjk->", [(2, 3, 5), (2, 5, 7)]), ("abc,cd->bd", [(2, 3, 5), (5, 7)]),
          ("bhqd,bkhd->bhqk", [(2, 3, 5, 4), (2, 7, 3, 4)]), ("ik,bkj->bij", [(1, 3), (2, 3, 5)])]


@pytest.mark.parametrize("equation, shapes", EINSUM)
def test_einsum(equation, shapes, tmp_path):
    torch.manual_seed(len(equation))
    args = tuple(torch.randn(*s) for s in shapes)
    _run(lambda *xs: torch.einsum(equation, *xs), args, tmp_path, f"einsum {equation}")


def test_einsum_diagonal_is_reported(tmp_path):
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(Fn(lambda _, x: torch.einsum("ii->i", x)), (torch.randn(3, 3),)), str(path))
    with pytest.raises(UnsupportedError) as e:
        build_plan(load(str(path)).graph)
    assert any(op.startswith("einsum (a subscript repeated") for op, _ in e.value.problems), e.value.problems
