"""A real training step, here: a small NumPy MLP language model, every matmul's FLOPs counted."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .._declare import count, declared, optional, positive, seed, threads
from .._results import LossCurve, Result
from ._specs import CALLBACK


@dataclass(frozen=True)
class TinyRun(LossCurve, Result):
    """A small MLP language model trained here in NumPy, every matmul's FLOPs counted."""

    _derived = ("first_loss", "last_loss")

    steps: int
    batch_size: int
    context: int
    vocab_size: int
    n_matmul_params: int  # weights the matmuls use: N in 6·N·D
    tokens: int  # D: predicted tokens, batch_size · steps
    counted_flops: float  # summed over every matmul, forward and backward
    analytic_flops: float  # 6 · N · D
    seconds: float  # wall time of the steps (data, optimiser and all)
    matmul_seconds: float  # time inside the matmuls alone
    achieved_gflops: float  # counted FLOPs / seconds
    peak_gflops: float | None  # this machine's measured float32 matmul peak (lesson 1)
    mfu: float | None  # achieved / peak
    losses: tuple[float, ...]
    learning_rate: float
    seed: int


#: Bounds on :func:`tiny_train`, so that a typed size cannot hang the kernel or fill
#: the memory: weights (float32, with Adam's two moments: 160 MB at most), activations
#: (batch × widest layer, 200 MB), and work: 6·N·B·steps matmul FLOPs and the
#: element-wise work beside them (embedding gathers and scatters, ReLU, softmax, Adam),
#: each a few seconds on a laptop core at most.
TINY_MAX_WEIGHTS = 10_000_000
TINY_MAX_ACTIVATIONS = 50_000_000
TINY_MAX_CORPUS_TOKENS = 1_000_000  # tiny_corpus is a Python loop over its tokens
TINY_MAX_BATCH = TINY_MAX_CORPUS_TOKENS // 4  # a run's corpus holds 4 × batch_size tokens
TINY_MAX_VOCAB = 65_536
TINY_MAX_FLOPS = 1e11
TINY_MAX_ELEMENTS = 2e8  # steps × batch × (context·embed + hidden + vocab): the O(B) work


@declared(n_tokens=count(high=TINY_MAX_CORPUS_TOKENS, examples=(20_000, 100)),
          vocab_size=count(low=3, high=TINY_MAX_VOCAB, examples=(32, 3)), seed=seed())
def tiny_corpus(n_tokens: int = 20_000, vocab_size: int = 32, seed: int = 0):
    """A deterministic token stream with structure to learn: a sparse random Markov chain.

    Each token is followed by one of 3 successors (probabilities 0.6, 0.3, 0.1), so a
    model that learns the chain reaches a loss near 0.9 nats, from ln(V) at the start.
    """
    # A Python loop over the tokens: bounded so a typed count cannot hang the kernel.
    n, v = n_tokens, vocab_size  # at least 3 tokens: 3 distinct successors each
    rng = np.random.default_rng(seed)
    successors = np.stack([rng.choice(v, size=3, replace=False) for _ in range(v)])
    draws = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    out = np.empty(n, dtype=np.int64)
    out[0] = 0
    for i in range(1, n):
        out[i] = successors[out[i - 1], draws[i]]
    return out


@declared(steps=count(high=10_000, examples=(5, 1)),
          batch_size=count(high=TINY_MAX_BATCH, examples=(16, 1)),
          learning_rate=positive(examples=(1e-2, 1e-3)), context=count(high=4096, examples=(8, 1)),
          embed=count(examples=(32, 1)), hidden=count(examples=(128, 1)),
          vocab_size=count(low=3, high=TINY_MAX_VOCAB, examples=(32, 3)), seed=seed(),
          peak_gflops=optional(positive(examples=(100.0,))), callback=CALLBACK,
          blas_threads=optional(threads()))
def tiny_train(steps: int = 30, batch_size: int = 64, learning_rate: float = 1e-2,
               context: int = 8, embed: int = 32, hidden: int = 128, vocab_size: int = 32,
               seed: int = 0, peak_gflops: float | None = None, callback=None,
               blas_threads: int | None = 1) -> TinyRun:
    """Train a small MLP language model (Bengio et al. 2003) for ``steps`` steps with Adam.

    tokens (B, c) → embedding lookup (B, c·e) → ReLU(X·W1 + b1) (B, H) → H·W2 + b2 → softmax.
    Each step's matmuls are counted as they run (2·m·k·n each): forward X·W1 and
    h·W2, backward dW2 = hᵀ·dlogits, dh = dlogits·W2ᵀ, dW1 = Xᵀ·dz, dX = dz·W1ᵀ
    (dX feeds the embedding gradient). That is 2 + 4 = 6 FLOPs per weight per
    token: counted = 6·N·D exactly, N = c·e·H + H·V (Kaplan et al. 2020, 2.1).
    Biases, the embedding lookup, softmax and Adam are O(N) element-wise work, not
    counted. ``peak_gflops`` (e.g. ``bench.measure_matmul(512).rate``) gives the
    MFU; ``callback(step, loss)`` is called after each step (a tracker's log).
    ``blas_threads`` caps the BLAS threads while it runs (threadpoolctl; at most
    this machine's cores; None: no cap): matrices this small run fastest on one
    core, and a multi-threaded BLAS on a busy machine spends its time waiting on
    its own threads (lesson 1).
    """
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        return _tiny_train(steps, batch_size, learning_rate, context, embed, hidden, vocab_size,
                           seed, peak_gflops, callback)


# Long (~110 lines): a whole training loop, forward, backward and Adam, readable top down.
def _tiny_train(steps, batch_size, learning_rate, context, embed, hidden, vocab_size, seed,
                peak_gflops, callback) -> TinyRun:
    n_steps = _checks.positive_int("steps", steps)
    b = _checks.positive_int("batch_size", batch_size)
    lr = _checks.positive("learning_rate", learning_rate)
    c = _checks.whole("context", context, 1, 4096)  # windows drawn from 20,000+ tokens
    e = _checks.positive_int("embed", embed)
    h = _checks.positive_int("hidden", hidden)
    v = _checks.positive_int("vocab_size", vocab_size)
    peak = None if peak_gflops is None else _checks.positive("peak_gflops", peak_gflops)
    seed = _checks.seed("seed", seed)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be None or a function callback(step, loss); got "
                         f"{callback!r:.60}")
    n_weights = c * e * h + h * v
    activations = b * max(c * e, h, v)
    if (v > TINY_MAX_VOCAB or b > TINY_MAX_BATCH or n_weights > TINY_MAX_WEIGHTS
            or activations > TINY_MAX_ACTIVATIONS):
        raise ValueError(
            f"a tiny run holds at most {TINY_MAX_WEIGHTS:,} weights (context·embed·hidden + "
            f"hidden·vocab_size), {TINY_MAX_ACTIVATIONS:,} activations (batch_size × the "
            f"widest layer), a batch_size of {TINY_MAX_BATCH:,} and a vocab_size of "
            f"{TINY_MAX_VOCAB:,}; got context={c}, embed={e}, hidden={h}, vocab_size={v}, "
            f"batch_size={b} ({n_weights:,} weights, {activations:,} activations)")
    flops = 6.0 * n_weights * b * n_steps
    elements = float(n_steps) * b * (c * e + h + v)
    if flops > TINY_MAX_FLOPS or elements > TINY_MAX_ELEMENTS:
        raise ValueError(
            f"steps={n_steps} × batch_size={b} at context={c}, embed={e}, hidden={h}, "
            f"vocab_size={v} is {flops:.3g} matmul FLOPs and {elements:.3g} element-wise "
            f"values; a tiny run allows {TINY_MAX_FLOPS:.0e} and {TINY_MAX_ELEMENTS:.0e} "
            "(a few seconds on a laptop core): make it smaller")
    rng = np.random.default_rng(seed)
    data = tiny_corpus(max(20_000, b * 4), v, seed)
    f32 = np.float32
    params = {
        "E": (rng.standard_normal((v, e)) * 0.1).astype(f32),
        "W1": (rng.standard_normal((c * e, h)) / np.sqrt(c * e)).astype(f32),
        "b1": np.zeros(h, f32),
        "W2": (rng.standard_normal((h, v)) / np.sqrt(h)).astype(f32),
        "b2": np.zeros(v, f32),
    }
    moments = {k: (np.zeros_like(p), np.zeros_like(p)) for k, p in params.items()}
    counted = 0.0
    matmul_s = 0.0

    def mm(a, w):
        nonlocal counted, matmul_s
        counted += 2.0 * a.shape[0] * a.shape[1] * w.shape[1]
        start = time.perf_counter()
        out = a @ w
        matmul_s += time.perf_counter() - start
        return out

    losses = []
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    rows = np.arange(b)
    start = time.perf_counter()
    step = 0
    try:
        # a learning rate that diverges overflows float32: an error, not NaN losses
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            for step in range(1, n_steps + 1):
                starts = rng.integers(0, len(data) - c - 1, size=b)
                idx = starts[:, None] + np.arange(c)
                x_tok, y = data[idx], data[starts + c]
                x = params["E"][x_tok].reshape(b, c * e)
                z = mm(x, params["W1"]) + params["b1"]
                a = np.maximum(z, 0)
                logits = mm(a, params["W2"]) + params["b2"]
                logits -= logits.max(axis=1, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(axis=1, keepdims=True)
                loss = float(-np.log(p[rows, y] + 1e-12).mean())
                dlogits = p
                dlogits[rows, y] -= 1
                dlogits /= b
                grads = {"W2": mm(a.T, dlogits), "b2": dlogits.sum(axis=0)}
                dz = mm(dlogits, params["W2"].T) * (z > 0)
                grads["W1"] = mm(x.T, dz)
                grads["b1"] = dz.sum(axis=0)
                dx = mm(dz, params["W1"].T).reshape(b, c, e)
                d_embed = np.zeros_like(params["E"])
                np.add.at(d_embed, x_tok, dx)
                grads["E"] = d_embed
                for k, g in grads.items():  # Adam (Kingma & Ba 2015), bias-corrected
                    m1, m2 = moments[k]
                    m1 *= beta1
                    m1 += (1 - beta1) * g
                    m2 *= beta2
                    m2 += (1 - beta2) * g * g
                    params[k] -= (lr * (m1 / (1 - beta1**step))
                                  / (np.sqrt(m2 / (1 - beta2**step)) + eps)).astype(f32)
                losses.append(loss)
                if callback is not None:
                    callback(step, loss)
    except FloatingPointError:
        raise ValueError(f"training diverged at step {step} of {n_steps} (float32 overflow): "
                         f"learning_rate={lr:g} is too large for this model; Adam runs "
                         "use 1e-4 to 1e-1") from None
    seconds = time.perf_counter() - start
    tokens = b * n_steps
    achieved = counted / seconds / 1e9
    return TinyRun(steps=n_steps, batch_size=b, context=c, vocab_size=v,
                   n_matmul_params=n_weights, tokens=tokens, counted_flops=counted,
                   analytic_flops=6.0 * n_weights * tokens, seconds=seconds,
                   matmul_seconds=matmul_s, achieved_gflops=achieved, peak_gflops=peak,
                   mfu=None if peak is None else achieved / peak, losses=tuple(losses),
                   learning_rate=lr, seed=seed)
