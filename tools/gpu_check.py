"""The kit's GPU checks, in one prepared run: what a lent GPU measures, for data/.

    python tools/gpu_check.py --out DIR            # on a CUDA machine (PyTorch + JAX)
    python tools/gpu_check.py --out DIR --small    # tiny shapes on the CPU: checks the script
    python tools/gpu_check.py --record DIR/gpu_check.csv --accelerator "H200 SXM" \
        --as-of 2026-12-04 --source "..."           # the run's rows into data/

Nothing in the kit needs a GPU. Where one is lent, this script measures, in one call:

1. the card: name, memory PyTorch and the driver report (the catalog's capacity units);
2. the kit's own CUDA path: :func:`stackkit.bench.measure_cuda_matmul` and
   :func:`stackkit.bench.measure_cuda_copy`;
3. the maximum achievable matmul rate (MAMF): the best of a sweep of square bf16 GEMMs,
   the figure the catalog's ``measured_bf16_tflops`` holds for other chips;
4. a transformer layer's GEMMs at real training shapes (forward, input gradient, weight
   gradient), against that MAMF: the share ``training.GEMM_SHARE_OF_MAMF`` assumes;
5. a training step (forward, backward, AdamW) of a Llama-3.2-1B-shaped model in JAX,
   against ``training.step_time`` for the same layout;
6. decode steps of a Llama-3-8B-shaped model in JAX at batch 1 … 512 (the decode knee)
   and its prefill, against ``serving.step_time``;
7. (``--part quant``) weight-only decode at batch 1: every linear map of Llama 2 7B (and 16
   layers of Llama 2 70B) in bf16, int8 and int4 with gpt-fast's kernels, in one CUDA
   graph: the rates ``stackkit.serving.dequant`` charges for dequantizing weights.

Weights are random (no model is downloaded); the timings do not depend on their values.
Each section writes its rows as soon as it finishes (``DIR/gpu_check.csv``), so a run cut
short keeps what it measured. ``--record`` puts them into ``data/gpu_measurements.csv``
with the card, the date and the versions; ``tools/validate.py`` sets the kit beside them.

What it costs, on the H200 of 2026-12-04 (plan a lease by it): the PyTorch part 11 s; the
training part 46 s (compiling the scanned step takes 7 s a micro-batch; a micro-batch of 8
failed to allocate one 53.6 GiB buffer, which XLA did not name, so it is no longer asked
for); each decode batch size about 55 s, nearly all of it XLA compiling 32 unrolled
layers (so five sizes, not seven); the 2,048-token prefill did not finish inside the first
call's 480 s, cause not established, but in a later session the prefill part (512 and
2,048 tokens) ran in 124 s. JAX warned then that it captured 2.1 GB of constants (the
embedding and output weights a closure held), which slows lowering; they are arguments
now, like the layers (checked on a CPU, not yet on a GPU). The weight-only part
took 44–47 s a run, most of it Inductor compiling and autotuning the int8 kernel's four
shapes a model (so its int8 rate varies from run to run; run it more than once). A
machine took 30 s to start that day. With 15
minutes of device time, run the parts as separate calls (``--part``) and give the machine
back between them only if the next call is not ready.

A decode step's time depends on how the KV cache is laid out: on 2026-12-04 on an H200 the
first layout tried, token-major ``[B, ctx, kv heads, head_dim]``, read the cache at about
a third of the bandwidth at batch 512 (66 ms a step); head-major ``[B, kv heads, ctx,
head_dim]``, as paged and flash-decoding kernels keep it, took 28 ms. Both are in the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

FIELDS = ["measurement", "model", "batch_size", "tokens", "value", "unit", "repeats",
          "framework", "detail"]


class Sink:
    """Rows appended to a CSV as they are measured (a cut-short run keeps them)."""

    def __init__(self, path: Path):
        self.path = path
        if not path.exists():
            with path.open("w", newline="") as f:
                csv.writer(f).writerow(FIELDS)

    def add(self, **row) -> None:
        with self.path.open("a", newline="") as f:
            csv.writer(f).writerow([row.get(k, "") for k in FIELDS])
        print("  ", {k: row[k] for k in ("measurement", "model", "batch_size", "tokens",
                                         "value", "unit") if k in row}, flush=True)


# ----------------------------------------------------------------------------- PyTorch part

#: (label, tokens m, in k, out n) of one layer's linear maps, per GPU under tensor
#: parallelism t: QKV (h → (heads + 2·kv heads)·head_dim / t), attention output
#: (h/t → h), MLP up (h → f/t, twice for SwiGLU), MLP down (f/t → h).
def _layer_linears(d, heads, kv_heads, d_ff, swiglu, t, tokens):
    hd = d // heads
    up = (2 if swiglu else 1) * d_ff // t
    return [("qkv", tokens, d, (heads + 2 * kv_heads) * hd // t),
            ("attn_out", tokens, heads * hd // t, d),
            ("mlp_up", tokens, d, up),
            ("mlp_down", tokens, d_ff // t, d)]


#: Layers whose GEMMs the sweep times: the catalog model, its TP degree and tokens per
#: micro-batch, as in the validation table's rows (Llama 3 405B: TP 8, micro-batch 1 of
#: 8,192; GPT-3 175B as Megatron ran it: TP 8, 1 × 2,048) and this script's own step.
LAYERS = [
    ("Llama 3.2 1B", 2048, 32, 8, 8192, True, 1, 8192),
    ("Llama 3 8B", 4096, 32, 8, 14336, True, 1, 8192),
    ("Llama 3.1 405B", 16384, 128, 8, 53248, True, 8, 8192),
    ("GPT-3 175B", 12288, 96, 96, 49152, False, 8, 2048),
]


def _wall(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _timed(torch, fn, repeats=20, warmup=5):
    """Median seconds of ``fn`` over ``repeats`` calls after ``warmup``: CUDA events on a GPU,
    the wall clock on a CPU (which only checks the script)."""
    for _ in range(warmup):
        fn()
    if not torch.cuda.is_available():
        return statistics.median([_wall(fn) for _ in range(3)])
    torch.cuda.synchronize()
    start = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    stop = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    for a, b in zip(start, stop, strict=True):
        a.record()
        fn()
        b.record()
    torch.cuda.synchronize()
    pairs = zip(start, stop, strict=True)
    return statistics.median([a.elapsed_time(b) * 1e-3 for a, b in pairs])


def _card(sink: Sink, torch) -> None:
    """The card's name and memory, and the kit's own CUDA path (stackkit.bench)."""
    props = torch.cuda.get_device_properties(0)
    free_b, total_b = torch.cuda.mem_get_info()
    detail = json.dumps({"name": props.name, "sms": props.multi_processor_count,
                         "torch": torch.__version__, "cuda": torch.version.cuda})
    sink.add(measurement="total_memory_bytes", value=props.total_memory, unit="bytes",
             framework="torch", detail=detail)
    sink.add(measurement="free_memory_bytes_at_start", value=free_b, unit="bytes",
             framework="torch", detail=f"mem_get_info total {total_b}")
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version,"
                              "clocks.max.sm,power.limit", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        sink.add(measurement="nvidia_smi", value=0, unit="", framework="nvidia-smi",
                 detail=smi)
    except Exception as exc:  # a report, not a check
        print("nvidia-smi:", exc)
    from stackkit import bench
    mm = bench.measure_cuda_matmul(n=8192, repeats=20, warmup=5)
    cp = bench.measure_cuda_copy(n_bytes=2**32, repeats=20, warmup=5)
    for m, unit in ((mm, "GFLOP/s"), (cp, "GB/s")):
        sink.add(measurement=f"stackkit.bench {m.kernel}", value=round(m.rate, 1), unit=unit,
                 repeats=len(m.times_s), framework="torch", detail=f"size {m.size}")


def torch_part(sink: Sink, small: bool) -> None:
    import torch
    cuda = torch.cuda.is_available()
    if not cuda and not small:
        print("no CUDA: PyTorch part skipped", flush=True)
        return
    dev = torch.device("cuda" if cuda else "cpu")  # the CPU only checks the script (--small)
    if cuda:
        _card(sink, torch)

    def timed(fn, repeats=20, warmup=5):
        return _timed(torch, fn, repeats, warmup)

    # MAMF: the best square bf16 GEMM (random data, never zeros).
    best = 0.0
    sizes = range(1024, 4097, 1024) if small else range(2048, 20481, 1024)
    for n in sizes:
        a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
        b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
        s = timed(lambda a=a, b=b: a @ b)
        tflops = 2 * n**3 / s / 1e12
        best = max(best, tflops)
        sink.add(measurement="square_gemm_tflops", tokens=n, value=round(tflops, 1),
                 unit="TFLOP/s", repeats=20, framework="torch", detail="bf16 n x n x n")
        del a, b
    sink.add(measurement="mamf_bf16_tflops", value=round(best, 1), unit="TFLOP/s",
             framework="torch", detail="best square bf16 GEMM of the sweep above")

    # A layer's GEMMs at training shapes: forward X·W, input gradient dY·Wᵀ, weight
    # gradient Xᵀ·dY, each timed, summed per layer.
    for model, d, heads, kv, d_ff, swiglu, t, tokens in LAYERS:
        if small:
            d, d_ff, tokens = d // 16, d_ff // 16, min(tokens, 512)
        total_s = total_flop = 0.0
        for label, m, k, n in _layer_linears(d, heads, kv, d_ff, swiglu, t, tokens):
            x = torch.randn(m, k, device=dev, dtype=torch.bfloat16)
            w = torch.randn(k, n, device=dev, dtype=torch.bfloat16)
            dy = torch.randn(m, n, device=dev, dtype=torch.bfloat16)
            for phase, fn in (("fwd", lambda x=x, w=w: x @ w),
                              ("dgrad", lambda dy=dy, w=w: dy @ w.t()),
                              ("wgrad", lambda x=x, dy=dy: x.t() @ dy)):
                s = timed(fn)
                total_s += s
                total_flop += 2.0 * m * k * n
                sink.add(measurement="layer_gemm_tflops", model=model, tokens=m,
                         value=round(2.0 * m * k * n / s / 1e12, 1), unit="TFLOP/s",
                         repeats=20, framework="torch",
                         detail=f"{label} {phase} m{m} k{k} n{n} tp{t}")
            del x, w, dy
        sink.add(measurement="layer_gemms_share_of_mamf", model=model, tokens=tokens,
                 value=round(total_flop / total_s / 1e12 / best, 4), unit="share",
                 framework="torch", detail=f"tp{t}; all 12 GEMMs of a layer, fwd+bwd")
    if cuda:
        torch.cuda.empty_cache()


#: Models whose batch-1 decode GEMVs the weight-only part times, as gpt-fast lays them out
#: (fused wqkv, wo, w1, w3, w2): name, d_model, d_ff, KV width (kv heads · head_dim), layers
#: timed. Llama 2 7B: all 32 layers; Llama 2 70B: 16 of its 80 (the bf16 ones fill 27 GB).
QUANT_MODELS = [("Llama 2 7B", 4096, 11008, 4096, 32), ("Llama 2 70B", 8192, 28672, 1024, 16)]
#: gpt-fast's int4 layout (quantize.py): groups of 32 along k, a bf16 scale and zero per
#: group, tinygemm's tiles of 8 × 16 along k.
INT4_GROUP, INT4_INNER_K_TILES = 32, 8


def _weight_only_linears(torch, fmt, shapes, layers, dev):
    """One decode step's linear maps in ``fmt``, each as (k, bytes read, call(x) → y), as
    gpt-fast runs them at batch 1: bf16 ``F.linear``; int8 weight-only, ``F.linear(x,
    w.to(bf16)) * scales`` compiled by Inductor; int4, tinygemm's
    ``aten._weight_int4pack_mm`` (``_for_cpu`` on a CPU, which only checks the script)."""
    import torch.nn.functional as F
    cuda = dev.type == "cuda"
    bf = torch.bfloat16
    if fmt == "int8":
        for limit in ("recompile_limit", "cache_size_limit"):  # one compile per shape
            if hasattr(torch._dynamo.config, limit):
                setattr(torch._dynamo.config, limit, 64)
        torch._inductor.config.coordinate_descent_tuning = True  # as gpt-fast's generate.py
        lin8 = torch.compile(lambda x, w, s: F.linear(x, w.to(x.dtype)) * s, dynamic=False)
    maps = []
    for _ in range(layers):
        for k, n in shapes:
            if fmt == "bf16":
                w = torch.randn(n, k, device=dev, dtype=bf) * 0.02
                maps.append((k, 2 * n * k, lambda x, w=w: F.linear(x, w)))
            elif fmt == "int8":
                w = torch.randint(-128, 128, (n, k), device=dev, dtype=torch.int8)
                s = torch.rand(n, device=dev, dtype=bf) * 0.01
                maps.append((k, n * k + 2 * n, lambda x, w=w, s=s: lin8(x, w, s)))
            else:
                q = torch.randint(0, 16, (n, k), device=dev, dtype=torch.int32)
                if cuda:  # two 4-bit values a byte, the high nibble first (PyTorch ≥ 2.5)
                    packed = torch.ops.aten._convert_weight_to_int4pack(
                        (q[:, ::2] << 4 | q[:, 1::2]).to(torch.uint8), INT4_INNER_K_TILES)
                    mm = torch.ops.aten._weight_int4pack_mm
                else:
                    packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(
                        q, INT4_INNER_K_TILES)
                    mm = torch.ops.aten._weight_int4pack_mm_for_cpu
                sz = torch.rand(k // INT4_GROUP, n, 2, device=dev, dtype=bf) * 0.01
                del q
                maps.append((k, n * k // 2 + sz.numel() * 2,
                             lambda x, p=packed, sz=sz, mm=mm: mm(x, p, INT4_GROUP, sz)))
    return maps


def quant_part(sink: Sink, small: bool) -> None:
    """Weight-only decode GEMVs at batch 1 in bf16, int8 and int4 (gpt-fast's kernels): the
    bandwidth each format's weights are read at, all of a step's linear maps in one CUDA
    graph (no launch gaps), weights distinct per layer (none stays in L2)."""
    import torch
    cuda = torch.cuda.is_available()
    if not cuda and not small:
        print("no CUDA: weight-only part skipped", flush=True)
        return
    dev = torch.device("cuda" if cuda else "cpu")
    torch.manual_seed(0)
    for model, d, d_ff, kv_width, layers in QUANT_MODELS:
        if small:
            d, d_ff, kv_width, layers = 256, 512, 256, 2
        shapes = [(d, d + 2 * kv_width), (d, d), (d, d_ff), (d, d_ff), (d_ff, d)]
        xs = {k: torch.randn(1, k, device=dev, dtype=torch.bfloat16) for k in (d, d_ff)}
        gb_s = {}
        for fmt in ("bf16", "int8", "int4"):
            try:
                maps = _weight_only_linears(torch, fmt, shapes, layers, dev)

                def step(maps=maps, xs=xs):
                    for k, _, call in maps:
                        call(xs[k])

                fn = step
                if cuda:  # warm up (and compile) on a side stream, then capture a graph
                    side = torch.cuda.Stream()
                    side.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(side):
                        for _ in range(3):
                            step()
                    torch.cuda.current_stream().wait_stream(side)
                    graph = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(graph):
                        step()
                    fn = graph.replay
                seconds = _timed(torch, fn, repeats=20, warmup=3)
                read = sum(b for _, b, _ in maps)
                gb_s[fmt] = read / seconds / 1e9
                sink.add(measurement="weight_only_gemv_gb_s", model=model, batch_size=1,
                         value=round(gb_s[fmt], 1), unit="GB/s", repeats=20,
                         framework="torch",
                         detail=json.dumps({"format": fmt, "layers": layers,
                                            "bytes": read, "step_ms": round(seconds * 1e3, 4),
                                            "group": INT4_GROUP if fmt == "int4" else None,
                                            "torch": torch.__version__}))
                del maps, fn
                if cuda:
                    del graph
                    torch.cuda.empty_cache()
            except Exception:  # one format failing keeps the others
                traceback.print_exc()
        for fmt in ("int8", "int4"):
            if fmt in gb_s and "bf16" in gb_s:
                sink.add(measurement="weight_only_share_of_bf16", model=model, batch_size=1,
                         value=round(gb_s[fmt] / gb_s["bf16"], 4), unit="share",
                         framework="torch",
                         detail=f"{fmt} weight-only GB/s over bf16 GB/s, same shapes")


# -------------------------------------------------------------------------------- JAX part

def _jax_setup():
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax
    import jax.numpy as jnp
    return jax, jnp


def _rms(jnp, x, g):
    xf = x.astype(jnp.float32)
    return (xf / jnp.sqrt((xf * xf).mean(-1, keepdims=True) + 1e-5)).astype(x.dtype) * g


def _rope(jnp, x, positions):
    """Rotary embedding on [..., T, heads, head_dim] (Su et al. 2021), half-split form."""
    hd = x.shape[-1]
    inv = 1.0 / (500000.0 ** (jnp.arange(0, hd, 2, dtype=jnp.float32) / hd))
    ang = positions[:, None].astype(jnp.float32) * inv[None, :]  # [T, hd/2]
    cos, sin = jnp.cos(ang)[:, None, :], jnp.sin(ang)[:, None, :]
    x1, x2 = jnp.split(x.astype(jnp.float32), 2, axis=-1)
    return jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).astype(x.dtype)


def _compile(jax, fn, *args):
    """``fn`` compiled for ``args``; with XLA's attention if cuDNN's fails to compile."""
    try:
        return fn.lower(*args).compile()
    except Exception as exc:  # report it, and measure with the portable kernel
        print("cuDNN attention failed to compile, using XLA's:", str(exc)[:300], flush=True)
        os.environ["GPU_CHECK_ATTENTION"] = "xla"
        jax.clear_caches()
        return fn.lower(*args).compile()


def _per_call_s(fn, calls=10, rounds=5):
    """Seconds per call of a compiled JAX function, ``calls`` dispatched back to back (as a
    server or a training loop does: the host queues the next while the device runs)."""
    fn().block_until_ready()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls - 1):
            fn()
        fn().block_until_ready()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times), calls * rounds


def _shape(name, small):
    """(layers, d, heads, kv_heads, d_ff, vocab) of a Llama-shaped model."""
    full = {"Llama 3.2 1B": (16, 2048, 32, 8, 8192, 128256),
            "Llama 3 8B": (32, 4096, 32, 8, 14336, 128256)}[name]
    if small:
        return (2, 128, 4, 2, 256, 512)
    return full


def _attention(jax, jnp, q, k, v, causal):
    """[B, T, N, H] attention; cuDNN's fused kernel where it runs, XLA's otherwise."""
    if os.environ.get("GPU_CHECK_ATTENTION") == "xla":  # cuDNN failed to compile once
        return jax.nn.dot_product_attention(q, k, v, is_causal=causal), "xla"
    try:
        return jax.nn.dot_product_attention(q, k, v, is_causal=causal,
                                            implementation="cudnn"), "cudnn"
    except Exception:  # CPU, or a shape cuDNN declines
        return jax.nn.dot_product_attention(q, k, v, is_causal=causal), "xla"


def train_part(sink: Sink, small: bool, micro_batches=(1, 4)) -> None:
    jax, jnp = _jax_setup()
    import optax
    name = "Llama 3.2 1B"
    L, d, nh, nkv, f, vocab = _shape(name, small)
    hd = d // nh
    seq = 128 if small else 2048
    key = jax.random.PRNGKey(0)

    def init(key):
        ks = jax.random.split(key, 8)
        s = 0.02
        return {"emb": jax.random.normal(ks[0], (vocab, d), jnp.float32) * s,
                "wq": jax.random.normal(ks[1], (L, d, nh * hd), jnp.float32) * s,
                "wkv": jax.random.normal(ks[2], (L, d, 2 * nkv * hd), jnp.float32) * s,
                "wo": jax.random.normal(ks[3], (L, nh * hd, d), jnp.float32) * s,
                "w13": jax.random.normal(ks[4], (L, d, 2 * f), jnp.float32) * s,
                "w2": jax.random.normal(ks[5], (L, f, d), jnp.float32) * s,
                "g1": jnp.ones((L, d), jnp.float32), "g2": jnp.ones((L, d), jnp.float32),
                "gf": jnp.ones((d,), jnp.float32)}

    attn_kind = {}

    def loss_fn(p, tokens):
        bf = jnp.bfloat16
        b, t = tokens.shape
        pos = jnp.arange(t)
        emb = p["emb"].astype(bf)
        x = emb[tokens]

        def layer(x, w):
            h = _rms(jnp, x, w["g1"].astype(bf))
            q = (h @ w["wq"].astype(bf)).reshape(b, t, nh, hd)
            kv = (h @ w["wkv"].astype(bf)).reshape(b, t, 2, nkv, hd)
            k, v = kv[:, :, 0], kv[:, :, 1]
            q, k = _rope(jnp, q, pos), _rope(jnp, k, pos)
            o, kind = _attention(jax, jnp, q, k, v, True)
            attn_kind["kind"] = kind
            x = x + o.reshape(b, t, nh * hd) @ w["wo"].astype(bf)
            h = _rms(jnp, x, w["g2"].astype(bf))
            a, g = jnp.split(h @ w["w13"].astype(bf), 2, axis=-1)
            x = x + (jax.nn.silu(a) * g) @ w["w2"].astype(bf)
            return x, None

        stacked = {k: p[k] for k in ("wq", "wkv", "wo", "w13", "w2", "g1", "g2")}
        x, _ = jax.lax.scan(layer, x, stacked)
        x = _rms(jnp, x, p["gf"].astype(bf))
        logits = (x[:, :-1] @ emb.T).astype(jnp.float32)  # tied embeddings, as in 3.2 1B
        logp = jax.nn.log_softmax(logits, -1)
        return -jnp.take_along_axis(logp, tokens[:, 1:, None], -1).mean()

    opt = optax.adamw(3e-4, weight_decay=0.1)

    def step(p, s, tokens):
        loss, g = jax.value_and_grad(loss_fn)(p, tokens)
        upd, s = opt.update(g, s, p)
        return optax.apply_updates(p, upd), s, loss

    step_j = jax.jit(step, donate_argnums=(0, 1))
    params = init(key)
    n_params = sum(int(x.size) for x in jax.tree.leaves(params))
    state = opt.init(params)
    for mb in micro_batches:
        tokens = jax.random.randint(jax.random.PRNGKey(mb), (mb, seq), 0, vocab)
        t0 = time.perf_counter()
        compiled = _compile(jax, step_j, params, state, tokens)
        compile_s = time.perf_counter() - t0
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, list) else cost
        xla_flops = float(cost.get("flops", float("nan"))) if cost else float("nan")
        for _ in range(3):
            params, state, loss = compiled(params, state, tokens)
        loss.block_until_ready()
        times, calls = [], 2 if small else 5
        for _ in range(3):  # steps dispatched back to back, as a training loop runs
            t0 = time.perf_counter()
            for _ in range(calls):
                params, state, loss = compiled(params, state, tokens)
            loss.block_until_ready()
            times.append((time.perf_counter() - t0) / calls)
        s = statistics.median(times)
        sink.add(measurement="train_step_s", model=name, batch_size=mb, tokens=seq,
                 value=round(s, 6), unit="s", repeats=calls * len(times), framework="jax",
                 detail=json.dumps({"params": n_params, "xla_flops": xla_flops,
                                    "attention": attn_kind.get("kind"),
                                    "compile_s": round(compile_s, 1),
                                    "loss": float(loss), "jax": jax.__version__,
                                    "device": str(jax.devices()[0])}))
        del compiled


def serve_part(sink: Sink, small: bool, decode_steps: bool = True,
               prefills: bool = True) -> None:
    jax, jnp = _jax_setup()
    name = "Llama 3 8B"
    L, d, nh, nkv, f, vocab = _shape(name, small)
    hd = d // nh
    bf = jnp.bfloat16
    ctx = 64 if small else 1024
    keys = iter(jax.random.split(jax.random.PRNGKey(1), 16 * L + 8))

    def rnd(shape, s=0.02):
        return (jax.random.normal(next(keys), shape, jnp.float32) * s).astype(bf)

    # One array per layer and weight (no stacked weights): a decode step reads each once.
    layers = [{"wq": rnd((d, nh * hd)), "wkv": rnd((d, 2 * nkv * hd)), "wo": rnd((nh * hd, d)),
               "w13": rnd((d, 2 * f)), "w2": rnd((f, d)),
               "g1": jnp.ones((d,), bf), "g2": jnp.ones((d,), bf)} for _ in range(L)]
    # The embedding and output weights go in as arguments, like the layers: a closure's
    # arrays become constants of the compiled program (2.1 GB here), which slows lowering.
    params = (layers, {"emb": rnd((vocab, d)), "out_w": rnd((d, vocab)),
                       "gf": jnp.ones((d,), bf)})

    def decode(params, caches, tokens, pos):
        """One decode step: every sequence attends over its ``ctx`` cached tokens."""
        layers, head = params
        b = tokens.shape[0]
        x = head["emb"][tokens]  # [B, d]
        for w, (kc, vc) in zip(layers, caches, strict=True):
            h = _rms(jnp, x, w["g1"])
            q = _rope(jnp, (h @ w["wq"]).reshape(b, 1, nh, hd), pos)[:, 0]
            q = q.reshape(b, nkv, nh // nkv, hd)
            # KV cache head-major, [B, kv heads, ctx, head_dim], as paged and
            # flash-decoding kernels keep it: each head's keys are one contiguous block.
            sc = jnp.einsum("bgqh,bgch->bgqc", q, kc, preferred_element_type=jnp.float32)
            pr = jax.nn.softmax(sc / math.sqrt(hd), -1).astype(bf)
            o = jnp.einsum("bgqc,bgch->bgqh", pr, vc).reshape(b, nh * hd)
            x = x + o @ w["wo"]
            h = _rms(jnp, x, w["g2"])
            a, g = jnp.split(h @ w["w13"], 2, axis=-1)
            x = x + (jax.nn.silu(a) * g) @ w["w2"]
        logits = _rms(jnp, x, head["gf"]) @ head["out_w"]
        return jnp.argmax(logits, -1)

    decode_j = jax.jit(decode)
    batches = () if not decode_steps else (1, 2, 4) if small else (1, 8, 32, 128, 512)
    if os.environ.get("GPU_CHECK_BATCHES"):  # a rerun of some batch sizes only
        batches = tuple(int(b) for b in os.environ["GPU_CHECK_BATCHES"].split(","))
    one = [(rnd((1, nkv, ctx, hd), 1.0), rnd((1, nkv, ctx, hd), 1.0)) for _ in range(L)]
    pos = jnp.array([ctx], jnp.int32)
    for b in batches:
        caches = [(jnp.tile(k, (b, 1, 1, 1)), jnp.tile(v, (b, 1, 1, 1))) for k, v in one]
        tokens = jax.random.randint(jax.random.PRNGKey(b), (b,), 0, vocab)
        compiled = decode_j.lower(params, caches, tokens, pos).compile()
        s, n = _per_call_s(lambda c=compiled, kv=caches, t=tokens: c(params, kv, t, pos),
                           rounds=2 if small else 5)
        sink.add(measurement="decode_step_s", model=name, batch_size=b, tokens=ctx,
                 value=round(s, 7), unit="s", repeats=n,
                 framework="jax",
                 detail="bf16 weights and KV; KV head-major [B, kv heads, ctx, head_dim]; "
                        "context = cached tokens")
        del caches, compiled

    # Prefill: the prompt's forward pass, causal attention, the last position's logits.
    def prefill(params, tokens):
        layers, head = params
        b, t = tokens.shape
        pos = jnp.arange(t)
        x = head["emb"][tokens]
        for w in layers:
            h = _rms(jnp, x, w["g1"])
            q = _rope(jnp, (h @ w["wq"]).reshape(b, t, nh, hd), pos)
            kv = (h @ w["wkv"]).reshape(b, t, 2, nkv, hd)
            k = _rope(jnp, kv[:, :, 0], pos)
            o, _ = _attention(jax, jnp, q, k, kv[:, :, 1], True)
            x = x + o.reshape(b, t, nh * hd) @ w["wo"]
            h = _rms(jnp, x, w["g2"])
            a, g = jnp.split(h @ w["w13"], 2, axis=-1)
            x = x + (jax.nn.silu(a) * g) @ w["w2"]
        return jnp.argmax(_rms(jnp, x[:, -1], head["gf"]) @ head["out_w"], -1)

    prefill_j = jax.jit(prefill)
    shapes = ((1, 64), (2, 64)) if small else ((1, 512), (1, 2048))
    for b, t in shapes if prefills else ():
        tokens = jax.random.randint(jax.random.PRNGKey(t), (b, t), 0, vocab)
        compiled = _compile(jax, prefill_j, params, tokens)
        s, n = _per_call_s(lambda c=compiled, x=tokens: c(params, x), rounds=2 if small else 3)
        sink.add(measurement="prefill_s", model=name, batch_size=b, tokens=t,
                 value=round(s, 6), unit="s", repeats=n,
                 framework="jax", detail="bf16; causal attention; last position's logits")


PARTS = {"torch": torch_part, "quant": quant_part, "train": train_part,
         "decode": lambda sink, small: serve_part(sink, small, prefills=False),
         "prefill": lambda sink, small: serve_part(sink, small, decode_steps=False)}


#: The kit's table of what lent GPUs measured (catalog.gpu_measurements()).
TABLE = Path(__file__).resolve().parents[1] / "data" / "gpu_measurements.csv"
TABLE_FIELDS = ["measurement", "accelerator", *FIELDS[1:], "source", "as_of"]


def record(raw: Path, accelerator: str, as_of: str, source: str) -> int:
    """Append a run's rows (``DIR/gpu_check.csv``) to ``data/gpu_measurements.csv``.

    nvidia-smi's line joins the memory row's detail (the table holds positive values only).
    """
    with raw.open(newline="") as f:
        rows = list(csv.DictReader(f))
    smi = next((r["detail"] for r in rows if r["measurement"] == "nvidia_smi"), "")
    new = not TABLE.exists()
    with TABLE.open("a", newline="") as f:
        out = csv.DictWriter(f, TABLE_FIELDS)
        if new:
            out.writeheader()
        kept = 0
        for r in rows:
            if r["measurement"] == "nvidia_smi":
                continue
            if r["measurement"] == "total_memory_bytes" and smi:
                r["detail"] = f"{r['detail']}; nvidia-smi: {smi}"
            out.writerow({**r, "accelerator": accelerator, "source": source, "as_of": as_of})
            kept += 1
    print(f"{kept} rows appended to {TABLE}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="folder for gpu_check.csv (a run)")
    ap.add_argument("--record", type=Path, metavar="RAW_CSV",
                    help="append a run's gpu_check.csv to data/gpu_measurements.csv")
    ap.add_argument("--accelerator", help="--record: the card's data/accelerators.csv name")
    ap.add_argument("--as-of", help="--record: the day it ran (YYYY-MM-DD)")
    ap.add_argument("--source", help="--record: where it ran: card, driver, versions")
    ap.add_argument("--small", action="store_true", help="tiny shapes: check the script")
    ap.add_argument("--part", choices=sorted(PARTS), help="one part, in this process")
    args = ap.parse_args()
    if args.record:
        if not (args.accelerator and args.as_of and args.source):
            ap.error("--record needs --accelerator, --as-of and --source")
        return record(args.record, args.accelerator, args.as_of, args.source)
    if args.out is None:
        ap.error("--out is required to run the checks")
    args.out.mkdir(parents=True, exist_ok=True)
    sink = Sink(args.out / "gpu_check.csv")
    if args.part:  # a child: one framework per process (each takes the card's memory)
        PARTS[args.part](sink, args.small)
        return 0
    failed = []
    for part in PARTS:  # cheapest and most wanted first; each in its own process
        print(f"== {part}", flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, __file__, "--out", str(args.out), "--part", part]
        rc = subprocess.run(cmd + (["--small"] if args.small else [])).returncode
        print(f"== {part}: rc {rc} in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(part)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(2)
