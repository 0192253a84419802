"""HLO: the collectives in a compiled step's optimized HLO text, counted and sized."""

from __future__ import annotations

import math
import re

from .._declare import declared, name

#: The collectives read from optimized HLO (``-start`` forms count once; ``-done`` not at all).
HLO_COLLECTIVES = ("all-reduce", "all-gather", "reduce-scatter", "all-to-all")


_DTYPE_BYTES = {"pred": 1, "s8": 1, "u8": 1, "bf16": 2, "f16": 2, "s16": 2, "u16": 2,
                "f32": 4, "s32": 4, "u32": 4, "f64": 8, "s64": 8, "u64": 8, "c64": 8}
_SHAPE = re.compile(r"\b(pred|[subfc]\d+|bf16)\[([\d,]*)\]")
_OP = re.compile(r"=\s*(.*?)\s(" + "|".join(HLO_COLLECTIVES) + r")(-start)?\(")


@declared(hlo_text=name(examples=(
    "%all-reduce.1 = f32[1024]{0} all-reduce(f32[1024]{0} %p), replica_groups={}",
    "ROOT %add = f32[4]{0} add(f32[4]{0} %a, f32[4]{0} %b)")))
def collectives_in(hlo_text: str) -> dict[str, tuple[int, int]]:
    """The collectives in optimized HLO text: op name -> (count, bytes per device).

    Bytes are the sum of each op's result on one device: an all-reduce's buffer
    (input = output, the ``size_bytes`` of lesson 2's formulas), an all-gather's
    gathered output (nccl-tests' size), a reduce-scatter's 1/n shard (× n for the
    buffer it reduced); a fused (tuple) op counts every element.
    ``all-reduce-start`` counts as one all-reduce; ``-done`` not at all.
    """
    text = hlo_text
    found = {op: [0, 0] for op in HLO_COLLECTIVES}
    for line in text.splitlines():
        match = _OP.search(line)
        if not match:
            continue
        found[match.group(2)][0] += 1
        found[match.group(2)][1] += _shape_bytes(match.group(1))
    return {op: (count, size) for op, (count, size) in found.items()}


def _shape_bytes(text: str) -> int:
    total = 0
    for dtype, dims in _SHAPE.findall(text):
        total += _DTYPE_BYTES.get(dtype, 4) * math.prod(int(x) for x in dims.split(",") if x)
    return total
