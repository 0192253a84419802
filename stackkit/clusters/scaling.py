"""Data-parallel scaling: one training step's compute against its gradient all-reduce."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .. import _checks, catalog, chips
from .._declare import count, declared, flag, number, optional, positive
from .._results import Result
from ._specs import CHIP, EFFICIENCY, LINK, LINKS, NETWORK, counts
from .collectives import (
    _link_latency_s,
    allreduce_seconds,
    hierarchical_allreduce_seconds,
    link_efficiency,
)

_OVERSUBSCRIPTION = number(low=1.0, high=1e3, examples=(1.0, 7.0, 1000.0))


@declared(bandwidth_gb_s=positive(), oversubscription=_OVERSUBSCRIPTION)
def oversubscribed_gb_s(bandwidth_gb_s: float, oversubscription: float = 1.0) -> float:
    """Bandwidth per GPU left when traffic crosses a layer oversubscribed ``oversubscription``:1.

    A fat tree is oversubscribed when a switch layer has less uplink than downlink
    capacity; traffic through it gets bw / ratio. Llama 3's aggregation layer was
    1:7 (arXiv 2407.21783, section 3.3.1), which is why Meta kept each job's
    chattiest traffic inside a 3,072-GPU pod with full bisection bandwidth.
    """
    return bandwidth_gb_s / oversubscription


def _default_achieved_tflops(chip: catalog.Accelerator) -> float:
    """A compute rate with no communication in it: the chip's best measured BF16 matmul.

    stas00/ml-engineering's "Maximum Achievable Matmul FLOPS" (H100 SXM 794.5 of 989). An end-to-end
    figure such as Llama 3's 400 TFLOP/s per GPU already includes the communication stalls, so a
    model that adds the all-reduce on top of it would count communication twice. The matmul
    ceiling is an upper bound on the compute rate (a whole step has slower kernels too); chips
    without a measurement use their peak × the H100's measured fraction.
    """
    if chip.bf16_tflops is None:
        raise ValueError(f"chip {chip.name!r} has no bf16_tflops in the catalog; "
                         "pass achieved_tflops")
    if chip.measured_bf16_tflops is not None:
        return float(chip.measured_bf16_tflops)
    return chip.bf16_tflops * chips.realistic_peak("H100 SXM").efficiency


#: Bytes of model state per parameter in mixed-precision Adam, unsharded: fp16 weights (2) and
#: gradients (2), fp32 master weights, momentum and variance (12) (Rajbhandari et al. 2020, ZeRO,
#: section 3.1: "16Ψ bytes"; 7.5B parameters -> 120 GB, their Figure 1).
ADAM_BYTES_PER_PARAM = 16.0


@dataclass(frozen=True)
class DataParallelStep(Result):
    """One data-parallel training step: compute, gradient all-reduce, and how they combine.

    ``within_batch``: every GPU gets at least one whole sequence (n ≤ sequences in the batch);
    ``fits_in_memory``: one full copy of the model state (16 bytes per parameter with Adam)
    fits in a GPU's memory, as pure data parallelism needs. Activations are not counted.
    """

    _derived = ("within_batch", "fits_in_memory")

    chip: str
    network: str
    n_gpus: int
    gpus_per_node: int
    param_count: float
    tokens_per_step: float
    gradient_bytes: float
    compute_s: float  # 6·N·tokens / (n · achieved FLOP/s)
    allreduce_s: float  # gradient all-reduce
    overlap: bool
    step_s: float  # max(compute, all-reduce) with overlap, their sum without
    scaling_efficiency: float  # compute_s / step_s: 1 = perfect scaling
    tokens_per_s: float
    achieved_tflops: float = 0.0  # compute rate used, without communication
    sequence_tokens: int = 8192
    sequences_per_step: float = 0.0  # tokens_per_step / sequence_tokens
    model_state_gb_per_gpu: float = 0.0  # ADAM_BYTES_PER_PARAM · N, unsharded
    gpu_memory_gb: float = 0.0

    @property
    def within_batch(self) -> bool:
        return self.n_gpus <= self.sequences_per_step

    @property
    def fits_in_memory(self) -> bool:
        return self.model_state_gb_per_gpu <= self.gpu_memory_gb


_PARAMS = positive(high=_checks.COUNT_LIMIT, examples=(8e9, 1e6, 405e9))
_TOKENS = positive(examples=(4e6, 8192.0, 1.6e7))


@declared(param_count=_PARAMS, tokens_per_step=_TOKENS, n_gpus=count(examples=(8, 1024, 1)),
          chip=CHIP, network=NETWORK, gpus_per_node=count(examples=(8, 4, 1)), node_link=LINK,
          overlap=flag(), achieved_tflops=optional(positive(examples=(400.0, 794.5))),
          # a gradient element is 2 (bf16) or 4 (fp32) bytes; 16 leaves room for any format
          bytes_per_gradient=positive(high=16, examples=(2.0, 4.0)), efficiency=EFFICIENCY,
          oversubscription=_OVERSUBSCRIPTION, sequence_tokens=count(examples=(8192, 4096)))
def data_parallel_step(param_count: float, tokens_per_step: float, n_gpus: int,
                       chip: str | catalog.Accelerator = "H100 SXM",
                       network: str | catalog.Interconnect = "InfiniBand NDR 4x",
                       gpus_per_node: int = 8, node_link: str | catalog.Interconnect = "NVLink 4",
                       overlap: bool = True, achieved_tflops: float | None = None,
                       bytes_per_gradient: float = 2.0, efficiency: float | None = None,
                       oversubscription: float = 1.0,
                       sequence_tokens: int = 8192) -> DataParallelStep:
    """Time of one data-parallel step at a fixed global batch (strong scaling).

    compute   = 6 · N · tokens / (n · achieved FLOP/s)   (Kaplan et al. 2020, eq. 2.1)
    all-reduce of N · bytes_per_gradient: inside the node over ``node_link``,
        then across nodes over ``network`` (one NIC per GPU;
        :func:`hierarchical_allreduce_seconds`). A scale-up ``network`` (NVLink,
        TPU ICI) is one domain over all GPUs: a flat ring.
    step      = max(compute, all-reduce) with overlap (buckets reduced during
        the backward pass, Li et al. 2020, PyTorch DDP, VLDB 13(12)), else the sum.
    efficiency = compute / step.

    ``oversubscription`` divides the scale-out bandwidth (:func:`oversubscribed_gb_s`),
    the worst case where every ring crosses the oversubscribed layer.

    Defaults: ``achieved_tflops`` = a compute rate *without* communication, the chip's best
    measured BF16 matmul (H100 SXM 794.5 TFLOP/s), since the all-reduce is added here;
    link efficiency and per-link latency as in :func:`collective`. The result also says
    whether the step is possible at all in pure data parallelism: ``within_batch`` (each GPU
    needs a whole sequence of ``sequence_tokens``) and ``fits_in_memory`` (a full copy of the
    Adam model state, 16 bytes per parameter, per GPU). Beyond either limit, a real job
    shards the model (ZeRO/FSDP, tensor and pipeline parallelism: lesson 05).
    """
    accelerator = catalog.accelerator(chip)
    n_params, tokens, n, g = param_count, tokens_per_step, n_gpus, gpus_per_node
    seq = sequence_tokens
    grad_bytes = n_params * bytes_per_gradient
    rate_tflops = (_default_achieved_tflops(accelerator) if achieved_tflops is None
                   else achieved_tflops)
    flops = rate_tflops * 1e12
    eff = link_efficiency() if efficiency is None else efficiency
    scale_out = catalog.interconnect(network)
    inside = catalog.interconnect(node_link)
    out_bw = oversubscribed_gb_s.unchecked(scale_out.bandwidth_gb_s, oversubscription)
    compute_s = 6 * n_params * tokens / (n * flops)
    flat = allreduce_seconds.unchecked
    if scale_out.kind in ("scale-up", "memory"):
        comm_s = flat(grad_bytes, n, scale_out.bandwidth_gb_s * eff, _link_latency_s(scale_out),
                      "ring")
    elif n <= g:
        comm_s = flat(grad_bytes, n, inside.bandwidth_gb_s * eff, _link_latency_s(inside), "ring")
    else:
        if n % g:
            raise ValueError(f"n_gpus must be a multiple of gpus_per_node ({g}) when the "
                             f"job spans nodes; got n_gpus={n}")
        comm_s = hierarchical_allreduce_seconds.unchecked(
            grad_bytes, n // g, g, inside.bandwidth_gb_s * eff, out_bw * eff,
            _link_latency_s(inside), _link_latency_s(scale_out))
    step_s = max(compute_s, comm_s) if overlap else compute_s + comm_s
    return DataParallelStep(
        chip=accelerator.name, network=scale_out.name, n_gpus=n, gpus_per_node=g,
        param_count=n_params, tokens_per_step=tokens, gradient_bytes=grad_bytes,
        compute_s=compute_s, allreduce_s=comm_s, overlap=bool(overlap), step_s=step_s,
        scaling_efficiency=compute_s / step_s, tokens_per_s=tokens / step_s,
        achieved_tflops=rate_tflops, sequence_tokens=seq, sequences_per_step=tokens / seq,
        model_state_gb_per_gpu=ADAM_BYTES_PER_PARAM * n_params / 1e9,
        gpu_memory_gb=accelerator.weight_capacity_gb,
    )


@declared(gpu_counts=counts(examples=((8, 64, 512), (1,))), networks=LINKS,
          param_count=_PARAMS, tokens_per_step=_TOKENS, overlap=flag())
def scaling_sweep(gpu_counts: Iterable[int], networks: Iterable[str], param_count: float,
                  tokens_per_step: float, overlap: bool = False, **options) -> pd.DataFrame:
    """:func:`data_parallel_step` over GPU counts and networks, one row each."""
    rows = []
    for network in networks:
        for n in gpu_counts:
            try:
                step = data_parallel_step(param_count, tokens_per_step, n, network=network,
                                          overlap=overlap, **options)
            except ValueError as exc:  # say which entry of the sweep it was
                raise ValueError(f"at gpu_counts entry {n} on {network!r}: {exc}") from None
            rows.append(step.to_frame().iloc[0].to_dict())
    return pd.DataFrame(rows)
