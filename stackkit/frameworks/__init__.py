"""Layer 5 run for real: a small transformer trained in JAX, counted by the compiler, sharded.

Lesson 5 (``notebooks/05_training.ipynb``) teaches training with formulas: 6·N·D
plus attention, ZeRO memory, Megatron's tensor-parallel all-reduces. This module
checks those formulas against a real framework and its compiler, on this machine:

- :func:`train` trains a small decoder-only transformer (pre-norm, GELU MLP,
  learned positions) with ``jax.jit`` and optax's AdamW on the kit's own text
  (the docstrings of its lesson modules, read character by character), and sets
  XLA's FLOP count of the compiled step (``cost_analysis()``) beside
  :func:`stackkit.training.training_flops_per_token` for the same shapes;
- :func:`sharded_step` compiles the same step over a ``Mesh`` of host devices as
  data parallel, FSDP (ZeRO-3: parameters and Adam state sharded) or tensor
  parallel (Megatron's column/row split, Narayanan et al. 2021, section 2.3), and
  reads the memory per device from the compiled executable and the collectives
  from its optimized HLO, beside :func:`stackkit.training.memory_fit`;
- :func:`collective_sweep` times ``psum`` / ``all_gather`` over the host devices
  and fits lesson 2's α–β model to them (:func:`stackkit.clusters.allreduce_seconds`).

The host devices are ``--xla_force_host_platform_device_count=8`` CPU devices:
one process, one memory system. They show what the compiler does (which
collectives, how many bytes, what each device holds); their timings are of
memory copies between threads, not of NVLink or InfiniBand.

JAX and optax are an optional extra (``pip install 'stackkit[frameworks]'``),
imported inside the functions: ``import stackkit.frameworks`` works without them.

Where each idea lives:

- ``host.py``: :data:`EXTRA`, :data:`N_HOST_DEVICES`, JAX imported lazily with the host
  devices asked for;
- ``model.py``: :func:`model_spec`, :func:`corpus_text`, the weights, loss and step;
- ``training_run.py``: :class:`FrameworkRun`, :func:`train`;
- ``hlo.py``: :data:`HLO_COLLECTIVES`, :func:`collectives_in`;
- ``sharding.py``: :data:`STRATEGIES`, :class:`ShardedStep`, :func:`sharded_step`;
- ``collectives.py``: :data:`COLLECTIVE_OPS`, :class:`CollectiveSweep`, :func:`collective_sweep`.
"""

from __future__ import annotations

from .collectives import (
    COLLECTIVE_OPS,
    MAX_SWEEP_BYTES,
    MAX_SWEEP_SIZES,
    CollectiveSweep,
    collective_sweep,
)
from .hlo import HLO_COLLECTIVES, collectives_in
from .host import EXTRA, N_HOST_DEVICES
from .host import MAX_REPEATS as MAX_REPEATS
from .model import MAX_PARAMS, MAX_TOKENS_PER_STEP, corpus_text, model_spec
from .sharding import STRATEGIES, ShardedStep, sharded_step
from .training_run import MAX_STEPS, FrameworkRun, train

# Names written ``import X as X`` are public as ``frameworks.X`` but outside ``__all__``, as
# before. Importing the package (host.py) asks XLA for the host devices before JAX starts.

__all__ = [
    "COLLECTIVE_OPS",
    "EXTRA",
    "HLO_COLLECTIVES",
    "MAX_PARAMS",
    "MAX_STEPS",
    "MAX_SWEEP_BYTES",
    "MAX_SWEEP_SIZES",
    "MAX_TOKENS_PER_STEP",
    "N_HOST_DEVICES",
    "STRATEGIES",
    "CollectiveSweep",
    "FrameworkRun",
    "ShardedStep",
    "collective_sweep",
    "collectives_in",
    "corpus_text",
    "model_spec",
    "sharded_step",
    "train",
]
