"""Lesson 4 — data sizing and feeding the GPUs, checked against published figures."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stackkit import catalog, data


# ---------------------------------------------------------------- the catalog tables
def test_datasets_table_has_at_least_eight_sourced_sets() -> None:
    frame = data.datasets()
    assert len(frame) >= 8
    assert {"FineWeb", "FineWeb-Edu", "RedPajama v2", "Dolma v1.6", "The Pile", "C4 (en)"} <= set(
        frame.index)
    assert frame["source"].str.len().min() > 10
    assert frame["licence"].notna().sum() >= 8


def test_fineweb_dataset_card() -> None:
    """FineWeb: 15T GPT-2 tokens, 44 TB (HuggingFaceFW/fineweb dataset card)."""
    fineweb = catalog.dataset("fineweb")
    assert fineweb.tokens == 15e12
    assert fineweb.size_tb == 44
    # about 2.9 bytes of stored (compressed Parquet) text per GPT-2 token
    assert data.datasets().loc["FineWeb", "bytes_per_token"] == pytest.approx(2.93, rel=0.01)


def test_fineweb_edu_dataset_card() -> None:
    """FineWeb-Edu: 1.3T tokens; the score-2 variant 5.4T (HuggingFaceFW/fineweb-edu card)."""
    assert catalog.dataset("FineWeb-Edu").tokens == 1.3e12
    assert catalog.dataset("FineWeb-Edu score-2").tokens == 5.4e12


def test_storage_tiers_are_sourced_and_hold_the_llama3_anchor() -> None:
    """Llama 3 (arXiv 2407.21783, section 3.3.1): Tectonic, 2 TB/s sustained, 7 TB/s peak."""
    tiers = data.storage_tiers()
    assert len(tiers) >= 6
    assert tiers["source"].str.len().min() > 10
    assert tiers.loc["Tectonic (Llama 3 cluster) sustained", "read_gb_s"] == 2000
    assert tiers.loc["Tectonic (Llama 3 cluster) peak", "read_gb_s"] == 7000
    # AWS S3: 5,500 GET/HEAD requests per second per partitioned prefix
    assert tiers.loc["S3 (per prefix)", "requests_per_s"] == 5500


# ---------------------------------------------------------------- sizing
def test_token_id_bytes() -> None:
    assert data.token_id_bytes(50_257) == 2  # GPT-2 fits uint16
    assert data.token_id_bytes(65_536) == 2
    assert data.token_id_bytes(128_256) == 4  # Llama 3 needs uint32


def test_dataset_storage_llama3() -> None:
    """15.6T tokens (Llama 3 paper) at 3.94 characters per token (its section 3.2)."""
    storage = data.dataset_storage(15.6e12, replicas=3)
    assert storage.clean_text_bytes == pytest.approx(15.6e12 * 3.94)
    assert storage.token_bytes == pytest.approx(15.6e12 * 4)
    assert storage.raw_text_bytes == pytest.approx(storage.clean_text_bytes / 0.504)
    logical = storage.raw_text_bytes + storage.clean_text_bytes + storage.token_bytes
    assert storage.stored_bytes == pytest.approx(3 * logical)
    # 8+3 erasure coding stores 11/8 = 1.375 bytes per byte, far below 3 replicas
    assert data.dataset_storage(15.6e12).redundancy == pytest.approx(1.375)
    # all of it is a small fraction of the Llama 3 cluster's 240 PB
    assert storage.stored_bytes < 240e15 * 0.2


def test_trained_bpe_compresses_english_like_published_tokenizers() -> None:
    """A byte-level BPE trained offline lands near published ratios (Llama 2: 3.17, Llama 3:
    3.94 characters per token, Llama 3 paper section 3.2) on English text."""
    text = [("The storage system must keep thousands of accelerators fed with training data, "
             "while checkpoints are written in bursts every few minutes. ") * 3
            + f"Document number {i} talks about file systems, object stores and bandwidth."
            for i in range(300)]
    tokenizer = data.train_bpe(text, vocab_size=1000)
    stats = data.chars_per_token(text, tokenizer)
    assert stats.vocab_size <= 1000
    assert 2.5 < stats.chars_per_token < 12
    assert stats.bytes_per_token == pytest.approx(stats.chars_per_token)  # ASCII
    again = data.chars_per_token(text, data.train_bpe(text, vocab_size=1000))
    assert again.n_tokens == stats.n_tokens  # deterministic


# ---------------------------------------------------------------- feeding
def test_training_tokens_per_s_matches_palm_throughput() -> None:
    """PaLM 540B (Chowdhery et al. 2022, Table 3): 6144 TPU v4 at 46.2% MFU of 275 TFLOP/s
    observed 238.3K tokens/s. 6N counts no attention FLOPs, so it reads slightly high."""
    tokens_s = data.training_tokens_per_s(540e9, 6144, 0.462 * 275)
    assert tokens_s == pytest.approx(238.3e3, rel=0.03)


def test_training_tokens_per_s_matches_llama3_budget() -> None:
    """Llama 3 405B: 3.8e25 FLOPs on 15.6T tokens, 16,384 H100 at 400 TFLOP/s (Table 4)."""
    tokens_s = data.training_tokens_per_s(405e9, 16_384, 400)
    seconds = 3.8e25 / (16_384 * 400e12)
    assert tokens_s * seconds == pytest.approx(15.6e12, rel=0.02)


def test_checkpoint_bytes_zero_paper() -> None:
    """ZeRO (Rajbhandari et al. 2020, section 3.1): GPT-2 1.5B holds 24 GB of model states
    (16 bytes per parameter); a checkpoint leaves out the 2-byte gradients."""
    assert data.checkpoint_bytes(1.5e9, bytes_per_param=16) == pytest.approx(24e9)
    assert data.checkpoint_bytes(1.5e9) == pytest.approx(21e9)


def test_llama3_checkpoint_fits_the_per_gpu_range() -> None:
    """Llama 3 paper section 3.3.1: each GPU saves 1 MB to 4 GB of state."""
    per_gpu = data.checkpoint_bytes(405e9) / 16_384
    assert 1e6 < per_gpu < 4e9


def test_text_reading_is_cheap_and_checkpoints_are_the_burst() -> None:
    """Llama 3 405B on 16K H100s against Tectonic's 2 TB/s sustained: text reads need
    about 11 MB/s of it; a 5.7 TB checkpoint takes 2.8 s even at the full 2 TB/s."""
    plan = data.feed_plan(405e9, 16_384, 400, tier="Tectonic (Llama 3 cluster) sustained",
                          units=1, bytes_per_token=4)
    assert plan.read_gb_s_needed < 0.01 * plan.read_gb_s_available
    assert plan.read_stall_fraction == 0
    assert plan.checkpoint_gb == pytest.approx(5670)
    assert plan.checkpoint_write_s == pytest.approx(5670 / 2000)
    assert plan.bottleneck == "none"  # 2.8 s is inside the 60 s target
    table = data.feed_table(405e9, 16_384, 400).set_index("modality")
    assert table.loc["image patches (uint8 RGB)", "bytes_per_token"] == 768
    assert table.loc["text (uint32 ids)", "share_of_tectonic_sustained"] < 1e-5


def test_where_reading_flips_small_models_on_pixels() -> None:
    """Tokens per second scale as 1/N: a 0.3B-parameter model on pixels (768 bytes per
    token, ViT's 16x16 patches) on the same 16K GPUs needs more than Tectonic's 2 TB/s."""
    table = data.feed_table(0.3e9, 16_384, 400).set_index("modality")
    assert table.loc["image patches (uint8 RGB)", "share_of_tectonic_sustained"] > 1
    assert table.loc["text (uint16 ids)", "share_of_tectonic_sustained"] < 0.01


def test_small_filesystem_is_the_checkpoint_bottleneck() -> None:
    """10 TiB of FSx Lustre at 125 MB/s per TiB writes 1.25 GB/s: a 70B checkpoint
    (980 GB) takes 784 s, far over a 60 s target."""
    plan = data.feed_plan(70e9, 1024, 400, tier="FSx for Lustre PERSISTENT_2 (125 MB/s/TiB)",
                          units=10)
    assert plan.write_gb_s_available == pytest.approx(1.25)
    assert plan.checkpoint_write_s == pytest.approx(980 / 1.25)
    assert plan.bottleneck == "checkpoint"
    assert plan.checkpoint_stall_fraction == pytest.approx(784 / (1800 + 784))


def test_image_reads_stall_a_small_filesystem() -> None:
    plan = data.feed_plan(1e9, 512, 400, tier="FSx for Lustre PERSISTENT_2 (125 MB/s/TiB)",
                          units=10, bytes_per_token=768)
    assert plan.bottleneck == "read"
    need, have = plan.read_gb_s_needed, plan.read_gb_s_available
    assert plan.read_stall_fraction == pytest.approx(
        (1800 * need / have - 1800) / (1800 * need / have + plan.checkpoint_write_s))


def test_s3_prefix_tier_uses_requests_times_request_size() -> None:
    plan = data.feed_plan(8e9, 64, 300, tier="S3 (per prefix)", units=1, request_bytes=16e6)
    assert plan.read_gb_s_available == pytest.approx(5500 * 16e6 / 1e9)


@given(n_params=st.floats(1e8, 1e12), gpus=st.integers(1, 100_000),
       tflops=st.floats(1, 2000), units=st.floats(0.5, 1e4),
       bpt=st.floats(1, 1e4))
def test_feed_plan_fractions_are_bounded(n_params, gpus, tflops, units, bpt) -> None:
    plan = data.feed_plan(n_params, gpus, tflops, units=units, bytes_per_token=bpt)
    for value in (plan.read_stall_fraction, plan.checkpoint_stall_fraction,
                  plan.data_stall_fraction):
        assert 0 <= value < 1 and math.isfinite(value)
    assert plan.bottleneck in {"none", "read", "checkpoint"}


@given(gpus=st.integers(1, 50_000))
def test_tokens_per_s_grows_with_gpus(gpus) -> None:
    assert (data.training_tokens_per_s(7e9, gpus + 1, 400)
            > data.training_tokens_per_s(7e9, gpus, 400))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(("call", "words"), [
    (lambda: data.training_tokens_per_s(0, 8, 400), "n_params"),
    (lambda: data.training_tokens_per_s(7e9, 1.5, 400), "n_gpus"),
    (lambda: data.checkpoint_bytes(7e9, bytes_per_param=-1), "bytes_per_param"),
    (lambda: data.dataset_storage(1e12, kept_fraction=0), "kept_fraction"),
    (lambda: data.dataset_storage(1e12, replicas=0), "replicas"),
    (lambda: data.feed_plan(7e9, 8, 400, units=0), "units"),
    (lambda: data.feed_plan(7e9, 8, 400, tier="Local NVMe SSD (PCIe 4.0 U.3)"), "write"),
    (lambda: data.train_bpe([], 1000), "texts"),
    (lambda: data.train_bpe(["a", 3], 1000), "texts[1]"),
    (lambda: data.train_bpe(["a"], 10), "vocab_size"),
])
def test_bad_input_names_the_parameter(call, words) -> None:
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_unknown_tier_lists_close_names() -> None:
    with pytest.raises(KeyError, match="Tectonic"):
        data.feed_plan(7e9, 8, 400, tier="tectonic")


def test_async_checkpoint_hides_the_write_behind_training():
    """Asynchronous checkpointing stops training only to stage each GPU's shard in host memory:
    PyTorch's async_save cut a 7B model's checkpoint downtime from 148.8 s to 6.3 s (PyTorch
    blog, 'Reducing Model Checkpointing Times by Over 10x', 2024). On a slow file system the
    kit's synchronous 70B checkpoint stalls 13 minutes; staged, the stall is a shard of
    980 GB / 1,024 GPUs over a 64 GB/s host link: 15 ms."""
    slow = dict(tier="FSx for Lustre PERSISTENT_2 (125 MB/s/TiB)", units=10)
    sync = data.feed_plan(70e9, 1024, 400, **slow)
    staged = data.feed_plan(70e9, 1024, 400, checkpoint_mode="async", **slow)
    assert sync.checkpoint_stall_s == pytest.approx(sync.checkpoint_write_s)
    assert staged.checkpoint_stall_s == pytest.approx(70e9 * 14 / 1024 / 64e9)
    assert sync.checkpoint_stall_s / staged.checkpoint_stall_s > 148.8 / 6.3
    assert staged.bottleneck == "none" and sync.bottleneck == "checkpoint"
    # a write that outlasts the interval stalls the next checkpoint by the difference
    tight = data.feed_plan(70e9, 1024, 400, checkpoint_mode="async",
                           checkpoint_interval_s=600, **slow)
    assert tight.checkpoint_stall_s == pytest.approx(
        tight.checkpoint_write_s - 600 + 70e9 * 14 / 1024 / 64e9)
    with pytest.raises(ValueError, match="checkpoint_mode"):
        data.feed_plan(70e9, 1024, 400, checkpoint_mode="lazy")
