"""The six layers of the stack as a table, and a few dated catalog figures per layer."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import _declare as d
from .. import catalog, lessons


def _notebook(layer: int) -> str:
    """The lesson that teaches ``layer``, from the lesson registry."""
    return next(item.notebook for item in lessons.LESSONS if item.layer == layer)


@dataclass(frozen=True)
class Layer:
    number: int  # 1 = bottom of the stack
    name: str
    what: str
    cost_drivers: str
    notebook: str


LAYERS: tuple[Layer, ...] = (
    Layer(1, "Silicon", "GPUs, TPUs and other accelerators that do the arithmetic",
          "peak FLOP/s, memory bandwidth, memory size, price per chip", _notebook(1)),
    Layer(2, "Servers and clusters", "nodes, NVLink and InfiniBand fabrics, power and cooling",
          "link bandwidth, megawatts, failures per day", _notebook(2)),
    Layer(3, "Cloud compute", "renting GPUs by the hour, reserved, spot, or owning them",
          "$ per GPU-hour, discounts, utilization", _notebook(3)),
    Layer(4, "Data infrastructure", "training corpora, storage that feeds GPUs, vector search",
          "terabytes, storage throughput, tokens", _notebook(4)),
    Layer(5, "Training frameworks", "parallelism and memory management for large runs",
          "FLOPs = 6 · params · tokens, GPU-hours, memory per GPU", _notebook(5)),
    Layer(6, "Serving and APIs", "turning a trained model into tokens for users",
          "$ per million tokens, latency, KV-cache memory", _notebook(6)),
)


def _figure(layer: Layer, what: str, value: float, unit: str, row_name: str,
            source: str, as_of) -> dict:
    return {
        "layer": layer.number,
        "layer_name": layer.name,
        "figure": what,
        "value": float(value),
        "unit": unit,
        "from": row_name,
        "as_of": pd.Timestamp(as_of),
        "source": source,
    }


@d.declared()
def key_figures() -> pd.DataFrame:
    """A few catalog numbers per layer, each with the row it comes from and its date."""
    chip = catalog.accelerator("H100 SXM")
    nvlink = catalog.interconnect("NVLink 4")
    infiniband = catalog.interconnect("InfiniBand NDR 4x")
    p5_now = catalog.instance("p5.48xlarge")
    p5_before = catalog.instance("p5.48xlarge", as_of="2025-05-01")
    corpus = catalog.dataset("FineWeb")
    big = catalog.model("Llama 3.1 405B")
    api = catalog.api_price("GPT-5 mini")
    s1, s2, s3, s4, s5, s6 = LAYERS
    rows = [
        _figure(s1, "dense BF16 compute", chip.bf16_tflops, "TFLOP/s", chip.name,
                chip.source, chip.as_of),
        _figure(s1, "memory bandwidth", chip.memory_bw_tb_s, "TB/s", chip.name,
                chip.source, chip.as_of),
        _figure(s2, "scale-up link, per GPU", nvlink.bandwidth_gb_s, "GB/s", nvlink.name,
                nvlink.source, nvlink.as_of),
        _figure(s2, "scale-out link, per port", infiniband.bandwidth_gb_s, "GB/s",
                infiniband.name, infiniband.source, infiniband.as_of),
        _figure(s2, "board power", chip.tdp_w, "W", chip.name, chip.source, chip.as_of),
        _figure(s3, "on-demand price", p5_now.usd_per_gpu_hour, "USD per GPU-hour",
                p5_now.instance, p5_now.source, p5_now.as_of),
        _figure(s3, "the same, before the June 2025 cut", p5_before.usd_per_gpu_hour,
                "USD per GPU-hour",
                p5_before.instance, p5_before.source, p5_before.as_of),
        _figure(s4, "web text for pre-training", corpus.tokens / 1e12, "trillion tokens",
                corpus.name, corpus.source, corpus.as_of),
        _figure(s4, "the same on disk", corpus.size_tb, "TB", corpus.name, corpus.source,
                corpus.as_of),
        _figure(s5, "parameters of a frontier open model", big.params / 1e9, "billion parameters",
                big.name, big.source, big.as_of),
        _figure(s6, "API price, input", api.input_usd_per_mtok, "USD per million tokens",
                api.model, api.source, api.as_of),
        _figure(s6, "API price, output", api.output_usd_per_mtok, "USD per million tokens",
                api.model, api.source, api.as_of),
    ]
    return pd.DataFrame(rows)


@d.declared()
def layers() -> pd.DataFrame:
    """The six layers as a table: what each is, what drives its cost, which lesson covers it."""
    return pd.DataFrame(
        [{"layer": x.number, "name": x.name, "what it is": x.what,
          "what drives its cost": x.cost_drivers, "lesson": x.notebook} for x in LAYERS]
    ).set_index("layer")
