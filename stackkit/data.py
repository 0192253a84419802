"""Layer 4 — data: how big a training set is, how fast storage must feed the GPUs.

Pure functions: numbers in, numbers or small frozen dataclasses out. Lesson 4
(``04_data.ipynb``) introduces every function here. The pipeline that cleans
and deduplicates a corpus lives in :mod:`stackkit.pipeline` (re-exported here:
:func:`run_pipeline`, and :func:`train_bpe`, the tokenizer the pipeline counts tokens
with); vector search in :mod:`stackkit.vectors`.

The lesson's point, in numbers: a text LLM reads its training data slowly (a
few bytes per token, a few million tokens per second across the whole
cluster) while a checkpoint is terabytes written in a burst. Reading only
becomes the bottleneck when a token costs hundreds of bytes (pixels: images
and video) and the model is small enough to eat millions of them a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import _checks, catalog
from ._declare import choice, count, custom, declared, fraction, number, optional, positive
from ._results import Result
from .pipeline import run_pipeline
from .pipeline.tokens import MAX_BPE_VOCAB as MAX_BPE_VOCAB
from .pipeline.tokens import train_bpe

__all__ = [
    "CHECKPOINT_BYTES_PER_PARAM",
    "CHECKPOINT_MODES",
    "HOST_LINK_GB_S",
    "LLAMA2_CHARS_PER_TOKEN",
    "LLAMA3_CHARS_PER_TOKEN",
    "MODALITY_BYTES_PER_TOKEN",
    "DatasetStorage",
    "FeedPlan",
    "TokenizerStats",
    "chars_per_token",
    "checkpoint_bytes",
    "dataset_storage",
    "datasets",
    "feed_plan",
    "feed_table",
    "run_pipeline",
    "storage_tiers",
    "token_id_bytes",
    "train_bpe",
    "training_tokens_per_s",
]

#: Characters per token of the Llama 3 tokenizer on English text (and of Llama 2's),
#: Llama 3 Herd of Models (arXiv 2407.21783) section 3.2 (compression 3.17 -> 3.94).
LLAMA3_CHARS_PER_TOKEN = 3.94
LLAMA2_CHARS_PER_TOKEN = 3.17

#: Bytes a mixed-precision Adam checkpoint holds per parameter: bf16 weights (2) plus the
#: fp32 master weights, momentum and variance (4 + 4 + 4) — the ZeRO paper's model states
#: (Rajbhandari et al. 2020, section 3.1: 2Ψ + 2Ψ + 12Ψ) less the bf16 gradients, which a
#: restart does not need.
CHECKPOINT_BYTES_PER_PARAM = 14.0

#: GPU-to-host bandwidth one way, GB/s: PCIe Gen5 x16, the H100 SXM's host link (NVIDIA
#: H100 datasheet: "PCIe Gen5: 128 GB/s", both directions). An asynchronous checkpoint
#: stops training only while each GPU copies its shard to host memory over it.
HOST_LINK_GB_S = 64.0

#: Checkpoint modes of :func:`feed_plan`. "sync": every rank writes its shard straight to
#: storage while training waits (sharded, as PyTorch Distributed Checkpoint saves).
#: "async": each rank copies its shard to host memory, training resumes, and the write
#: to storage runs in the background (``torch.distributed.checkpoint.async_save``;
#: PyTorch blog, "Reducing Model Checkpointing Times by Over 10x", 2024: a 7B model's
#: checkpoint downtime fell from 148.8 s to 6.3 s).
CHECKPOINT_MODES = ("sync", "async")

#: Bytes read from storage per training token, by modality. Text: a token id stored as
#: uint32 (4 bytes; uint16 when the vocabulary has at most 65,536 entries). Image: a
#: 224 x 224 RGB uint8 image (150,528 bytes) cut into 16 x 16 patches = 196 tokens, as in
#: ViT (Dosovitskiy et al. 2021) — 768 bytes per token uncompressed. Video: the same
#: patches from 30 frames a second — the bytes per token match images; the count of
#: tokens is what grows.
MODALITY_BYTES_PER_TOKEN = {
    "text (uint16 ids)": 2.0,
    "text (uint32 ids)": 4.0,
    "text (raw UTF-8, Llama 3)": LLAMA3_CHARS_PER_TOKEN,
    "image patches (uint8 RGB)": 224 * 224 * 3 / 196,
}


def _tier(name: str, value: object) -> catalog.StorageTier:
    """A storage tier by name (KeyError with the nearest names), or a StorageTier as given."""
    return catalog.storage_tier(value)


def _texts(name: str, value: object) -> list[str]:
    """One string, or a non-empty sequence of strings."""
    return _checks.texts(name, value)


def _tokenizer(name: str, value: object):
    """A ``tokenizers.Tokenizer`` (anything with ``encode_batch`` and ``get_vocab_size``)."""
    if not callable(getattr(value, "encode_batch", None)) or not callable(
            getattr(value, "get_vocab_size", None)):
        raise ValueError(f"{name} must be a tokenizers.Tokenizer (e.g. from "
                         f"data.train_bpe(texts)); got {_checks._show(value)}")
    return value


_EXAMPLE_TEXT = ("Training data is read slowly and written in bursts. " * 20,)


def _example_tokenizers() -> list:
    """A small BPE trained here, for generated calls."""
    return [train_bpe.unchecked(list(_EXAMPLE_TEXT), 300)]


_TEXTS = custom(_texts, examples=(list(_EXAMPLE_TEXT), "one short text"),
                bad=(None, 3, [], ["a", 3]), kind="texts")
_N_PARAMS = positive(examples=(8e9, 405e9, 1e6))
_N_GPUS = count(examples=(1, 16_384))
_TFLOPS = positive(examples=(400.0, 1.0))
_BYTES_PER_PARAM = positive(examples=(CHECKPOINT_BYTES_PER_PARAM, 2.0))


# --------------------------------------------------------------------------- catalog views

@declared()
def datasets() -> pd.DataFrame:
    """Public training sets with their token counts, sizes and licences (``data/datasets.csv``)."""
    frame = catalog.datasets()
    frame["bytes_per_token"] = frame["size_tb"] * 1e12 / frame["tokens"]
    return frame


@declared()
def storage_tiers() -> pd.DataFrame:
    """Storage throughput per unit of scale (``data/storage_tiers.csv``)."""
    return catalog.storage_tiers()


# --------------------------------------------------------------------------- sizing

@declared(vocab_size=count(examples=(128_256, 32_000, 2**16 + 1, 2**33)))
def token_id_bytes(vocab_size: int) -> int:
    """Bytes to store one token id: 2 (uint16) up to 65,536 entries, 4 (uint32) up to 2³²,
    else 8 (uint64)."""
    vocab = vocab_size
    return 2 if vocab <= 2**16 else 4 if vocab <= 2**32 else 8


@dataclass(frozen=True)
class DatasetStorage(Result):
    """Bytes a training set occupies: raw text, cleaned text, token ids, and on disk."""

    n_tokens: float
    chars_per_token: float
    raw_text_bytes: float  # before cleaning and deduplication
    clean_text_bytes: float  # what training reads as text
    token_bytes: float  # the tokenized copy (uint16 or uint32 ids)
    redundancy: float  # stored bytes per logical byte (3 for 3 replicas; (k+m)/k for EC)
    stored_bytes: float  # raw + clean + tokenized, times the redundancy

    _derived = ("stored_tb",)

    @property
    def stored_tb(self) -> float:
        return self.stored_bytes / 1e12


@declared(n_tokens=positive(examples=(15.6e12, 1e9)),
          chars_per_token=positive(examples=(LLAMA3_CHARS_PER_TOKEN, 3.17)),
          vocab_size=count(examples=(128_256, 32_000)),
          kept_fraction=fraction(low_open=True, examples=(0.504, 1.0)),
          bytes_per_char=number(low=1.0, high=4.0, examples=(1.0, 3.0)),
          replicas=optional(count(examples=(3, 1))), erasure_data=count(examples=(8, 10)),
          erasure_parity=count(low=0, examples=(3, 0, 4)))
def dataset_storage(n_tokens: float, chars_per_token: float = LLAMA3_CHARS_PER_TOKEN,
                    vocab_size: int = 128_256, kept_fraction: float = 0.504,
                    bytes_per_char: float = 1.0, replicas: int | None = None,
                    erasure_data: int = 8, erasure_parity: int = 3) -> DatasetStorage:
    """Storage for the raw, cleaned and tokenized copies of a training set.

    clean text = tokens × characters per token × bytes per character;
    raw = clean ÷ kept_fraction; token ids = tokens × 2 or 4 bytes; every copy is
    stored ``replicas`` times, or with erasure coding (k data + m parity shards:
    (k + m) / k bytes per byte) when ``replicas`` is None.

    Parameters
    ----------
    n_tokens : tokens in the cleaned set (e.g. 15.6e12 for Llama 3).
    chars_per_token : 3.94 for the Llama 3 tokenizer on English (its paper, section 3.2).
    vocab_size : sets the token-id width (128,256 for Llama 3: uint32).
    kept_fraction : share of raw bytes that survive cleaning and deduplication; the default
        0.504 is SlimPajama's (49.6 % of RedPajama's bytes removed, its dataset card).
    bytes_per_char : 1 for English UTF-8; about 3 for Chinese or Japanese.
    replicas : whole copies kept (e.g. 3, HDFS's default); None for erasure coding.
    erasure_data, erasure_parity : the k and m of a k+m erasure code (8+3 by default).
    """
    tokens, cpt, kept, bpc = n_tokens, chars_per_token, kept_fraction, bytes_per_char
    k, m = erasure_data, erasure_parity
    redundancy = (k + m) / k if replicas is None else float(replicas)
    clean = tokens * cpt * bpc
    raw = clean / kept
    ids = tokens * token_id_bytes.unchecked(vocab_size)
    return DatasetStorage(n_tokens=tokens, chars_per_token=cpt, raw_text_bytes=raw,
                          clean_text_bytes=clean, token_bytes=ids, redundancy=redundancy,
                          stored_bytes=(raw + clean + ids) * redundancy)


@dataclass(frozen=True)
class TokenizerStats(Result):
    """What a tokenizer does to a text: characters, bytes and tokens."""

    n_chars: int
    n_bytes: int
    n_tokens: int
    vocab_size: int

    _derived = ("chars_per_token", "bytes_per_token")

    @property
    def chars_per_token(self) -> float:
        return self.n_chars / self.n_tokens

    @property
    def bytes_per_token(self) -> float:
        return self.n_bytes / self.n_tokens




@declared(texts=_TEXTS,
          tokenizer=custom(_tokenizer, examples=_example_tokenizers, bad=(None, 3, "bpe")))
def chars_per_token(texts, tokenizer) -> TokenizerStats:
    """Characters, UTF-8 bytes and tokens of ``texts`` under ``tokenizer`` (a ``tokenizers``
    Tokenizer, e.g. from :func:`train_bpe`)."""
    encodings = tokenizer.encode_batch(texts)
    n_tokens = sum(len(e.ids) for e in encodings)
    if n_tokens == 0:
        raise ValueError("texts produced no tokens; give some non-empty text")
    return TokenizerStats(n_chars=sum(len(t) for t in texts),
                          n_bytes=sum(len(t.encode("utf-8")) for t in texts),
                          n_tokens=n_tokens, vocab_size=tokenizer.get_vocab_size())


# --------------------------------------------------------------------------- feeding the GPUs

@declared(n_params=_N_PARAMS, n_gpus=_N_GPUS, achieved_tflops_per_gpu=_TFLOPS)
def training_tokens_per_s(n_params: float, n_gpus: int, achieved_tflops_per_gpu: float) -> float:
    """Tokens a training run consumes per second: n · X / (6 N).

    Training costs 6 FLOPs per parameter per token (forward 2N, backward 4N;
    Kaplan et al. 2020, section 2.1), so n GPUs that each achieve X FLOP/s eat
    n·X / (6N) tokens a second. ``achieved_tflops_per_gpu`` is what the run
    sustains (Llama 3 405B: 400 TFLOP/s per H100, its paper's Table 4), not the peak.
    """
    return n_gpus * achieved_tflops_per_gpu * 1e12 / (6 * n_params)


@declared(n_params=_N_PARAMS, bytes_per_param=_BYTES_PER_PARAM)
def checkpoint_bytes(n_params: float, bytes_per_param: float = CHECKPOINT_BYTES_PER_PARAM) -> float:
    """Bytes of one checkpoint: parameters × bytes per parameter.

    The default, 14, is the full training state of mixed-precision Adam — bf16
    weights plus fp32 master weights, momentum and variance (ZeRO, Rajbhandari
    et al. 2020, section 3.1, less the gradients); pass 2 for bf16 weights alone
    or 16 for ZeRO's model states including gradients.
    """
    return n_params * bytes_per_param


@dataclass(frozen=True)
class FeedPlan(Result):
    """What a training run asks of its storage, and what one tier gives."""

    tier: str
    tokens_per_s: float
    read_gb_s_needed: float  # tokens/s × bytes per token
    read_gb_s_available: float
    checkpoint_gb: float
    checkpoint_write_gb_s_needed: float  # checkpoint size ÷ target write time
    write_gb_s_available: float
    checkpoint_write_s: float  # at the tier's write bandwidth
    checkpoint_interval_s: float
    read_stall_fraction: float  # of wall time the GPUs wait for input data
    checkpoint_stall_fraction: float  # of wall time training waits for checkpoints
    bottleneck: str  # 'none', 'read' or 'checkpoint'
    checkpoint_mode: str = "sync"  # 'sync' or 'async' (see CHECKPOINT_MODES)
    checkpoint_stall_s: float = 0.0  # training stopped per checkpoint, seconds

    _derived = ("data_stall_fraction",)

    @property
    def data_stall_fraction(self) -> float:
        """Share of wall time the GPUs do no training because of storage (read + checkpoint)."""
        return self.read_stall_fraction + self.checkpoint_stall_fraction


@declared(n_params=_N_PARAMS, n_gpus=_N_GPUS, achieved_tflops_per_gpu=_TFLOPS,
          tier=custom(_tier, examples=lambda: list(catalog.storage_tiers().index),
                      bad=(None, 3, "no such tier"), kind="storage tier"),
          units=positive(examples=(100.0, 1.0)), bytes_per_token=positive(examples=(4.0, 768.0)),
          bytes_per_param=_BYTES_PER_PARAM,
          checkpoint_interval_s=positive(examples=(1800.0, 60.0)),
          checkpoint_target_s=positive(examples=(60.0, 600.0)),
          request_bytes=positive(examples=(16e6, 1e6)), checkpoint_mode=choice(CHECKPOINT_MODES))
def feed_plan(n_params: float, n_gpus: int, achieved_tflops_per_gpu: float,
              tier: str = "FSx for Lustre PERSISTENT_2 (1000 MB/s/TiB)", units: float = 100,
              bytes_per_token: float = 4.0, bytes_per_param: float = CHECKPOINT_BYTES_PER_PARAM,
              checkpoint_interval_s: float = 1800.0, checkpoint_target_s: float = 60.0,
              request_bytes: float = 16e6, checkpoint_mode: str = "sync") -> FeedPlan:
    """Read and checkpoint bandwidth a run needs, against what ``units`` of one tier give.

    Needed: read = tokens/s × bytes per token (:func:`training_tokens_per_s`);
    checkpoint = :func:`checkpoint_bytes` ÷ ``checkpoint_target_s``. Available:
    the tier's per-unit figure × ``units`` (TiB of a file system, nodes, drives,
    S3 prefixes × requests/s × ``request_bytes``, or 1 cluster). Stalls: when reads
    are short the steps stretch by needed ÷ available; a synchronous checkpoint
    stops training for size ÷ write bandwidth once per interval. An asynchronous one
    (``checkpoint_mode="async"``) stops it only while each GPU copies its shard
    (size ÷ GPUs) to host memory at :data:`HOST_LINK_GB_S`, plus any part of the
    background write that outlasts the interval. Stall fractions are shares of the
    resulting wall time.
    """
    mode, row, u, bpt = checkpoint_mode, tier, units, bytes_per_token
    interval, target = checkpoint_interval_s, checkpoint_target_s
    tokens_s = training_tokens_per_s.unchecked(n_params, n_gpus, achieved_tflops_per_gpu)
    size = checkpoint_bytes.unchecked(n_params, bytes_per_param)
    if row.scope == "per prefix":
        per_unit_read = row.requests_per_s * request_bytes / 1e9
        per_unit_write = per_unit_read * 3500 / 5500  # the PUT limit over the GET limit
    else:
        per_unit_read = row.read_gb_s
        per_unit_write = row.write_gb_s
    if per_unit_write is None or per_unit_read is None:
        raise ValueError(f"tier {row.name!r} has no published write bandwidth; choose a tier "
                         "with one (the table leaves unknown figures empty)")
    read_avail = per_unit_read * u
    write_avail = per_unit_write * u
    read_need = tokens_s * bpt / 1e9
    write_s = size / (write_avail * 1e9)
    stretch = max(1.0, read_need / read_avail)
    compute_wall = interval * stretch  # an interval's worth of training, slowed by reads
    if mode == "sync":
        stall_s = write_s
    else:  # staged to host memory; the write overlaps training unless it outlasts the interval
        staging_s = size / n_gpus / (HOST_LINK_GB_S * 1e9)
        stall_s = staging_s + max(0.0, write_s - compute_wall)
    wall = compute_wall + stall_s
    read_stall = (compute_wall - interval) / wall
    ckpt_stall = stall_s / wall
    if read_stall == 0 and stall_s <= target:
        bottleneck = "none"
    else:
        bottleneck = "read" if read_stall >= ckpt_stall else "checkpoint"
    return FeedPlan(tier=row.name, tokens_per_s=tokens_s, read_gb_s_needed=read_need,
                    read_gb_s_available=read_avail, checkpoint_gb=size / 1e9,
                    checkpoint_write_gb_s_needed=size / target / 1e9,
                    write_gb_s_available=write_avail, checkpoint_write_s=write_s,
                    checkpoint_interval_s=interval, read_stall_fraction=read_stall,
                    checkpoint_stall_fraction=ckpt_stall, bottleneck=bottleneck,
                    checkpoint_mode=mode, checkpoint_stall_s=stall_s)


@declared(n_params=_N_PARAMS, n_gpus=_N_GPUS, achieved_tflops_per_gpu=_TFLOPS,
          bytes_per_token=optional(positive(examples=(4.0, 768.0))))
def feed_table(n_params: float, n_gpus: int, achieved_tflops_per_gpu: float,
               bytes_per_token: float | None = None) -> pd.DataFrame:
    """Read bandwidth a run needs per modality, beside the Llama 3 cluster's storage.

    One row per entry of :data:`MODALITY_BYTES_PER_TOKEN` (or one row for the
    ``bytes_per_token`` given): tokens/s, GB/s needed, and that as a share of
    Tectonic's 2 TB/s sustained throughput (Llama 3 paper, section 3.3.1).
    """
    tokens_s = training_tokens_per_s.unchecked(n_params, n_gpus, achieved_tflops_per_gpu)
    sustained = catalog.storage_tiers().loc["Tectonic (Llama 3 cluster) sustained", "read_gb_s"]
    items = (MODALITY_BYTES_PER_TOKEN.items() if bytes_per_token is None
             else [("given", bytes_per_token)])
    rows = [{"modality": name, "bytes_per_token": bpt, "tokens_per_s": tokens_s,
             "read_gb_s_needed": tokens_s * bpt / 1e9,
             "share_of_tectonic_sustained": tokens_s * bpt / 1e9 / sustained}
            for name, bpt in items]
    return pd.DataFrame(rows)
