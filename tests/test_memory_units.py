"""Accelerator memory in the vendor's binary units: the datasheet's "80GB" is 80 GiB.

``Accelerator.memory_bytes`` is the one place ``memory_gb`` turns into bytes; every
capacity limit reads it (through ``weight_capacity_bytes`` / ``weight_capacity_gb``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from stackkit import catalog, chips, serving, training

ROOT = Path(__file__).resolve().parents[1]

#: torch.cuda.get_device_properties(0).total_memory on an A100-SXM4-80GB (PyTorch's
#: out-of-memory messages print it as "79.21 GiB total capacity"): what the driver exposes,
#: a little under the 80 GiB of HBM2e it keeps some of.
A100_80GB_TOTAL_MEMORY = 85_056_798_720


def test_a100_80gb_holds_what_pytorch_reports():
    a100 = catalog.accelerator("A100 SXM 80GB")
    assert a100.memory_gb == 80  # the datasheet figure stays as printed
    assert A100_80GB_TOTAL_MEMORY <= a100.memory_bytes == a100.weight_capacity_bytes
    assert a100.memory_bytes == pytest.approx(80 * 2**30, rel=0.02)
    assert a100.weight_capacity_gb == pytest.approx(A100_80GB_TOTAL_MEMORY / 1e9, rel=0.02)
    # read as 80e9 bytes, the chip would hold less than PyTorch sees on it
    assert 80e9 < A100_80GB_TOTAL_MEMORY


def test_h200_and_l40s_match_what_nvidia_smi_shows():
    # nvidia-smi: an H200 "141GB" shows 143,771 MiB, an L40S "48GB" (GDDR6, ECC on) about
    # 46,068 MiB; both a little under the binary datasheet figure, well over the decimal one.
    for name, smi_mib in (("H200 SXM", 143_771), ("L40S", 46_068)):
        chip = catalog.accelerator(name)
        assert chip.memory_gb * 1e9 < smi_mib * 2**20 <= chip.memory_bytes
        assert smi_mib * 2**20 == pytest.approx(chip.memory_bytes, rel=0.07)


def test_every_off_chip_memory_is_dram_and_sram_stays_decimal():
    dram = ("HBM", "GDDR", "LPDDR")
    for name in catalog.accelerators().index:
        chip = catalog.accelerator(name)
        if chip.memory_gb is None:
            assert chip.memory_bytes is None
            if chip.sram_mb is not None:  # SRAM-only (Groq, Cerebras): decimal MB
                assert chip.weight_capacity_bytes == pytest.approx(chip.sram_mb * 1e6)
            continue
        assert chip.memory_type is None or chip.memory_type.startswith(dram), name
        assert chip.memory_bytes == chip.memory_gb * 2**30
        assert chip.weight_capacity_gb == pytest.approx(chip.memory_gb * 2**30 / 1e9)
    assert catalog.accelerator("Groq LPU").weight_capacity_bytes == 230e6


def test_capacity_limits_read_the_same_bytes():
    # one definition, seen through each layer's capacity limit
    h100 = catalog.accelerator("H100 SXM")
    assert chips.decode_step("Llama 3 8B", h100).memory_capacity_gb == h100.weight_capacity_gb
    assert training.memory_fit("Llama 3 8B", h100).capacity_gb == h100.weight_capacity_gb
    assert serving.memory_plan("Llama 3 8B", h100).memory_gb == h100.weight_capacity_gb


def _multiplies_by_1e9(node: ast.AST, names: tuple[str, ...]) -> bool:
    """``x.memory_gb * 1e9`` (either order), or ``row["memory_gb"] * 1e9``."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return False

    def named(side: ast.AST) -> bool:
        if isinstance(side, ast.Attribute):
            return side.attr in names
        if isinstance(side, ast.Subscript) and isinstance(side.slice, ast.Constant):
            return side.slice.value in names
        return isinstance(side, ast.Name) and side.id in names

    def giga(side: ast.AST) -> bool:
        return ((isinstance(side, ast.Constant) and side.value in (1e9, 10**9))
                or (isinstance(side, ast.Name) and side.id in ("GB", "GIGA")))

    return (named(node.left) and giga(node.right)) or (giga(node.left) and named(node.right))


def test_no_module_turns_the_datasheet_figure_into_bytes_itself():
    # Only Accelerator.memory_bytes turns memory_gb into bytes (× 2**30): a module that
    # multiplies memory_gb, or the capacity derived from it, by 1e9 reads an "80GB" A100 as
    # 80e9 bytes, 7 % short.
    names = ("memory_gb", "weight_capacity_gb", "gpu_memory_gb", "memory_capacity_gb")
    offenders = []
    for folder in ("stackkit", "tools", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
                          if _multiplies_by_1e9(node, names)]
    assert not offenders, offenders
    # and the check sees the pattern it forbids
    assert _multiplies_by_1e9(ast.parse("chip.memory_gb * 1e9", mode="eval").body, names)
    assert _multiplies_by_1e9(ast.parse("1e9 * row['memory_gb']", mode="eval").body, names)
