"""Spot checks of the sourced tables in data/ against published figures.

Each test names the figure it checks and where it was published. The CSVs
are read directly with pandas (this file does not import stackkit). Sources
are expanded in data/README.md.
"""

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parents[1] / "data"
TABLES = ["accelerators", "interconnects", "instances", "api_prices", "models", "datasets",
          "storage_tiers"]


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


@pytest.fixture(scope="module")
def acc():
    return load("accelerators").set_index("name")


# ---------------------------------------------------------------- all tables
@pytest.mark.parametrize("table", TABLES)
def test_every_row_has_source_and_parseable_as_of(table):
    df = load(table)
    assert len(df) > 0
    assert df["source"].notna().all() and (df["source"].str.strip() != "").all()
    dates = pd.to_datetime(df["as_of"], format="%Y-%m-%d", errors="coerce")
    assert dates.notna().all(), df.loc[dates.isna(), "as_of"].tolist()


@pytest.mark.parametrize("table", TABLES)
def test_numeric_values_positive(table):
    df = load(table)
    for col in df.select_dtypes("number").columns:
        vals = df[col].dropna()
        assert (vals > 0).all(), col


# ---------------------------------------------------------------- accelerators
def test_accelerator_coverage(acc):
    assert acc.index.is_unique
    assert len(acc) >= 22
    vendors = {"NVIDIA", "AMD", "Google", "AWS", "Intel", "Groq", "Tenstorrent", "Cerebras"}
    assert vendors <= set(acc["vendor"])
    assert set(acc["kind"]) <= {"gpu", "tpu", "asic", "wafer"}


def test_h100_sxm_datasheet(acc):
    """H100 SXM: 989 dense BF16 TFLOPS, 1979 FP8, 80 GB HBM3 at 3.35 TB/s, 700 W.
    Source: stas00/ml-engineering compute/accelerator/README.md (NVIDIA H100 spec)."""
    h = acc.loc["H100 SXM"]
    assert h["bf16_tflops"] == 989
    assert h["fp8_tflops"] == 1979
    assert h["memory_gb"] == 80
    assert h["memory_bw_tb_s"] == pytest.approx(3.35)
    assert h["tdp_w"] == 700
    assert h["scaleup_bw_gb_s"] == 450  # NVLink 4, one direction


def test_tpu_v5e_ridge_point(acc):
    """TPU v5e: 197 TFLOPS bf16, 16 GB HBM2 at 819 GB/s -> ridge ~240 FLOP/byte.
    Source: Google Cloud TPU v5e documentation (key chip specifications)."""
    t = acc.loc["TPU v5e"]
    assert t["bf16_tflops"] == 197 and t["memory_gb"] == 16
    ridge = t["bf16_tflops"] * 1e12 / (t["memory_bw_tb_s"] * 1e12)
    assert ridge == pytest.approx(240, rel=0.01)


def test_groq_sram_only(acc):
    """Groq LPU: 230 MB on-chip SRAM, no off-chip memory (TechPowerUp, Feb 2024)."""
    g = acc.loc["Groq LPU"]
    assert g["sram_mb"] == 230
    assert pd.isna(g["memory_gb"])
    assert g["memory_type"] == "SRAM"


def test_measured_matmul_below_peak(acc):
    """MAMF (stas00/ml-engineering, Maximum Achievable Matmul FLOPS table):
    H100 SXM 794.5, MI300X 668.4; every measured figure is below its peak."""
    assert acc.loc["H100 SXM", "measured_bf16_tflops"] == pytest.approx(794.5)
    assert acc.loc["MI300X", "measured_bf16_tflops"] == pytest.approx(668.4)
    m = acc.dropna(subset=["measured_bf16_tflops"])
    assert (m["measured_bf16_tflops"] < m["bf16_tflops"]).all()


# ---------------------------------------------------------------- interconnects
def test_interconnect_one_way_bandwidths():
    """NVLink 3/4/5 = 300/450/900 GB/s one way with 12/18/18 links; PCIe 5.0 x16
    63 GB/s; InfiniBand NDR 4x 400 Gb/s = 50 GB/s (stas00/ml-engineering network/README.md)."""
    ic = load("interconnects").set_index("name")
    assert set(ic["kind"]) <= {"memory", "scale-up", "host", "scale-out"}
    assert ic.loc["NVLink 3", "bandwidth_gb_s"] == 300 and ic.loc["NVLink 3", "links"] == 12
    assert ic.loc["NVLink 4", "bandwidth_gb_s"] == 450 and ic.loc["NVLink 4", "links"] == 18
    assert ic.loc["NVLink 5", "bandwidth_gb_s"] == 900 and ic.loc["NVLink 5", "links"] == 18
    assert ic.loc["PCIe 5.0 x16", "bandwidth_gb_s"] == 63
    assert ic.loc["InfiniBand NDR 4x", "bandwidth_gb_s"] == 50
    assert ic.loc["InfiniBand EDR 4x", "latency_us"] == pytest.approx(0.5)


# ---------------------------------------------------------------- instances
def test_instances_coverage_and_keys(acc):
    ins = load("instances")
    assert len(ins) >= 12
    assert ins["provider"].nunique() >= 2
    assert not ins.duplicated(["instance", "provider", "region", "as_of"]).any()
    missing = set(ins["accelerator"]) - set(acc.index)
    assert not missing, missing


def test_cheaper_rents_are_in_the_catalog():
    """A GPU cloud and a capacity block beside the hyperscalers' on-demand list prices:
    Lambda 8x H100 SXM $31.92/h (skypilot-catalog catalogs/v8/lambda/vms.csv); AWS Capacity
    Block p5.48xlarge $39.33/h, $4.916 per GPU-hour (AWS Capacity Blocks pricing page);
    GCP a3-highgpu-8g $88.49/h (Google Cloud GPU pricing, us-central1)."""
    from stackkit import catalog
    assert catalog.instance("gpu_8x_h100_sxm5").usd_per_gpu_hour == pytest.approx(3.99)
    block = catalog.instance("p5.48xlarge capacity block")
    assert block.usd_per_gpu_hour == pytest.approx(4.916, abs=1e-3)
    assert catalog.instance("a3-highgpu-8g").usd_per_hour == pytest.approx(88.49)


def test_p4d_seed_claim():
    """'A p4d.24xlarge costs about $32/h': true before the June 2025 cut ($32.7726, skypilot
    catalogs/v7/aws/vms.csv), $21.957642 after (catalogs/v8/aws/vms.csv)."""
    from stackkit import catalog
    then = catalog.instance("p4d.24xlarge", as_of="2025-05-15")
    assert then.usd_per_hour == pytest.approx(32.7726)
    assert catalog.instance("p4d.24xlarge").usd_per_hour == pytest.approx(21.957642)


def test_p5_june_2025_price_cut():
    """p5.48xlarge us-east-1 on-demand: 98.32 $/h before the June 2025 AWS cut
    (skypilot-catalog catalogs/v7/aws/vms.csv) and 55.04 after (catalogs/v8/aws/vms.csv)."""
    ins = load("instances")
    p5 = ins[(ins["instance"] == "p5.48xlarge") & (ins["region"] == "us-east-1")]
    p5 = p5.assign(as_of=pd.to_datetime(p5["as_of"])).sort_values("as_of")
    assert len(p5) >= 2  # and the launch price (2023-07-26), the same $98.32
    before, after = p5.iloc[-2], p5.iloc[-1]
    assert (p5["usd_per_hour"].iloc[:-1] == before["usd_per_hour"]).all()
    assert before["usd_per_hour"] == pytest.approx(98.32)
    assert after["usd_per_hour"] == pytest.approx(55.04)
    assert after["as_of"] > before["as_of"]


# ---------------------------------------------------------------- API prices
def test_api_prices_coverage():
    ap = load("api_prices")
    assert len(ap) >= 15
    assert ap["provider"].nunique() >= 5
    # a price that changed has one row per date (o3 before and after its June 2025 cut)
    assert not ap.assign(model=ap["model"].str.lower()).duplicated(["model", "as_of"]).any()


def test_o3_before_and_after_the_june_2025_cut():
    """o3 launched at $10 / $40 (2025-04-16); OpenAI cut it 80 % to $2 / $8 on 2025-06-10
    (OpenAI API pricing; models.dev providers/openai/models/o3.toml after the cut)."""
    from stackkit import catalog
    before, after = catalog.api_price("o3", as_of="2025-06-01"), catalog.api_price("o3")
    assert (before.input_usd_per_mtok, before.output_usd_per_mtok) == (10.0, 40.0)
    assert (after.input_usd_per_mtok, after.output_usd_per_mtok) == (2.0, 8.0)
    assert after.as_of.isoformat() == "2025-06-10"
    assert 1 - after.output_usd_per_mtok / before.output_usd_per_mtok == pytest.approx(0.8)


def test_api_dates_are_when_the_price_held():
    """No API price is dated before the model existed: Qwen3 was released on 2025-04-29
    (Qwen blog 'Qwen3: Think Deeper, Act Faster'), so its Groq price cannot be from 2024."""
    from stackkit import catalog
    assert catalog.api_price("Qwen3 32B (Groq)").as_of.isoformat() >= "2025-04-29"


def test_hundreds_of_dollars_per_million_tokens():
    """The seed claim 'API prices reach hundreds of $ per million tokens': o1-pro costs $150 in
    and $600 out per million tokens (OpenAI, 2025-03-19; models.dev o1-pro.toml)."""
    from stackkit import catalog
    assert catalog.api_prices()["output_usd_per_mtok"].max() >= 100
    assert catalog.api_price("o1-pro").output_usd_per_mtok == 600


def test_every_table_says_when_each_figure_was_read():
    """as_of = when the figure was true; retrieved = when it was read (data/README.md)."""
    from stackkit import catalog
    for table in ("accelerators", "interconnects", "instances", "api_prices", "models",
                  "assumptions"):
        frame = catalog.load_table(table)
        assert "retrieved" in frame.columns, table
        dated = frame.dropna(subset=["retrieved"])
        assert (pd.to_datetime(dated["retrieved"]) >= pd.to_datetime(dated["as_of"])).all(), table


def test_claude_sonnet_45_price():
    """Claude Sonnet 4.5: $3 in / $15 out / $0.30 cached per Mtok
    (anomalyco/models.dev providers/anthropic/models/claude-sonnet-4-5.toml)."""
    ap = load("api_prices").set_index("model")
    row = ap.loc["Claude Sonnet 4.5"]
    assert row["input_usd_per_mtok"] == pytest.approx(3.0)
    assert row["output_usd_per_mtok"] == pytest.approx(15.0)
    assert row["cached_input_usd_per_mtok"] == pytest.approx(0.30)


# ---------------------------------------------------------------- models
def test_models_coverage():
    m = load("models")
    assert len(m) >= 10
    assert m["name"].is_unique
    assert set(m["ffn_kind"]) <= {"gelu", "relu", "swiglu"}


def test_llama2_7b_dims():
    """Llama 2 7B: 32 layers, d_model 4096, 32 heads, d_ff 11008, vocab 32000
    (Touvron et al. 2023; Hugging Face meta-llama/Llama-2-7b-hf config.json)."""
    r = load("models").set_index("name").loc["Llama 2 7B"]
    dims = (r["n_layers"], r["d_model"], r["n_heads"], r["d_ff"], r["vocab_size"])
    assert dims == (32, 4096, 32, 11008, 32000)


def test_llama3_8b_gqa():
    """Llama 3 8B uses grouped-query attention with 8 KV heads (arXiv 2407.21783 Table 3)."""
    r = load("models").set_index("name").loc["Llama 3 8B"]
    assert r["n_kv_heads"] == 8 and r["n_heads"] == 32


def _formula_params(r) -> float:
    """vocab*d (x2 if untied) + L*[2d^2 + 2d*(kv*d/h) + m*d*d_ff*E + 2d]
    (+ d*ctx learned positions)."""
    d, L = r["d_model"], r["n_layers"]
    tied = str(r["tied_embeddings"]).strip().lower() == "true"
    m = 3 if r["ffn_kind"] == "swiglu" else 2
    kv_dim = r["n_kv_heads"] * d / r["n_heads"]
    emb = r["vocab_size"] * d * (1 if tied else 2)
    per_layer = 2 * d * d + 2 * d * kv_dim + m * d * r["d_ff"] * r["n_experts"] + 2 * d
    learned_pos = d * r["context_length"] if r["family"] in ("GPT-2", "GPT-3", "OPT") else 0
    if r.get("attention") == "mla":
        # DeepSeek-V2 (arXiv 2405.04434) section 2.1: W_DQ, W_UQ (queries of a + d_r per
        # head), W_DKV (latent d_c and the shared RoPE key), W_UK and W_UV, W_O; DeepSeekMoE:
        # shared + routed experts of width d_ff (+ router), dense_d_ff in the first layers
        h, a, r_, c, q = (r["n_heads"], r["attn_head_dim"], r["rope_head_dim"],
                          r["kv_latent_dim"], r["q_latent_dim"])
        attention = d * q + q * h * (a + r_) + d * (c + r_) + c * h * 2 * a + h * a * d
        dense = int(r["first_dense_layers"])
        moe = (r["n_experts"] + r["n_shared_experts"]) * m * d * r["d_ff"] + d * r["n_experts"]
        return (emb + L * (attention + 2 * d) + dense * m * d * r["dense_d_ff"]
                + (L - dense) * moe)
    return emb + L * per_layer + learned_pos


def test_parameter_counts_match_architecture():
    """Published total parameter count within 3 % of the count implied by the architecture."""
    for _, r in load("models").iterrows():
        est = _formula_params(r)
        assert abs(est - r["params"]) / r["params"] < 0.03, (r["name"], est, r["params"])


def test_chip_rows_follow_the_vendor_datasheets(acc):
    """HGX B200 column (NVIDIA HGX page: FP32 75, HBM3e 7.7 TB/s; TF32 1100 dense), AMD
    MI300X/MI325X data sheets (BF16 1307.4, FP8 2614.9 dense), MI250X 500 W board power,
    Gaudi 3 at the white paper's one clock (1835 TFLOPS, 3.67 TB/s), TPU v6e with Google's
    INT8 1836 and no FP8 figure (Google publishes none)."""
    b200 = acc.loc["B200"]
    assert (b200["fp32_tflops"], b200["tf32_tflops"], b200["memory_bw_tb_s"]) == (75, 1100, 7.7)
    for chip in ("MI300X", "MI325X"):
        assert (acc.loc[chip, "bf16_tflops"], acc.loc[chip, "fp8_tflops"]) == (1307.4, 2614.9)
    assert acc.loc["MI250X", "tdp_w"] == 500
    assert (acc.loc["Gaudi 3", "bf16_tflops"], acc.loc["Gaudi 3", "memory_bw_tb_s"]) == (1835, 3.67)
    assert pd.isna(acc.loc["TPU v6e", "fp8_tflops"]) and acc.loc["TPU v6e", "int8_tops"] == 1836
    assert "35,000" not in str(acc.loc["H100 SXM", "price_note"])


def test_tpu_v5p_ici_is_half_of_googles_bidirectional_figure(acc):
    """TPU v5p: "Bidirectional inter-chip interconnect (ICI) bandwidth per chip: 1200 GBps"
    (Google Cloud TPU v5p documentation, key specifications; the older page's 4800 Gbps is
    the same 600 GB/s). The catalog keeps one direction, as for NVLink."""
    assert acc.loc["TPU v5p"]["scaleup_bw_gb_s"] == 1200 / 2


#: FP32 FLOPs per SM (or CU) per clock, from each architecture's whitepaper: 64 FP32 cores
#: on Volta and GA100 (A100), 128 on Hopper and Ada; CDNA 2 64 lanes, CDNA 3 128.
FP32_FLOPS_PER_SM_CLOCK = {"A100 SXM 40GB": 128, "A100 SXM 80GB": 128, "V100 SXM2 16GB": 128,
                           "H100 SXM": 256, "H100 PCIe": 256, "H200 SXM": 256, "H800 SXM": 256,
                           "L40S": 256, "L4": 256, "MI250X": 128, "MI300X": 256, "MI325X": 256}


def test_sm_count_and_clock_reproduce_the_datasheet_fp32_peak(acc):
    # the SM counts and clocks (several from spec databases) against the vendors' own FP32
    # peaks: SMs × FP32 FLOPs per SM per clock × clock
    with_sms = acc.dropna(subset=["sm_count", "max_clock_mhz"])
    assert set(with_sms.index) == set(FP32_FLOPS_PER_SM_CLOCK)
    for name, per_clock in FP32_FLOPS_PER_SM_CLOCK.items():
        row = acc.loc[name]
        tflops = row["sm_count"] * per_clock * row["max_clock_mhz"] * 1e6 / 1e12
        assert tflops == pytest.approx(row["fp32_tflops"], rel=0.01), name
