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
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any

from . import _checks, catalog, clusters, training, transformer
from ._results import Result

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

#: The install command every "JAX is missing" error names.
EXTRA = "pip install 'stackkit[frameworks]'"
#: CPU devices XLA is asked to make (before JAX starts): a mesh of 8, as in one GPU server.
N_HOST_DEVICES = 8
STRATEGIES = ("dp", "fsdp", "tp")
COLLECTIVE_OPS = ("psum", "all_gather")
#: The collectives read from optimized HLO (``-start`` forms count once; ``-done`` not at all).
HLO_COLLECTIVES = ("all-reduce", "all-gather", "reduce-scatter", "all-to-all")
#: Bounds, so that a typed size cannot hang the kernel: steps of a run, the model's size,
#: one collective's message and the sweep's length.
MAX_STEPS = 2_000
MAX_PARAMS = 20_000_000  # float32 weights + Adam: 320 MB at most
MAX_TOKENS_PER_STEP = 65_536
MAX_SWEEP_BYTES = 256 * 2**20
MAX_SWEEP_SIZES = 32
MAX_REPEATS = 100
_FLAG = "--xla_force_host_platform_device_count"
_DTYPE_BYTES = {"pred": 1, "s8": 1, "u8": 1, "bf16": 2, "f16": 2, "s16": 2, "u16": 2,
                "f32": 4, "s32": 4, "u32": 4, "f64": 8, "s64": 8, "u64": 8, "c64": 8}
_SHAPE = re.compile(r"\b(pred|[subfc]\d+|bf16)\[([\d,]*)\]")
_OP = re.compile(r"=\s*(.*?)\s(" + "|".join(HLO_COLLECTIVES) + r")(-start)?\(")
# The modules whose docstrings are the training text: the lessons' own prose, shipped.
_TEXT_MODULES = ("transformer", "chips", "clusters", "cloud", "training", "serving")


# --------------------------------------------------------------------------- JAX, lazily

def _ask_for_host_devices() -> None:
    """Ask XLA for :data:`N_HOST_DEVICES` CPU devices, unless the caller already chose a number.

    XLA reads the flag when JAX creates its CPU backend (the first array or device
    query), so this works whenever it runs before that: on importing this module, and
    again before each call imports JAX.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={N_HOST_DEVICES}".strip()


_ask_for_host_devices()


def _jax(n_devices: int = 1):
    """(jax, optax), with XLA asked for :data:`N_HOST_DEVICES` CPU devices before it starts."""
    _ask_for_host_devices()
    try:
        import jax
        import optax
    except ImportError as exc:
        raise ImportError(f"stackkit.frameworks needs JAX and optax, the kit's optional "
                          f"'frameworks' extra: {EXTRA}") from exc
    available = len(jax.devices("cpu"))
    if available < n_devices:
        raise RuntimeError(
            f"JAX started with {available} CPU device(s) before stackkit.frameworks could ask "
            f"for {N_HOST_DEVICES}, and this needs n_devices={n_devices}: restart the kernel "
            f"and call stackkit.frameworks first, or set XLA_FLAGS={_FLAG}={N_HOST_DEVICES} "
            "before anything imports JAX")
    return jax, optax


# --------------------------------------------------------------------------- the model

def model_spec(d_model: int = 128, n_layers: int = 4, n_heads: int = 4, d_ff: int = 512,
               vocab_size: int = 96, seq_len: int = 64) -> catalog.ModelSpec:
    """The JAX model's architecture as a :class:`~stackkit.catalog.ModelSpec`.

    The kit's formulas (:mod:`stackkit.transformer`, :mod:`stackkit.training`) then
    count it as they count a catalog model: ``params`` is
    :func:`stackkit.transformer.param_count` (attention 4d², GELU MLP 2·d·d_ff,
    two norms per layer, untied embedding and head, a final norm; no biases). The
    model also has a learned position table (seq_len·d), which that count leaves
    out as it does for GPT-3 (a gather, no matmul).
    """
    d = _checks.whole("d_model", d_model, 8, 4096)
    layers = _checks.whole("n_layers", n_layers, 1, 64)
    heads = _checks.whole("n_heads", n_heads, 1, 64)
    if d % heads:
        raise ValueError(f"n_heads must divide d_model={d}; got n_heads={heads}")
    ff = _checks.whole("d_ff", d_ff, 8, 16_384)
    vocab = _checks.whole("vocab_size", vocab_size, 2, 65_536)
    seq = _checks.whole("seq_len", seq_len, 2, 4096)
    spec = catalog.ModelSpec(
        name=f"JAX toy L{layers} d{d}", family="stackkit", n_layers=layers, d_model=d,
        n_heads=heads, n_kv_heads=heads, d_ff=ff, vocab_size=vocab, ffn_kind="gelu",
        n_experts=1, experts_per_token=1, tied_embeddings=False, context_length=seq,
        params=1, source="stackkit.frameworks.model_spec", as_of=dt.date(2026, 12, 3))
    params = transformer.param_count(spec)
    if params > MAX_PARAMS:
        raise ValueError(f"d_model, n_layers, d_ff and vocab_size make {params:,} parameters; "
                         f"at most {MAX_PARAMS:,} train here (float32 weights and Adam state)")
    return replace(spec, params=params)


def corpus_text() -> str:
    """The training text: the docstrings of the kit's lesson modules, in a fixed order."""
    import importlib
    import inspect
    parts = []
    for name in _TEXT_MODULES:
        module = importlib.import_module(f"stackkit.{name}")
        parts.append(inspect.getdoc(module) or "")
        for attr in sorted(getattr(module, "__all__", ())):
            doc = inspect.getdoc(getattr(module, attr))
            if doc and callable(getattr(module, attr)):
                parts.append(doc)
    return "\n\n".join(parts)


@functools.cache
def _encode(vocab_size: int):
    """The corpus as token ids: its most frequent characters, the rest mapped to one id."""
    import collections

    import numpy as np
    text = corpus_text()
    common = [c for c, _ in collections.Counter(text).most_common(vocab_size - 1)]
    ids = {c: i + 1 for i, c in enumerate(sorted(common))}  # 0: any other character
    encoded = np.array([ids.get(c, 0) for c in text], dtype=np.int32)
    encoded.flags.writeable = False  # cached: shared by every call
    return encoded


def _init(spec: catalog.ModelSpec, seed: int) -> dict:
    """Weights drawn with NumPy (one JAX op per tensor would compile a kernel each: seconds)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    d, f, v, s = spec.d_model, spec.d_ff, spec.vocab_size, spec.context_length

    def dense(rows: int, cols: int, scale: float = 1.0) -> Any:
        return (rng.standard_normal((rows, cols)) * scale / math.sqrt(rows)).astype(np.float32)

    def ones() -> Any:
        return np.ones(d, np.float32)

    residual = 1.0 / math.sqrt(2 * spec.n_layers)  # GPT-2's scaled residual projections
    layers = [{"norm1": ones(), "wq": dense(d, d), "wk": dense(d, d), "wv": dense(d, d),
               "wo": dense(d, d, residual), "norm2": ones(), "w_up": dense(d, f),
               "w_down": dense(f, d, residual)} for _ in range(spec.n_layers)]
    params = {"embed": dense(v, d, 0.02 * math.sqrt(v)), "pos": dense(s, d, 0.02 * math.sqrt(s)),
              "layers": layers, "norm": ones(), "head": dense(d, v, 0.1)}  # loss ≈ ln V at first
    return params


def _place(jax, tree, shardings=None):
    """NumPy arrays onto devices, whole or in shards, without compiling anything.

    ``jax.device_put`` onto a sharding compiles a small program per shape (seconds
    for a model's worth of tensors); building each array from its shards does not.
    """
    if shardings is None:
        return jax.tree.map(jax.numpy.asarray, tree)
    return jax.tree.map(lambda x, sh: jax.make_array_from_callback(x.shape, sh,
                                                                   lambda i: x[i]),
                        tree, shardings)


def _optimizer_state(jax, optimizer, params):
    """AdamW's initial state as NumPy zeros (its step count and both moments start at 0)."""
    import numpy as np
    shapes = jax.eval_shape(optimizer.init, params)
    return jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes)


def _loss_fn(jax, optax, n_heads: int):
    jnp = jax.numpy

    def rms(x, scale):
        return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + 1e-6) * scale

    def loss(params, batch):
        tokens, targets = batch[:, :-1], batch[:, 1:]
        b, s = tokens.shape
        d = params["embed"].shape[1]
        hd = d // n_heads
        x = params["embed"][tokens] + params["pos"][:s]
        causal = jnp.tril(jnp.ones((s, s), dtype=bool))
        for layer in params["layers"]:
            h = rms(x, layer["norm1"])
            q, k, v = ((h @ layer[w]).reshape(b, s, n_heads, hd) for w in ("wq", "wk", "wv"))
            scores = jnp.einsum("bshd,bthd->bhst", q, k) / math.sqrt(hd)
            weights = jax.nn.softmax(jnp.where(causal, scores, -1e9), axis=-1)
            x = x + jnp.einsum("bhst,bthd->bshd", weights, v).reshape(b, s, d) @ layer["wo"]
            x = x + jax.nn.gelu(rms(x, layer["norm2"]) @ layer["w_up"]) @ layer["w_down"]
        logits = rms(x, params["norm"]) @ params["head"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, targets).mean()

    return loss


def _step_fn(jax, optax, n_heads: int, optimizer):
    loss_fn = _loss_fn(jax, optax, n_heads)

    def step(params, opt_state, batch):
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def _batches(spec: catalog.ModelSpec, batch_size: int, steps: int, seed: int):
    """``steps`` batches of ``batch_size`` windows of seq_len + 1 tokens (inputs and targets)."""
    import numpy as np
    ids = _encode(spec.vocab_size)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - spec.context_length - 1, size=(steps, batch_size))
    window = np.arange(spec.context_length + 1)
    return ids[starts[..., None] + window]


def _check_shapes(d_model, n_layers, n_heads, d_ff, seq_len, batch_size, vocab_size):
    spec = model_spec(d_model, n_layers, n_heads, d_ff, vocab_size, seq_len)
    b = _checks.whole("batch_size", batch_size, 1, 4096)
    if b * spec.context_length > MAX_TOKENS_PER_STEP:
        raise ValueError(f"batch_size × seq_len must be at most {MAX_TOKENS_PER_STEP:,} tokens "
                         f"a step; got batch_size={b} × seq_len={spec.context_length}")
    return spec, b


def _compiler_options(optimize: object) -> dict | None:
    """XLA options: none, or LLVM's optimization of the CPU code skipped (same HLO, sooner)."""
    if _checks.boolean("optimize", optimize):
        return None
    return {"xla_backend_optimization_level": 0}


def _flops(cost: Any) -> float:
    """FLOPs from ``Compiled.cost_analysis()`` (a dict, or a list of one per module)."""
    if isinstance(cost, (list, tuple)):
        return float(sum(c.get("flops", 0.0) for c in cost))
    return float(cost.get("flops", 0.0))


def _kit_flops_per_step(spec: catalog.ModelSpec, batch_size: int) -> float:
    """6·N + 12·L·d·s per token (PaLM, Appendix B), for every token of the step."""
    s = spec.context_length
    return training.training_flops_per_token(spec, seq_len=s) * batch_size * s


# --------------------------------------------------------------------------- training

@dataclass(frozen=True)
class FrameworkRun(Result):
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
    def first_loss(self) -> float:
        return self.losses[0]

    @property
    def last_loss(self) -> float:
        return self.losses[-1]

    @property
    def flop_ratio(self) -> float:
        """XLA's count over the kit's: the work 6N + attention leaves out, or counts twice."""
        return self.xla_flops_per_step / self.kit_flops_per_step


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
    n = _checks.whole("steps", steps, 1, MAX_STEPS)
    spec, b = _check_shapes(d_model, n_layers, n_heads, d_ff, seq_len, batch_size, vocab_size)
    lr = _checks.in_range("learning_rate", learning_rate, 0.0, 1.0, low_open=True)
    seed = _checks.seed("seed", seed)
    peak = _checks.optional(_checks.positive, "peak_gflops", peak_gflops)
    options = _compiler_options(optimize)
    if n * b * spec.context_length * training.training_flops_per_token(spec) > 2e13:
        raise ValueError(f"steps={n} of this model would take over 2e13 FLOPs (minutes on a "
                         "CPU); lower steps, batch_size or the model's size")
    jax, optax = _jax()
    import numpy as np
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


# --------------------------------------------------------------------------- HLO

def collectives_in(hlo_text: str) -> dict[str, tuple[int, int]]:
    """The collectives in optimized HLO text: op name -> (count, bytes per device).

    Bytes are the sum of each op's result on one device: an all-reduce's buffer
    (input = output, the ``size_bytes`` of lesson 2's formulas), an all-gather's
    gathered output (nccl-tests' size), a reduce-scatter's 1/n shard (× n for the
    buffer it reduced); a fused (tuple) op counts every element.
    ``all-reduce-start`` counts as one all-reduce; ``-done`` not at all.
    """
    text = _checks.text("hlo_text", hlo_text)
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


# --------------------------------------------------------------------------- sharding

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


def _shard_map(jax):
    shard_map = getattr(jax, "shard_map", None)
    if shard_map is None:  # JAX before 0.7
        from jax.experimental.shard_map import shard_map
    return shard_map


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
    strategy = _checks.one_of("strategy", strategy, STRATEGIES)
    n = _checks.whole("n_devices", n_devices, 1, N_HOST_DEVICES)
    if N_HOST_DEVICES % n:
        raise ValueError(f"n_devices must divide {N_HOST_DEVICES} (1, 2, 4 or 8); got {n}")
    spec, b = _check_shapes(d_model, n_layers, n_heads, d_ff, seq_len, batch_size, vocab_size)
    if strategy == "tp" and (spec.n_heads % n or spec.d_ff % n):
        raise ValueError(f"n_devices={n} must divide n_heads={spec.n_heads} and d_ff="
                         f"{spec.d_ff} for tensor parallelism (whole heads per device)")
    if strategy != "tp" and b % n:
        raise ValueError(f"n_devices={n} must divide batch_size={b} for {strategy} "
                         "(each device takes an equal share of the batch)")
    reps = _checks.whole("repeats", repeats, 1, MAX_REPEATS)
    seed = _checks.seed("seed", seed)
    options = _compiler_options(optimize)
    jax, optax = _jax(n)
    import numpy as np
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


# --------------------------------------------------------------------------- collectives

@dataclass(frozen=True)
class CollectiveSweep(Result):
    """Measured times of one collective over host devices and the α–β line fitted to them."""

    op: str
    n_devices: int
    table: Any  # pandas DataFrame: size_bytes, seconds, fit_s, lesson2_s
    alpha_s: float  # fitted fixed cost per call
    beta_s_per_byte: float  # fitted cost per byte of size_bytes
    r2: float  # of the fit, on the measured times
    link_bandwidth_gb_s: float  # the per-rank link bandwidth lesson 2's ring formula needs for β
    latency_s: float  # lesson 2's per-step α that reproduces the fitted α (ring: 2(n−1) steps)


def collective_sweep(op: str = "psum", sizes_bytes=(2**14, 2**16, 2**18, 2**20, 2**22),
                     n_devices: int = N_HOST_DEVICES, repeats: int = 5) -> CollectiveSweep:
    """Time ``op`` over ``n_devices`` host devices at each message size; fit t = α + β·S.

    ``psum`` is an all-reduce of a float32 buffer of S bytes on every device;
    ``all_gather`` assembles S bytes from S/n on each (nccl-tests' sizes, as
    :func:`stackkit.clusters.all_gather_seconds` counts them). Each size's time
    is the fastest of ``repeats`` calls after one warm-up (on a shared machine
    the least disturbed: other work only ever adds time). The fit is least
    squares on relative errors (each size weighted by 1/t, so that a 16 KB call
    counts as much as a 16 MB one; α kept ≥ 0), R² of that fit. β then gives
    the link bandwidth lesson 2's ring formula would need
    (:func:`stackkit.clusters.allreduce_seconds`: 2(n−1)/n · S / bw + 2(n−1)·α,
    or (n−1)/n · S / bw + (n−1)·α for an all-gather), and the
    table's ``lesson2_s`` is that formula at the fitted bandwidth and latency.
    Host devices share one memory system: this is a memory copy between
    threads, not a network.
    """
    op = _checks.one_of("op", op, COLLECTIVE_OPS)
    n = _checks.whole("n_devices", n_devices, 2, N_HOST_DEVICES)
    if N_HOST_DEVICES % n:
        raise ValueError(f"n_devices must divide {N_HOST_DEVICES} (2, 4 or 8); got {n}")
    sizes = _checks.array("sizes_bytes", sizes_bytes, low=4 * n, high=MAX_SWEEP_BYTES,
                          min_len=3, max_len=MAX_SWEEP_SIZES)
    reps = _checks.whole("repeats", repeats, 1, MAX_REPEATS)
    elements = [max(n, int(s) // (4 * n) * n) for s in sizes]  # float32, a multiple of n
    if len(set(elements)) < 2:
        raise ValueError("sizes_bytes must hold at least two different sizes to fit a line; "
                         f"got {list(sizes_bytes)}")
    jax, _ = _jax(n)
    import numpy as np
    import pandas as pd
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P
    shard_map = _shard_map(jax)
    mesh = Mesh(np.array(jax.devices("cpu")[:n]), ("d",))
    if op == "psum":
        def body(x):
            return jax.lax.psum(x, "d")
    else:
        def body(x):
            return jax.lax.all_gather(x, "d", tiled=True)
    fn = jax.jit(shard_map(body, mesh=mesh, in_specs=P("d"), out_specs=P("d")))
    rows = []
    for m in elements:
        # psum: each device holds m elements; all_gather: each holds m/n and gathers m
        local = m if op == "psum" else m // n
        x = _place(jax, np.ones(n * local, np.float32), NamedSharding(mesh, P("d")))
        fn(x).block_until_ready()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn(x).block_until_ready()
            times.append(time.perf_counter() - t0)
        rows.append({"size_bytes": 4 * m, "seconds": min(times)})
    table = pd.DataFrame(rows)
    alpha, beta, r2 = _fit_alpha_beta(table["size_bytes"].to_numpy(float),
                                      table["seconds"].to_numpy(float))
    fitted = alpha + beta * table["size_bytes"]
    passes = 2 if op == "psum" else 1  # ring all-reduce: reduce-scatter + all-gather
    bandwidth = passes * (n - 1) / n / max(beta, 1e-18) / 1e9  # a flat line: no bandwidth
    latency = alpha / (passes * (n - 1))
    model = (clusters.allreduce_seconds if op == "psum" else clusters.all_gather_seconds)
    table["fit_s"] = fitted
    table["lesson2_s"] = [model(s, n, bandwidth, latency) for s in table["size_bytes"]]
    return CollectiveSweep(op=op, n_devices=n, table=table, alpha_s=float(alpha),
                           beta_s_per_byte=float(beta), r2=r2, link_bandwidth_gb_s=bandwidth,
                           latency_s=latency)


def _fit_alpha_beta(sizes, seconds) -> tuple[float, float, float]:
    """(α, β, R²) of t = α + β·S, least squares on relative errors (weights 1/t), α ≥ 0.

    Sizes span decades: unweighted, the largest message would decide the line alone
    (and could push α below zero). R² is of the same weighted fit.
    """
    import numpy as np
    w = 1.0 / seconds
    design = np.column_stack([np.ones_like(sizes), sizes]) * w[:, None]
    (alpha, beta), *_ = np.linalg.lstsq(design, seconds * w, rcond=None)
    if alpha < 0:  # no negative fixed cost: the best line through the origin instead
        alpha, beta = 0.0, float(np.sum(w * w * sizes * seconds) / np.sum((w * sizes) ** 2))
    residual = np.sum((w * (seconds - alpha - beta * sizes)) ** 2)
    mean = np.sum(w * w * seconds) / np.sum(w * w)
    spread = np.sum((w * (seconds - mean)) ** 2)
    r2 = 1.0 - residual / spread if spread > 0 else 0.0
    return float(alpha), float(beta), float(max(r2, 0.0))

