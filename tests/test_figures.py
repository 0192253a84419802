"""Every figure the kit draws reads cleanly: no text on text, labelled axes with units, no
"nan"/"inf", no file path of the machine that drew it (issue 20, item 6).

The plotting functions are discovered from :mod:`stackkit.plots` (each lesson module's
``__all__``); :data:`FIGURES` says how to draw each with the inputs its lesson uses, and a
test fails if a plotting function has no entry. Figures that still break a rule are marked
``xfail(strict=True)`` with the reason, so fixing one turns its mark into a failure to remove.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable

import matplotlib
import numpy as np
import pytest
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from stackkit import lessons

matplotlib.use("Agg")

# draws every figure of every lesson (about 10 s): make test, not make quick
pytestmark = pytest.mark.slow

TODAY = "2026-11-28"


def _plot_functions() -> dict[str, Callable]:
    found = {}
    for name in lessons.modules("plots"):
        module = importlib.import_module(f"stackkit.plots.{name}")
        for item in module.__all__:
            obj = getattr(module, item)
            if inspect.isfunction(obj) and "return" in obj.__annotations__ and \
                    "Figure" in str(obj.__annotations__["return"]):
                found[item] = obj
    return found


# ------------------------------------------------------------------ how to draw each figure

def _decode_on_gpu():
    from stackkit import catalog, plots, serving
    steps = catalog.query("gpu_measurements", where={"measurement": "decode_step_s"})
    batches = [1, 8, 32, 64, 128, 256, 512]
    kit = [serving.step_time("Llama 3 8B", "H200 SXM", 1, context_tokens=1024, estimate=e)
           for e in ("expected", "bound")]
    return plots.decode_on_gpu(steps, [kit[0](0, b) for b in batches],
                               [kit[1](0, b) for b in batches], batches)


def _chips():
    from stackkit import catalog, chips, fabrication, plots
    return {
        "catalog_bars": lambda: plots.catalog_bars(
            catalog.query("accelerators", sort_by="bf16_tflops"), "name", "bf16_tflops",
            color_by="vendor", unit="TFLOP/s"),
        "roofline": lambda: plots.roofline(["H100 SXM", "L4"], "bf16", {"decode": 10.0}),
        "realistic_peaks": lambda: plots.realistic_peaks(chips.realistic_peaks()),
        "gemm_sweep": lambda: plots.gemm_sweep(
            catalog.query("gpu_measurements", where={"measurement": "square_gemm_tflops"}), 989.0),
        "decode_batch": lambda: plots.decode_batch(
            [chips.decode_batch_curve("Llama 3 8B", "H100 SXM", context_tokens=2048,
                                      within_memory=True)]),
        "chip_ranking": lambda: plots.chip_ranking(chips.rank_chips("gflops_per_w"),
                                                   "gflops_per_w"),
        "chip_cost_build_up": lambda: plots.chip_cost_build_up(
            {name: fabrication.chip_cost_estimate(name) for name in ("H100 SXM", "B200",
                                                                     "MI300X")}),
    }


def _bench():
    from stackkit import bench, plots
    return plots.bench_matmul(bench.run(matmul_sizes=(64, 128), stream_elements=2**16,
                                        repeats=1, progress=False))


def _overview():
    from stackkit import plots, stack
    return {"stack_diagram": lambda: plots.stack_diagram(stack.layers(), stack.key_figures())}


def _clusters():
    from stackkit import catalog, clusters, plots
    params = catalog.model("Llama 3 8B").params
    return {
        "bandwidth_bars": lambda: plots.bandwidth_bars(clusters.bandwidth_hierarchy()),
        "checkpoint_goodput": lambda: plots.checkpoint_goodput(60, 600, 3 * 3600),
        "cluster_diagram": lambda: plots.cluster_diagram(),
        "collective_times": lambda: plots.collective_times(clusters.allreduce_sweep(
            np.geomspace(1e3, 1e10, 20), 64, ["NVLink 4", "InfiniBand NDR 4x"]), 64),
        "failures_at_scale": lambda: plots.failures_at_scale([8, 1024, 100_000]),
        "power_stack": lambda: plots.power_stack(clusters.cluster_power(10_000, "H100 SXM")),
        "scaling_efficiency": lambda: plots.scaling_efficiency(clusters.scaling_sweep(
            [8, 64, 512], ["NVLink 4", "InfiniBand NDR 4x"], params, 4e6, overlap=False)),
    }


def _price_trend():
    from stackkit import plots, trends
    history = trends.api_price_history()
    lows = history[history["new_low"]]
    return plots.price_trend(lows["year"], lows["usd_per_mtok"], trends.fit_api_price(),
                             "USD per million tokens (mean of in and out)", labels=lows["model"])


def _cloud():
    from stackkit import cloud, clusters, plots
    rent = cloud.gpu_hour_price("p5.48xlarge")
    return {
        "api_bill_bars": lambda: plots.api_bill_bars(cloud.compare_api_bills(
            users_per_day=5000, requests_per_user=10, input_tokens=2000, output_tokens=500)),
        "breakeven_sensitivity": lambda: plots.breakeven_sensitivity(cloud.breakeven_table(
            "H100 SXM", clusters.server_price_usd_per_gpu("H100 SXM"), [2.0, 4.0, 6.0],
            [3, 5])),
        "gpu_price_bars": lambda: plots.gpu_price_bars(cloud.gpu_hour_prices(history=True)),
        "pricing_mode_bars": lambda: plots.pricing_mode_bars(
            cloud.pricing_modes("p5.48xlarge", reserved_discount=0.40)),
        "rent_vs_buy_curve": lambda: plots.rent_vs_buy_curve(
            clusters.owned_cost("H100 SXM"), {"AWS p5 on-demand": rent.usd_per_gpu_hour}),
        "self_hosting_curve": lambda: plots.self_hosting_curve(cloud.self_hosting_breakeven(
            api_usd_per_mtok=5.0, tokens_per_second_per_gpu=1000,
            gpu_usd_per_hour=rent.usd_per_gpu_hour)),
        "price_trend": lambda: _price_trend(),
        "spot_cost_histogram": lambda: plots.spot_cost_histogram(
            cloud.spot_job(100, 0.05, 2.0, 0.1, 0.2, usd_per_hour=20.0, trials=2000, seed=0),
            2000.0),
    }


def _data(tmp_path_factory):
    from stackkit import data, pipeline, plots, vectors
    state = {}

    def run():
        if "run" not in state:
            corpus = pipeline.make_corpus(60, seed=0)
            state["run"] = pipeline.run_pipeline(corpus["text"],
                                                 tmp_path_factory.mktemp("figures") / "run")
        return state["run"]

    return {
        "dataset_bars": lambda: plots.dataset_bars(data.datasets()),
        "feed_bars": lambda: plots.feed_bars(data.feed_plan(
            70e9, 1024, 400, tier="FSx for Lustre PERSISTENT_2 (125 MB/s/TiB)", units=10)),
        "lineage_graph": lambda: plots.lineage_graph(run().lineage),
        "lsh_s_curve": lambda: plots.lsh_s_curve(9, 13, threshold=0.8),
        "pipeline_funnel": lambda: plots.pipeline_funnel(run()),
        "recall_qps_pareto": lambda: plots.recall_qps_pareto(
            vectors.index_sweep(n_vectors=2500, n_queries=50)),
    }


def _training():
    from stackkit import plots, training
    return {
        "context_parallel_memory": lambda: plots.context_parallel_memory(
            [training.context_parallel("Llama 3 70B", "H100 SXM", 65536, cp, tp=8, pp=4,
                                       dp=16 // cp) for cp in (1, 4, 16)]),
        "isoflop_curves": lambda: plots.isoflop_curves(),
        "memory_bars": lambda: plots.memory_bars(
            [training.memory_fit("Llama 3 70B", "H100 SXM", dp=64, seq_len=4096),
             training.memory_fit("Llama 3 70B", "H100 SXM", dp=64, seq_len=4096,
                                 zero_stage=3)], ["plain DP", "ZeRO-3"]),
        "memory_stack": lambda: plots.memory_stack(
            training.memory_fit("Llama 3 8B", "H100 SXM", dp=8, seq_len=4096)),
        "plan_breakdown": lambda: plots.plan_breakdown(
            training.plan("Llama 3 70B", "H100 SXM", 4096, 2048 * 8192, 8192)),
        "run_breakdown": lambda: plots.run_breakdown(training.training_run(
            "Llama 3 70B", 15e12, "H100 SXM", 4096, 0.40, checkpoint_s=120, restart_s=900)),
        "schedule_usage": lambda: plots.schedule_usage(
            [training.schedule(training.synthetic_jobs(20, seed=0, mean_interarrival_h=0.4),
                               n_nodes=8, gpus_per_node=8, policy=p)
             for p in training.SCHEDULER_POLICIES]),
        "sweep_curves": None,  # trains a sweep of models: drawn in lesson 5, too slow here
        "tiny_loss": lambda: plots.tiny_loss(training.tiny_train(steps=5, batch_size=16)),
    }


def _serving():
    from stackkit import plots, serving
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=1024)
    prompts, outputs = serving.trace_lengths(300, seed=0)

    def runs():
        return {p: serving.simulate(10, 300, prompts, outputs, step, policy=p, seed=0)
                for p in serving.POLICIES}

    requests = serving.request_trace()
    lengths = (requests["prompt_tokens"] + requests["output_tokens"]).clip(upper=2048)
    return {
        "decode_measured_vs_predicted": None,  # times this machine: drawn in lesson 6
        "decode_on_gpu": _decode_on_gpu,
        "kv_attention_bars": lambda: plots.kv_attention_bars(
            serving.kv_bytes_by_attention("Llama 3 70B")),
        "kv_waste_bars": lambda: plots.kv_waste_bars(
            serving.kv_waste(lengths, max_tokens=2048, block_tokens=16)),
        "latency_cdfs": lambda: plots.latency_cdfs(runs(), "ttft_s"),
        "latency_vs_batch": lambda: plots.latency_vs_batch(step),
        "latency_vs_rate": lambda: plots.latency_vs_rate(_load_table(serving, step, prompts,
                                                                     outputs)),
        "memory_bar": lambda: plots.memory_bar(
            serving.memory_plan("Llama 3 8B", "H100 SXM", context_tokens=8192)),
        "serving_cost_bars": lambda: plots.serving_cost_bars(serving.cost_comparison(
            serving.serving_cost("Llama 3 70B", "p5.48xlarge", batch_size=64,
                                 prompt_tokens=512, output_tokens=256, utilization=0.5),
            ["GPT-5 mini", "GPT-5"])),
        "sim_cdfs": lambda: plots.sim_cdfs(runs()["continuous"]),
        "speculative_speedup": lambda: plots.speculative_speedup(draft_cost_ratio=0.05),
        "prefix_caching_lines": lambda: plots.prefix_caching_lines(
            [serving.prefix_caching(step, 1000, h, 1.0, 0.1) for h in (0.0, 0.5, 0.9)]),
        "disaggregation_bars": lambda: plots.disaggregation_bars({
            "1 s, 100 ms": serving.disaggregation(step, 512, 64, 1.0, 0.1, n_requests=100)}),
    }


def _load_table(serving, step, prompts, outputs):
    import pandas as pd
    rows = []
    for rate in (5, 20):
        run = serving.simulate(rate, 300, prompts, outputs, step, seed=0)
        rows.append({"policy": "continuous, poisson", "arrival_rate_per_s": rate,
                     "p99_ttft_s": float(np.percentile(run.ttft_s, 99)),
                     "goodput_per_s": run.goodput(ttft_slo_s=1.0, tpot_slo_s=0.05)})
    return pd.DataFrame(rows)


def _stack():
    from stackkit import plots, stack
    scenario = stack.preset("self-host-llama3-70b", today=TODAY)
    return {
        "stack_waterfall": lambda: plots.stack_waterfall(stack.trace(scenario)),
        "preset_bars": lambda: plots.preset_bars(
            {n: stack.trace(s) for n, s in stack.presets(today=TODAY).items()}),
        "stack_tornado": lambda: plots.stack_tornado(stack.sensitivity(scenario)),
        "uncertainty_band": lambda: plots.uncertainty_band(
            stack.uncertainty(scenario, n=2000, seed=0)),
        "build_vs_buy_curve": lambda: plots.build_vs_buy_curve(
            stack.build_vs_buy(scenario), scenario.api_model,
            bands=[stack.breakeven_band(scenario, api_model=api, n=300)
                   for api in ("GPT-5", "Llama 3.3 70B (Together)")]),
    }


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict[str, Callable | None]:
    table: dict[str, Callable | None] = {}
    for part in (_chips(), _overview(), _clusters(), _cloud(), _data(tmp_path_factory),
                 _training(), _serving(), _stack()):
        table.update(part)
    table["bench_matmul"] = _bench
    return table


#: Figures that break a rule today, with why; strict, so a fix shows up as an XPASS failure.
KNOWN: dict[str, str] = {
}

NAMES = sorted(_plot_functions())


def test_every_plotting_function_has_a_way_to_draw_it(figures):
    assert set(NAMES) <= set(figures), sorted(set(NAMES) - set(figures))


# ------------------------------------------------------------------ the rules

_UNIT = re.compile(
    r"\(.*\)|\bper\b|/|%|\$|\bUSD\b|\bs\b|\bms\b|\bh\b|seconds?|hours?|days?|years?|minutes?|"
    r"\b[kMGTP]?B\b|GiB|TiB|bytes?|FLOP|tokens?|GPUs?|chips?|nodes?|users?|requests?|"
    r"documents?|sequences?|vectors?|queries|batch|W\b|kW|MW|kWh|ratio|fraction|share|"
    r"probability|similarity|recall|loss|steps?|efficiency|goodput|count|interruptions|"
    r"×|multiple|runs|draws", re.IGNORECASE)
_NAN = re.compile(r"\bnan\b|\binf\b", re.IGNORECASE)
_PATH = re.compile(r"(^|[\s'\"(])(/(tmp|home|usr|var|work|Users|private|root)/|[A-Z]:\\)")


def _texts(figure: Figure) -> list[Text]:
    found = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return [t for t in found if t.get_figure() is figure]


def _numeric(axis: Axis) -> bool:
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text().strip()]
    if not labels:
        return False
    plain = [re.sub(r"[−\-+$,%×kMGTB\s]|\^|\{|\}|\\mathdefault|10", "", x) for x in labels]
    return all(re.fullmatch(r"[0-9.]*", p or "0") for p in plain)


def _overlaps(figure: Figure, renderer) -> list[tuple[str, str]]:
    boxes = []
    for text in _texts(figure):
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            boxes.append((text.get_text(), box))
    clashes = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > 1.5 and height > 1.5:  # pixels: more than anti-aliasing touching
                clashes.append((a[:40], b[:40]))
    return clashes


def _problems(figure: Figure) -> list[str]:
    canvas = FigureCanvasAgg(figure)  # the kit draws without pyplot: give it a canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    problems = [f"text overlaps text: {a!r} / {b!r}" for a, b in _overlaps(figure, renderer)]
    for text in _texts(figure):
        if _NAN.search(text.get_text()):
            problems.append(f"nan or inf in {text.get_text()!r}")
        if _PATH.search(text.get_text()):
            problems.append(f"a file path in {text.get_text()!r}")
    for ax in figure.axes:
        if not ax.axison:
            continue
        for axis, label in ((ax.xaxis, ax.get_xlabel()), (ax.yaxis, ax.get_ylabel())):
            if axis.get_visible() and _numeric(axis):
                if not label.strip():
                    problems.append(f"a numeric {axis.axis_name}-axis without a label")
                elif not _UNIT.search(label):
                    problems.append(f"{axis.axis_name}-axis label {label!r} names no unit")
    return problems


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN[n])) if n in KNOWN else n
    for n in NAMES])
def test_figure_reads_cleanly(name, figures):
    draw = figures[name]
    if draw is None:
        pytest.skip(f"{name} needs a measurement or a training run; its lesson draws it")
    # not registered with pyplot: the figure is freed with its last reference (clearing it
    # was needless, and matplotlib 3.10 warns when it clears shared log-scaled axes)
    assert _problems(draw()) == []
