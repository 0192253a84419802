"""Tokens: a byte-level BPE trained offline, and the token count of each kept document.

:func:`train_bpe` lives here, under the pipeline that counts tokens with it, and
:mod:`stackkit.data` re-exports it for lesson 4 (``data.train_bpe``): data also
re-exports :func:`~stackkit.pipeline.run_pipeline`, so the pipeline cannot import data.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from .. import _checks
from .._declare import count, custom, declared
from .corpus import make_corpus
from .quality import _normalize

#: The largest vocabulary :func:`train_bpe` trains: above any production tokenizer (Llama 3:
#: 128,256; Gemma: 262,144). The Rust trainer allocates ~70 bytes per entry up front, so
#: vocab_size=10**9 asked it for 70 GB and aborted the whole Python process.
MAX_BPE_VOCAB = 2**20


def _texts(name: str, value: object) -> list[str]:
    """One string, or a non-empty sequence of strings."""
    return _checks.texts(name, value)


@declared(texts=custom(_texts, examples=(["Data is read slowly and written in bursts. " * 20],
                                         "one short text"),
                       bad=(None, 3, [], ["a", 3]), kind="texts"),
          vocab_size=count(low=300, high=MAX_BPE_VOCAB, examples=(300, 1000)))
def train_bpe(texts, vocab_size: int = 4096):
    """A byte-level BPE tokenizer (Hugging Face ``tokenizers``) trained on ``texts``, offline.

    The same algorithm GPT-2 and Llama 3 use (byte-level byte-pair encoding,
    Sennrich et al. 2016; Radford et al. 2019), trained here on whatever text
    you give it. Deterministic for the same texts and vocabulary size.
    """
    vocab = vocab_size
    tk = _checks.require("tokenizers", "data", "train_bpe")
    decoders, models, pre_tokenizers, trainers = (tk.decoders, tk.models, tk.pre_tokenizers,
                                                  tk.trainers)
    tokenizer = tk.Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


@functools.cache
def lesson_tokenizer():
    """The byte-level BPE (4,096 entries) the pipeline counts tokens with, trained offline on
    the first 400 documents of :func:`make_corpus`'s default corpus (deterministic)."""
    sample = make_corpus.unchecked(400, 0)
    sample = sample[sample["kind"] == "unique"]["text"].map(_normalize).tolist()
    return train_bpe.unchecked(sample, 4096)


def _token_counts(frame: pd.DataFrame) -> pd.DataFrame:
    tokenizer = lesson_tokenizer()
    texts = frame["text"].tolist()
    counts = [len(e.ids) for e in tokenizer.encode_batch(texts)] if texts else []
    return pd.DataFrame({"doc_id": frame["doc_id"].astype("int64").to_numpy(),
                         "n_tokens": np.asarray(counts, dtype=np.int64)})
