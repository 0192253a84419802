"""Layer 1 — measure this machine: matmul FLOP/s and memory bandwidth, for the roofline.

Two kernels bound every roofline: a dense matrix multiply (compute) and a
stream over arrays too big for the caches (memory bandwidth). Each is run a
few times after warm-up and the median is reported, so one slow run (another
process, a page fault) does not move the figure.

    >>> from stackkit import bench, chips
    >>> result = bench.run()                      # about 5 s on 2 cores
    >>> me = result.as_accelerator()              # this machine as a catalog-style chip
    >>> chips.ridge_point(me, "fp32")             # FLOP per byte

Memory bandwidth follows STREAM (McCalpin 1995, "Memory bandwidth and machine
balance in current high performance computers", IEEE TCCA Newsletter): *copy*
a[i] = b[i] counts 16 bytes per float64 element, *triad* a[i] = b[i] + s·c[i]
counts 24, and each array should be at least four times the last-level cache.
Both kernels run on every core (one thread per core, each streaming its own slice of the
arrays; NumPy releases the GIL inside the loops), as the matmul does through BLAS, so the
ridge point compares all-core FLOP/s with all-core bandwidth. A single core cannot draw
a modern memory system's full bandwidth.

Measure on a quiet machine. When another process holds a core, a multi-threaded
BLAS matmul can run many times slower (its threads wait for one another), and
a stream run that loses its core is slower; ``Measurement.best_rate`` (the
fastest run, what STREAM reports) is the least disturbed figure, ``rate`` (the
median) the typical one.

A progress bar shows when ``tqdm`` is installed (it is not a dependency). If
PyTorch with CUDA is installed, :func:`measure_cuda_matmul` and
:func:`measure_cuda_copy` measure the GPU too; nothing in the kit requires it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import _checks, catalog
from ._declare import choice, count, custom, declared, flag, optional, seed, threads

__all__ = [
    "DEFAULT_MATMUL_SIZES",
    "DEFAULT_STREAM_ELEMENTS",
    "BenchResult",
    "Measurement",
    "cuda_available",
    "measure_bandwidth",
    "measure_cuda_copy",
    "measure_cuda_matmul",
    "measure_matmul",
    "run",
]

DTYPES = ("float32", "float64")
STREAM_KERNELS = ("copy", "triad")
#: Matrix sides of the default run: small ones show the overheads, large ones the peak.
DEFAULT_MATMUL_SIZES: tuple[int, ...] = (128, 256, 512, 1024, 2048)
#: 2**24 float64 = 134 MB per array: four times a 33 MB last-level cache (STREAM's rule).
DEFAULT_STREAM_ELEMENTS = 2**24
_TRIAD_SCALAR = 3.0
_BLOCK = 2**16  # triad works block by block so NumPy's temporary stays in cache


@dataclass(frozen=True)
class Measurement:
    """One kernel timed ``len(times_s)`` times after warm-up."""

    kernel: str  # 'matmul', 'copy', 'triad', 'cuda matmul', 'cuda copy'
    dtype: str
    size: int  # matrix side n (matmul) or elements per array (stream)
    work: float  # FLOPs (matmul) or bytes counted (stream) per run
    unit: str  # 'GFLOP/s' or 'GB/s'
    times_s: tuple[float, ...]
    threads: int = 1  # threads that ran the kernel (matmul: the cores BLAS may use)

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)

    @property
    def rate(self) -> float:
        """Work per second at the median time, in ``unit`` (GFLOP/s or GB/s)."""
        return self.work / self.median_s / 1e9

    @property
    def best_rate(self) -> float:
        """Work per second of the fastest run."""
        return self.work / min(self.times_s) / 1e9

    @property
    def spread(self) -> float:
        """(slowest − fastest) / median: how much the repeats disagreed."""
        return (max(self.times_s) - min(self.times_s)) / self.median_s

    def to_dict(self) -> dict:
        row = asdict(self)
        row.pop("times_s")
        row.update(repeats=len(self.times_s), median_s=self.median_s, rate=self.rate,
                   best_rate=self.best_rate, spread=self.spread)
        return row


def _time(action: Callable[[], object], repeats: int, warmup: int,
          sync: Callable[[], object] | None = None) -> tuple[float, ...]:
    for _ in range(warmup):
        action()
    if sync:
        sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        if sync:
            sync()
        times.append(time.perf_counter() - start)
    return tuple(times)


#: Ceilings that keep every measurement to seconds, not hours: at most MAX_REPEATS timed
#: runs (and as many warm-ups), matrices up to MAX_MATMUL_N (8192² float64: 0.5 GB each),
#: STREAM arrays up to MAX_STREAM_ELEMENTS (1 GiB each in float64), and in all at most
#: MAX_CPU_FLOPS of matmul work or MAX_CPU_BYTES of streamed bytes a call (a few seconds
#: on a 2-core course machine).
MAX_REPEATS = 100
MAX_MATMUL_N = 8192
MAX_STREAM_ELEMENTS = 2**27
MAX_CPU_FLOPS = 5e11
MAX_CPU_BYTES = 5e10
MAX_CUDA_N = 32_768
MAX_CUDA_BYTES = 2**34


_REPEATS = count(high=MAX_REPEATS, examples=(1, 3))
_WARMUP = count(low=0, high=MAX_REPEATS, examples=(0, 1))


def _sizes(name: str, value: object) -> list[int]:
    """Matrix sizes: a list of at most 16 whole numbers from 1 to :data:`MAX_MATMUL_N`."""
    return [_checks.whole(name, n, 1, MAX_MATMUL_N)
            for n in _checks.sequence(name, value, max_len=16)]


def _dtypes(name: str, value: object) -> list[str]:
    """NumPy dtypes: a list of names from :data:`DTYPES`."""
    return [_checks.one_of(name, d, DTYPES)
            for d in _checks.sequence(name, value, max_len=len(DTYPES))]


def _work(what: str, per_run: float, repeats: int, warmup: int, ceiling: float,
          unit: str) -> None:
    """ValueError when (repeats + warmup) runs of ``per_run`` exceed ``ceiling``."""
    total = per_run * (repeats + warmup)
    if total > ceiling:
        raise ValueError(f"{what} with repeats={repeats} and warmup={warmup} is "
                         f"{total:.3g} {unit} of work, more than the {ceiling:.0e} a "
                         f"measurement may take here; use a smaller size or fewer repeats")


@declared(n=count(high=MAX_MATMUL_N, examples=(64, 256)), dtype=choice(DTYPES),
          repeats=_REPEATS, warmup=_WARMUP, seed=seed())
def measure_matmul(n: int, dtype: str = "float32", repeats: int = 5, warmup: int = 1,
                   seed: int = 0) -> Measurement:
    """GFLOP/s of an n×n by n×n matrix multiply (2n³ FLOPs) with NumPy's BLAS."""
    _work(f"n={n}", 2.0 * n**3, repeats, warmup, MAX_CPU_FLOPS, "FLOP")
    rng = np.random.default_rng(seed)
    a = rng.random((n, n)).astype(dtype)
    b = rng.random((n, n)).astype(dtype)
    c = np.empty((n, n), dtype=dtype)
    times = _time(lambda: np.matmul(a, b, out=c), repeats, warmup)
    return Measurement("matmul", dtype, n, 2.0 * n**3, "GFLOP/s", times, os.cpu_count() or 1)


def _triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, scalar: float) -> None:
    """a = b + scalar·c, block by block so the temporary never leaves the cache."""
    for start in range(0, a.size, _BLOCK):
        block = slice(start, start + _BLOCK)
        np.multiply(c[block], scalar, out=a[block])
        np.add(a[block], b[block], out=a[block])


@declared(kernel=choice(STREAM_KERNELS),
          n_elements=count(high=MAX_STREAM_ELEMENTS, examples=(1_000_000,)),
          dtype=choice(DTYPES), repeats=_REPEATS, warmup=_WARMUP, threads=optional(threads()))
def measure_bandwidth(kernel: str = "triad", n_elements: int = DEFAULT_STREAM_ELEMENTS,
                      dtype: str = "float64", repeats: int = 5,
                      warmup: int = 1, threads: int | None = None) -> Measurement:
    """GB/s of a STREAM kernel over arrays of ``n_elements`` (bytes counted as STREAM does).

    copy:  a = b          2 arrays · n · itemsize bytes
    triad: a = b + s·c    3 arrays · n · itemsize bytes

    ``threads`` (default: every core, ``os.cpu_count()``) each stream one contiguous slice,
    as STREAM's OpenMP version does; ``threads=1`` measures one core.
    """
    n = n_elements
    _work(f"n_elements={n}", 3.0 * n * np.dtype(dtype).itemsize, repeats, warmup,
          MAX_CPU_BYTES, "bytes")
    workers = min((os.cpu_count() or 1) if threads is None else threads, n)
    a = np.zeros(n, dtype=dtype)
    b = np.full(n, 1.0, dtype=dtype)
    c = np.full(n, 2.0, dtype=dtype)
    itemsize = a.itemsize
    edges = np.linspace(0, n, workers + 1).astype(int)
    slices = [slice(lo, hi) for lo, hi in itertools.pairwise(edges)]

    def one(part: slice) -> None:
        if kernel == "copy":
            np.copyto(a[part], b[part])
        else:
            _triad(a[part], b[part], c[part], _TRIAD_SCALAR)

    arrays = 2 if kernel == "copy" else 3
    if workers == 1:
        times = _time(lambda: one(slices[0]), repeats, warmup)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            times = _time(lambda: list(pool.map(one, slices)), repeats, warmup)
    return Measurement(kernel, dtype, n, float(arrays * n * itemsize), "GB/s", times, workers)


# --------------------------------------------------------------------------- optional GPU

def _torch():
    try:
        import torch  # optional: not a dependency of the kit
    except ImportError:
        return None
    return torch


@declared()
def cuda_available() -> bool:
    """True if PyTorch is installed and sees a CUDA GPU."""
    torch = _torch()
    return bool(torch is not None and torch.cuda.is_available())


def _need_cuda():
    torch = _torch()
    if torch is None or not torch.cuda.is_available():
        raise RuntimeError("measuring the GPU needs PyTorch with CUDA, which is not available "
                           "here; the CPU measurements (bench.run()) need nothing extra")
    return torch


@declared(n=count(high=MAX_CUDA_N, examples=(1024,)),
          dtype=choice(("bfloat16", "float16", "float32")), repeats=_REPEATS, warmup=_WARMUP)
def measure_cuda_matmul(n: int = 8192, dtype: str = "bfloat16", repeats: int = 10,
                        warmup: int = 3) -> Measurement:
    """TFLOP/s-scale matmul on the first CUDA GPU with PyTorch (reported in GFLOP/s)."""
    torch = _need_cuda()
    device = torch.device("cuda")
    a = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    b = torch.randn(n, n, device=device, dtype=getattr(torch, dtype))
    times = _time(lambda: torch.matmul(a, b), repeats, warmup, sync=torch.cuda.synchronize)
    return Measurement("cuda matmul", dtype, n, 2.0 * n**3, "GFLOP/s", times)


@declared(n_bytes=count(high=MAX_CUDA_BYTES, examples=(2**20,)), repeats=_REPEATS,
          warmup=_WARMUP)
def measure_cuda_copy(n_bytes: int = 2**30, repeats: int = 10, warmup: int = 3) -> Measurement:
    """GB/s of a device-to-device copy on the first CUDA GPU (read + write counted)."""
    torch = _need_cuda()
    source = torch.empty(n_bytes, dtype=torch.uint8, device="cuda")
    target = torch.empty_like(source)
    times = _time(lambda: target.copy_(source), repeats, warmup, sync=torch.cuda.synchronize)
    return Measurement("cuda copy", "uint8", n_bytes, 2.0 * n_bytes, "GB/s", times)


# --------------------------------------------------------------------------- a whole run

@dataclass(frozen=True, repr=False)
class BenchResult:
    """Every measurement of one :func:`run`, and this machine's place on the roofline."""

    measurements: tuple[Measurement, ...]
    duration_s: float
    machine: str  # processor and core count, as the OS reports them
    date: dt.date

    def __repr__(self) -> str:
        return (f"BenchResult({len(self.measurements)} measurements on {self.machine}, "
                f"{self.date:%Y-%m-%d}, {self.duration_s:.1f} s)")

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([m.to_dict() for m in self.measurements])

    def _repr_html_(self) -> str:
        rows = {
            "machine": self.machine,
            "peak float32 matmul (GFLOP/s)": f"{self.peak_gflops('float32'):,.1f}",
            "memory bandwidth (GB/s)": f"{self.bandwidth_gb_s:,.1f}",
            "ridge point float32 (FLOP/byte)": f"{self.ridge_point('float32'):,.2f}",
            "duration (s)": f"{self.duration_s:.1f}",
        }
        if any(m.kernel == "matmul" and m.dtype == "float64" for m in self.measurements):
            rows["peak float64 matmul (GFLOP/s)"] = f"{self.peak_gflops('float64'):,.1f}"
        return "<table>" + "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>"
                                   for k, v in rows.items()) + "</table>"

    def _rates(self, kernels: Sequence[str], dtype: str | None = None) -> list[float]:
        return [m.rate for m in self.measurements
                if m.kernel in kernels and (dtype is None or m.dtype == dtype)]

    def peak_gflops(self, dtype: str = "float32") -> float:
        """The best median matmul GFLOP/s over the sizes measured."""
        dtype = _checks.one_of("dtype", dtype, DTYPES)
        rates = self._rates(("matmul",), dtype)
        if not rates:
            raise ValueError(f"this run measured no {dtype} matmul")
        return max(rates)

    @property
    def bandwidth_gb_s(self) -> float:
        """The best median STREAM bandwidth (copy or triad), GB/s."""
        rates = self._rates(STREAM_KERNELS)
        if not rates:
            raise ValueError("this run measured no memory bandwidth")
        return max(rates)

    def ridge_point(self, dtype: str = "float32") -> float:
        """This machine's ridge point, FLOP per byte: peak matmul / bandwidth."""
        return self.peak_gflops(dtype) / self.bandwidth_gb_s

    def as_accelerator(self, name: str = "this machine (CPU)") -> catalog.Accelerator:
        """This machine as an :class:`~stackkit.catalog.Accelerator` (float32 as ``fp32``).

        Pass it to any ``chips`` function: ``chips.attainable_tflops(me, 10, "fp32")``.
        """
        return catalog.Accelerator(
            name=name, vendor="this machine", kind="cpu", bf16_tflops=None, fp8_tflops=None,
            fp32_tflops=self.peak_gflops("float32") / 1e3, tf32_tflops=None, int8_tops=None,
            memory_gb=None, memory_type="DRAM", memory_bw_tb_s=self.bandwidth_gb_s / 1e3,
            sram_mb=None, tdp_w=None, price_usd=None, price_note=None, scaleup_link=None,
            scaleup_bw_gb_s=None, measured_bf16_tflops=None, sm_count=None,
            max_clock_mhz=None, year=self.date.year,
            source=f"stackkit.bench.run() on {self.machine}", as_of=self.date,
        )


def _machine() -> str:
    processor = platform.processor() or platform.machine() or "unknown processor"
    return f"{processor}, {os.cpu_count()} logical cores"


def _progress_bar(total: int, enabled: bool):
    """A tqdm bar if asked for and tqdm is importable; else None (and nothing is shown)."""
    if not enabled:
        return None
    try:
        from tqdm import tqdm  # optional: not a dependency of the kit
    except ImportError:
        return None
    return tqdm(total=total, desc="stackkit.bench", unit="kernel", leave=False)


@declared(matmul_sizes=custom(_sizes, examples=([128, 256],), bad=(None, "abc", [0], [2.5], [])),
          dtypes=custom(_dtypes, examples=(["float32"],), bad=(None, "float32", ["int7"], [])),
          stream_elements=count(high=MAX_STREAM_ELEMENTS, examples=(1_000_000,)),
          repeats=_REPEATS, warmup=_WARMUP, progress=flag(), cuda=flag())
def run(matmul_sizes: Sequence[int] = DEFAULT_MATMUL_SIZES,
        dtypes: Sequence[str] = DTYPES,
        stream_elements: int = DEFAULT_STREAM_ELEMENTS,
        repeats: int = 5, warmup: int = 1, progress: bool = True,
        cuda: bool = False) -> BenchResult:
    """Measure this machine: matmul GFLOP/s per size and dtype, STREAM copy and triad GB/s.

    The defaults take about 5 s on 2 cores. ``progress`` shows a tqdm bar when
    tqdm is installed. ``cuda=True`` adds a PyTorch GPU matmul and copy (raises
    ``RuntimeError`` where PyTorch with CUDA is missing).
    """
    sizes, kinds, elements = matmul_sizes, dtypes, stream_elements
    _work("matmul_sizes", sum(2.0 * n**3 for n in sizes) * len(kinds), repeats, warmup,
          MAX_CPU_FLOPS, "FLOP")
    if cuda:
        _need_cuda()

    tasks: list[Callable[[], Measurement]] = [
        (lambda n=n, d=d: measure_matmul.unchecked(n, d, repeats, warmup, 0))
        for d in kinds for n in sizes]
    tasks += [(lambda k=k: measure_bandwidth.unchecked(k, elements, "float64", repeats, warmup,
                                                         None))
              for k in STREAM_KERNELS]
    if cuda:
        tasks += [lambda: measure_cuda_matmul(repeats=repeats, warmup=warmup),
                  lambda: measure_cuda_copy(repeats=repeats, warmup=warmup)]
    bar = _progress_bar(len(tasks), progress)
    start = time.perf_counter()
    results = []
    try:
        for task in tasks:
            results.append(task())
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return BenchResult(tuple(results), time.perf_counter() - start, _machine(), dt.date.today())
