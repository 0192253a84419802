"""The model: a small decoder-only transformer (pre-norm, GELU MLP, learned positions)
as a :class:`~stackkit.catalog.ModelSpec`, its weights, its text and its training step."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import importlib
import inspect
import math
from dataclasses import replace
from typing import Any

import numpy as np

from .. import catalog, chips, cloud, clusters, training, transformer
from .._declare import count, declared

#: Bounds, so that a typed size cannot hang the kernel: the model's size and one step's tokens.
MAX_PARAMS = 20_000_000  # float32 weights + Adam: 320 MB at most
MAX_TOKENS_PER_STEP = 65_536
# The modules whose docstrings are the training text (the lessons' own prose, shipped), in
# order. serving shares frameworks' layer (tests/test_layers.py), so it is looked up by name
# when the text is read, not imported: only its docstrings are used, never its code.
_TEXT_MODULES = (transformer, chips, clusters, cloud, training, "stackkit.serving")


#: The shape parameters :func:`model_spec`, ``train`` and ``sharded_step`` take.
_SHAPES = {"d_model": count(low=8, high=4096, examples=(128, 64)),
           "n_layers": count(high=64, examples=(4, 1)),
           "n_heads": count(high=64, examples=(4, 8, 1)),
           "d_ff": count(low=8, high=16_384, examples=(512, 64)),
           "vocab_size": count(low=2, high=65_536, examples=(96, 2)),
           "seq_len": count(low=2, high=4096, examples=(64, 2))}


@declared(**_SHAPES)
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
    d, layers, heads = d_model, n_layers, n_heads
    if d % heads:
        raise ValueError(f"n_heads must divide d_model={d}; got n_heads={heads}")
    ff, vocab, seq = d_ff, vocab_size, seq_len
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


@declared()
def corpus_text() -> str:
    """The training text: the docstrings of the kit's lesson modules, in a fixed order."""
    parts = []
    for entry in _TEXT_MODULES:
        module = importlib.import_module(entry) if isinstance(entry, str) else entry
        parts.append(inspect.getdoc(module) or "")
        for attr in sorted(getattr(module, "__all__", ())):
            doc = inspect.getdoc(getattr(module, attr))
            if doc and callable(getattr(module, attr)):
                parts.append(doc)
    return "\n\n".join(parts)


@functools.cache
def _encode(vocab_size: int):
    """The corpus as token ids: its most frequent characters, the rest mapped to one id."""
    text = corpus_text()
    common = [c for c, _ in collections.Counter(text).most_common(vocab_size - 1)]
    ids = {c: i + 1 for i, c in enumerate(sorted(common))}  # 0: any other character
    encoded = np.array([ids.get(c, 0) for c in text], dtype=np.int32)
    encoded.flags.writeable = False  # cached: shared by every call
    return encoded


def _init(spec: catalog.ModelSpec, seed: int) -> dict:
    """Weights drawn with NumPy (one JAX op per tensor would compile a kernel each: seconds)."""
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


def _optimizer_state(jax, optimizer, params):
    """AdamW's initial state as NumPy zeros (its step count and both moments start at 0)."""
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
    ids = _encode(spec.vocab_size)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(ids) - spec.context_length - 1, size=(steps, batch_size))
    window = np.arange(spec.context_length + 1)
    return ids[starts[..., None] + window]


def _check_shapes(d_model, n_layers, n_heads, d_ff, seq_len, batch_size, vocab_size):
    """The model's spec and the batch size, once the shapes fit together (declared singly)."""
    spec = model_spec.unchecked(d_model, n_layers, n_heads, d_ff, vocab_size, seq_len)
    b = batch_size
    if b * spec.context_length > MAX_TOKENS_PER_STEP:
        raise ValueError(f"batch_size × seq_len must be at most {MAX_TOKENS_PER_STEP:,} tokens "
                         f"a step; got batch_size={b} × seq_len={spec.context_length}")
    return spec, b


def _flops(cost: Any) -> float:
    """FLOPs from ``Compiled.cost_analysis()`` (a dict, or a list of one per module)."""
    if isinstance(cost, (list, tuple)):
        return float(sum(c.get("flops", 0.0) for c in cost))
    return float(cost.get("flops", 0.0))


def _kit_flops_per_step(spec: catalog.ModelSpec, batch_size: int) -> float:
    """6·N + 12·L·d·s per token (PaLM, Appendix B), for every token of the step."""
    s = spec.context_length
    return training.training_flops_per_token(spec, seq_len=s) * batch_size * s
