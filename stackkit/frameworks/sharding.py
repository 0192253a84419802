"""Sharding: one AdamW step compiled over a mesh of host devices as data parallel, FSDP
(ZeRO-3) or tensor parallel, its memory and collectives beside the kit's formulas."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import catalog, training
from .._declare import choice, count, declared, flag, seed
from .._results import Result
from .hlo import collectives_in
from .host import MAX_REPEATS, N_HOST_DEVICES, _compiler_options, _jax, _place, _shard_map
from .model import _SHAPES, _batches, _check_shapes, _init, _loss_fn, _optimizer_state, _step_fn

STRATEGIES = ("dp", "fsdp", "tp")


@dataclass(frozen=True)
class ShardedStep(Result):
    """One training step compiled over a mesh of host devices: memory and collectives."""

    strategy: str
    n_devices: int
    n_params: int
    batch_size: int
    seq_len: int
    argument_bytes_per_device: float  # the step's inputs: parameters, Adam state, batch
    temp_bytes_per_device: float  # XLA's scratch: activations, gradients, gathered weights
    bytes_per_device: float  # arguments + outputs − aliased (donated) + temporaries
    kit_bytes_per_device: float  # training.memory_fit's total for the same shapes
    kit_states_bytes_per_device: float  # training.model_states_gb: weights, grads, Adam
    collectives: dict[str, tuple[int, int]]  # op -> (count, bytes per device), from the HLO
    step_s: float  # measured, median of a few steps after compiling
    compile_s: float
    hlo_text: str = field(default="", repr=False)  # the optimized HLO the collectives came from

    def _rows(self) -> dict[str, object]:
        row = super()._rows()
        row["collectives"] = ", ".join(f"{op} ×{c} ({b / 1e6:.2f} MB)"
                                       for op, (c, b) in self.collectives.items() if c)
        return row


def _partition(strategy: str, name: str, shape: tuple[int, ...], n: int, axis: str):
    """The PartitionSpec of one parameter (or its Adam moment) under ``strategy``."""
    from jax.sharding import PartitionSpec as P
    if strategy == "dp" or not shape:
        return P()
    if strategy == "fsdp":  # ZeRO-3: every tensor split along a dimension n divides
        for dim, size in enumerate(shape):
            if size % n == 0:
                return P(*([None] * dim), axis)
        return P()
    if name in ("wq", "wk", "wv", "w_up"):  # Megatron: column-parallel (split outputs)
        return P(None, axis)
    if name in ("wo", "w_down"):  # row-parallel (split inputs): an all-reduce after
        return P(axis, None)
    return P()  # embedding, head, norms: replicated


def _shardings(jax, tree, strategy: str, mesh, axis: str):
    from jax.sharding import NamedSharding

    def one(path, leaf):
        keys = [getattr(k, "key", None) for k in path]
        name = next((k for k in reversed(keys) if isinstance(k, str)), "")
        return NamedSharding(mesh, _partition(strategy, name, tuple(leaf.shape),
                                              mesh.devices.size, axis))
    return jax.tree_util.tree_map_with_path(one, tree)


def _fsdp_step_fn(jax, optax, n_heads: int, optimizer, mesh, axis: str, param_sh, opt_sh):
    """ZeRO-3 written out, as FSDP does it: gather each weight for use, scatter its gradient.

    Inside ``shard_map`` every device holds 1/n of each tensor (and of its Adam
    moments); ``all_gather`` assembles a weight where the loss needs it, and its
    transpose in the backward pass is a reduce-scatter of the gradient (JAX's
    ``psum_scatter``), so each device updates only its own shard. GSPMD, left to
    itself on the CPU backend, all-reduces whole gradients instead.
    """
    from jax.sharding import PartitionSpec as P
    loss_fn = _loss_fn(jax, optax, n_heads)
    n = mesh.devices.size
    specs = jax.tree.map(lambda sh: sh.spec, param_sh)

    def gather(shard, spec):
        dim = next((i for i, a in enumerate(spec) if a == axis), None)
        return shard if dim is None else jax.lax.all_gather(shard, axis, axis=dim, tiled=True)

    def local_step(params, opt_state, batch):
        def local_loss(shards):
            full = jax.tree.map(gather, shards, specs)
            return loss_fn(full, batch)
        loss, grads = jax.value_and_grad(local_loss)(params)
        # the scattered gradient is the sum over devices of each one's mean: make it the mean;
        # a replicated tensor's gradient is still this device's alone: average it
        grads = jax.tree.map(lambda g, spec: g / n if axis in spec else jax.lax.pmean(g, axis),
                             grads, specs)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, jax.lax.pmean(loss, axis)

    opt_specs = jax.tree.map(lambda sh: sh.spec, opt_sh)
    return _shard_map(jax)(local_step, mesh=mesh, in_specs=(specs, opt_specs, P(axis)),
                           out_specs=(specs, opt_specs, P()))


def _kit_bytes(spec: catalog.ModelSpec, strategy: str, n: int, batch_size: int) -> tuple[float,
                                                                                          float]:
    """(memory_fit total, model states) per device for the same shapes, in bytes."""
    dp = 1 if strategy == "tp" else n
    tp = n if strategy == "tp" else 1
    zero = 3 if strategy == "fsdp" else 0
    fit = training.memory_fit(spec, "H100 SXM", zero_stage=zero, dp=dp, tp=tp,
                              micro_batch=batch_size // dp, seq_len=spec.context_length)
    return fit.total_gb * 1e9, fit.model_states_gb * 1e9


@declared(strategy=choice(STRATEGIES),
          n_devices=count(high=N_HOST_DEVICES, examples=(N_HOST_DEVICES, 2, 1)),
          batch_size=count(high=4096, examples=(16, 8)),
          **{**_SHAPES, "n_layers": count(high=64, examples=(2, 1)),
             "n_heads": count(high=64, examples=(8, 4))},
          repeats=count(high=MAX_REPEATS, examples=(3, 1)), seed=seed(), optimize=flag())
def sharded_step(strategy: str = "fsdp", n_devices: int = N_HOST_DEVICES, batch_size: int = 16,
                 d_model: int = 128, n_layers: int = 2, n_heads: int = 8, d_ff: int = 512,
                 seq_len: int = 64, vocab_size: int = 96, repeats: int = 3,
                 seed: int = 0, optimize: bool = True) -> ShardedStep:
    """Compile one AdamW step of the transformer over ``n_devices`` host devices and read it.

    ``strategy``: "dp" (parameters replicated, batch split: gradients all-reduced),
    "fsdp" (ZeRO-3: parameters and Adam state split too, gathered for use and
    their gradients reduce-scattered; Rajbhandari et al. 2020), "tp" (Megatron:
    W_q, W_k, W_v and the MLP's up projection split by columns, W_o and the down
    projection by rows, so each attention and MLP block ends in one all-reduce
    forward and one backward; Narayanan et al. 2021, section 2.3; the batch is
    replicated). Memory per device comes from the compiled executable's
    ``memory_analysis()``, the collectives from its optimized HLO
    (:func:`collectives_in`); beside them the kit's ``training.memory_fit`` for
    the same shapes (it assumes 16-bit activations and mixed-precision Adam,
    2 + 2 + 12 bytes a parameter; this step is float32 throughout, 4 + 4 + 8:
    the same 16 bytes for the model states). ``optimize=False`` skips LLVM's
    optimization of the CPU code (``xla_backend_optimization_level=0``): the same
    HLO, memory plan and collectives, compiled in about half the time, run slower.
    """
    n = n_devices
    if N_HOST_DEVICES % n:
        raise ValueError(f"n_devices must divide {N_HOST_DEVICES} (1, 2, 4 or 8); got {n}")
    spec, b = _check_shapes(d_model, n_layers, n_heads, d_ff, seq_len, batch_size, vocab_size)
    if strategy == "tp" and (spec.n_heads % n or spec.d_ff % n):
        raise ValueError(f"n_devices={n} must divide n_heads={spec.n_heads} and d_ff="
                         f"{spec.d_ff} for tensor parallelism (whole heads per device)")
    if strategy != "tp" and b % n:
        raise ValueError(f"n_devices={n} must divide batch_size={b} for {strategy} "
                         "(each device takes an equal share of the batch)")
    reps = repeats
    options = _compiler_options(optimize)
    jax, optax = _jax(n)
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P
    axis = "model" if strategy == "tp" else "data"
    mesh = Mesh(np.array(jax.devices("cpu")[:n]), (axis,))
    optimizer = optax.adamw(1e-3, weight_decay=0.01)
    weights = _init(spec, seed)
    zeros = _optimizer_state(jax, optimizer, weights)
    param_sh = _shardings(jax, weights, strategy, mesh, axis)
    opt_sh = _shardings(jax, zeros, strategy, mesh, axis)
    batch_sh = NamedSharding(mesh, P() if strategy == "tp" else P(axis))
    params, opt_state = _place(jax, weights, param_sh), _place(jax, zeros, opt_sh)
    batch = _place(jax, _batches(spec, b, 1, seed)[0], batch_sh)
    if strategy == "fsdp":
        step = _fsdp_step_fn(jax, optax, spec.n_heads, optimizer, mesh, axis, param_sh, opt_sh)
    else:
        step = _step_fn(jax, optax, spec.n_heads, optimizer)
    start = time.perf_counter()
    compiled = jax.jit(step, in_shardings=(param_sh, opt_sh, batch_sh),
                       out_shardings=(param_sh, opt_sh, NamedSharding(mesh, P())),
                       donate_argnums=(0, 1)).lower(params, opt_state, batch).compile(options)
    compile_s = time.perf_counter() - start
    times = []
    for _ in range(reps + 1):  # the first call also allocates: not timed
        t0 = time.perf_counter()
        params, opt_state, loss = compiled(params, opt_state, batch)
        loss.block_until_ready()
        times.append(time.perf_counter() - t0)
    memory = compiled.memory_analysis()
    arguments = float(memory.argument_size_in_bytes)
    total = (arguments + memory.output_size_in_bytes - memory.alias_size_in_bytes
             + memory.temp_size_in_bytes)
    hlo = compiled.as_text()
    kit_total, kit_states = _kit_bytes(spec, strategy, n, b)
    return ShardedStep(
        strategy=strategy, n_devices=n, n_params=spec.params, batch_size=b,
        seq_len=spec.context_length, argument_bytes_per_device=arguments,
        temp_bytes_per_device=float(memory.temp_size_in_bytes), bytes_per_device=float(total),
        kit_bytes_per_device=kit_total, kit_states_bytes_per_device=kit_states,
        collectives=collectives_in(hlo), step_s=float(np.median(times[1:])),
        compile_s=compile_s, hlo_text=hlo)
