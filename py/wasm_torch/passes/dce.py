"""Dead-code elimination: drop nodes and constants that no graph output depends on."""

from __future__ import annotations

import dataclasses

from ..ir import Graph


def eliminate_dead_code(g: Graph) -> Graph:
    """A copy of `g` keeping only the nodes and constants its outputs need (canonical ops have no
    side effects at inference). The input graph is not modified."""
    needed = set(g.outputs)
    kept = []
    for node in reversed(g.nodes):
        if any(o in needed for o in node.outputs):
            kept.append(node)
            needed.update(r.name for r in node.input_refs())
    kept.reverse()
    return dataclasses.replace(
        g, nodes=kept, constants={k: v for k, v in g.constants.items() if k in needed},
        param_names={k: v for k, v in g.param_names.items() if k in needed})
