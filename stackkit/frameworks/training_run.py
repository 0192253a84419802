"""Training: the small transformer trained with ``jax.jit`` and optax AdamW on the kit's
own text, its FLOPs counted by XLA and by the kit's 6·N + attention."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import training
from .._declare import count, declared, flag, number, optional, positive, seed
from .._results import LossCurve, Result
from .host import _compiler_options, _jax, _place
from .model import (
    _SHAPES,
    _batches,
    _check_shapes,
    _flops,
    _init,
    _kit_flops_per_step,
    _optimizer_state,
    _step_fn,
)

#: Most steps :func:`train` runs (a typed count cannot hang the kernel).
MAX_STEPS = 2_000


@dataclass(frozen=True)
class FrameworkRun(LossCurve, Result):
    """A small transformer trained here with jax.jit and optax AdamW; its FLOPs counted twice."""

    _derived = ("first_loss", "last_loss", "flop_ratio")

    steps: int
    batch_size: int
    seq_len: int
    n_params: int  # every trained weight, the position table included
    kit_params: int  # N in 6·N·D: transformer.param_count (no position table)
    xla_flops_per_step: float  # the compiled step's cost analysis (forward, backward, AdamW)
    kit_flops_per_step: float  # training_flops_per_token × batch × seq_len
    compile_s: float  # tracing and compiling the step once
    step_s: float  # wall time per step after compiling (median of the steps)
    achieved_gflops: float  # XLA's FLOPs per step / step_s
    peak_gflops: float | None  # this machine's measured matmul peak, if given (lesson 1)
    mfu: float | None  # kit FLOPs per second over peak_gflops (model FLOPs, PaLM's MFU)
    losses: tuple[float, ...]
    learning_rate: float
    seed: int

    @property
    def flop_ratio(self) -> float:
        """XLA's count over the kit's: the work 6N + attention leaves out, or counts twice."""
        return self.xla_flops_per_step / self.kit_flops_per_step


@declared(steps=count(high=MAX_STEPS, examples=(100, 1)),
          batch_size=count(high=4096, examples=(16, 1)),
          learning_rate=number(low=0.0, high=1.0, low_open=True, examples=(3e-3, 1.0)),
          **_SHAPES, seed=seed(), peak_gflops=optional(positive(examples=(100.0,))),
          optimize=flag())
def train(steps: int = 100, batch_size: int = 16, learning_rate: float = 3e-3,
          d_model: int = 128, n_layers: int = 4, n_heads: int = 4, d_ff: int = 512,
          seq_len: int = 64, vocab_size: int = 96, seed: int = 0,
          peak_gflops: float | None = None, optimize: bool = True) -> FrameworkRun:
    """Train the small transformer on the kit's own text for ``steps`` steps; count its FLOPs.

    The step (forward, backward, AdamW update) is one ``jax.jit`` function;
    ``jit(step).lower(...).compile().cost_analysis()["flops"]`` is XLA's count of
    it, set beside the kit's 6·N + 12·L·d·s per token (Kaplan et al. 2020, 2.1;
    PaLM, Appendix B) × tokens per step. ``peak_gflops`` (e.g.
    ``bench.measure_matmul(512).rate``) gives the MFU on this CPU.
    ``optimize=False`` compiles without LLVM's optimizations (as in :func:`sharded_step`):
    the same HLO and FLOP count, sooner, with slower element-wise code.
    Defaults: 4 layers, d = 128, about 0.8 M parameters.
    """
    n, lr, peak = steps, learning_rate, peak_gflops
    spec, b = _check_shapes(d_model, n_layers, n_heads, d_ff, seq_len, batch_size, vocab_size)
    options = _compiler_options(optimize)
    if n * b * spec.context_length * training.training_flops_per_token(spec) > 2e13:
        raise ValueError(f"steps={n} of this model would take over 2e13 FLOPs (minutes on a "
                         "CPU); lower steps, batch_size or the model's size")
    jax, optax = _jax()
    batches = _batches(spec, b, n, seed)
    optimizer = optax.adamw(lr, weight_decay=0.01)
    weights = _init(spec, seed)
    params = _place(jax, weights)
    opt_state = _place(jax, _optimizer_state(jax, optimizer, weights))
    start = time.perf_counter()
    compiled = jax.jit(_step_fn(jax, optax, spec.n_heads, optimizer)).lower(
        params, opt_state, batches[0]).compile(options)
    compile_s = time.perf_counter() - start
    losses, times = [], []
    for batch in batches:
        t0 = time.perf_counter()
        params, opt_state, loss = compiled(params, opt_state, batch)
        losses.append(float(loss))  # waits for the step: the time is the step's
        times.append(time.perf_counter() - t0)
    step_s = float(np.median(times))
    xla = _flops(compiled.cost_analysis())
    kit = _kit_flops_per_step(spec, b)
    n_params = sum(int(x.size) for x in jax.tree.leaves(params))
    return FrameworkRun(
        steps=n, batch_size=b, seq_len=spec.context_length, n_params=n_params,
        kit_params=spec.params, xla_flops_per_step=xla, kit_flops_per_step=kit,
        compile_s=compile_s, step_s=step_s, achieved_gflops=xla / step_s / 1e9,
        peak_gflops=peak, mfu=None if peak is None else kit / step_s / 1e9 / peak,
        losses=tuple(losses), learning_rate=lr, seed=seed)
