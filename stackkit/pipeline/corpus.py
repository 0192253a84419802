"""The lesson corpus: a synthetic web crawl with planted duplicates and boilerplate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._declare import count, custom, declared, seed
from .quality import STOP_WORDS

_WORDS = (
    "data storage model training token cluster network memory bandwidth file system object "
    "store shard checkpoint batch pipeline engine query index vector search the of and to in "
    "that with have be for on is are was it as by this from which can more than each every "
    "read write fast slow large small many few server rack node disk flash cache layer "
    "compute power cost price hour second byte gigabyte terabyte copy clean filter quality "
    "web page crawl text document language english science history river mountain city "
    "music garden kitchen recipe travel market school student teacher library museum"
).split()


#: Most documents :func:`make_corpus` writes (a Python loop per document: about half
#: a second at this ceiling; the lesson uses 600, the benchmark 2,000).
MAX_DOCS = 5_000


@declared(n_docs=count(low=20, high=MAX_DOCS, examples=(20, 600)), seed=seed())
def make_corpus(n_docs: int = 2000, seed: int = 0) -> pd.DataFrame:
    """The lesson's synthetic web crawl: documents with planted duplicates and boilerplate.

    Of every 20 documents, 14 are unique prose, 2 exact copies of an earlier one (one of
    them with different spacing), 2 near copies (two words changed), 2 boilerplate pages
    that quality filters remove (lorem ipsum, a short cookie notice, a symbol-heavy
    banner, a bullet list, a keyword list without stop words). ``kind`` says which; the
    counts are in :func:`corpus_counts`. Deterministic for a seed; about 1.3 kB a document.
    """
    n = n_docs  # at least 20: one full pattern
    rng = np.random.default_rng(seed)
    words = _WORDS
    texts: list[str] = []
    kinds: list[str] = []
    originals: list[int] = []
    boiler = 0
    for i in range(n):
        slot = i % 20
        if slot < 14 or not originals:
            n_sentences = int(rng.integers(12, 22))
            sentences = []
            for _ in range(n_sentences):
                picks = rng.integers(len(words), size=int(rng.integers(8, 16)))
                sentence = " ".join([words[k] for k in picks])
                sentences.append(sentence[0].upper() + sentence[1:] + ".")
            paragraphs = [" ".join(sentences[j:j + 4]) for j in range(0, n_sentences, 4)]
            text, kind = "\n".join(paragraphs), "unique"
            originals.append(len(texts))
        elif slot < 16:
            source = texts[originals[int(rng.integers(len(originals)))]]
            text = source if slot == 14 else source.replace(". ", ".   ", 3)
            kind = "exact duplicate"
        elif slot < 18:
            source = texts[originals[int(rng.integers(len(originals)))]].split(" ")
            for _ in range(2):
                source[int(rng.integers(len(source)))] = words[int(rng.integers(len(words)))] + "s"
            text, kind = " ".join(source), "near duplicate"
        else:
            text, kind = _BOILERPLATE[boiler % len(_BOILERPLATE)](rng, words), "boilerplate"
            boiler += 1
        texts.append(text)
        kinds.append(kind)
    return pd.DataFrame({"doc_id": np.arange(n, dtype=np.int64), "text": texts, "kind": kinds})


def _lorem(rng, words) -> str:
    body = " ".join(rng.choice(words, size=80))
    return f"Lorem ipsum dolor sit amet, the page is under construction. {body}."


def _cookie(rng, words) -> str:
    return ("We use cookies to improve your experience. Accept all cookies or manage "
            f"your preferences. Session {int(rng.integers(1_000_000))}.")


def _symbols(rng, words) -> str:
    return " ".join(f"#{w} ..." for w in rng.choice(words, size=70)) + " the end and more"


def _bullets(rng, words) -> str:
    return "\n".join(f"- {' '.join(rng.choice(words, size=6))}" for _ in range(15))


def _keywords(rng, words) -> str:
    plain = [w for w in words if w not in STOP_WORDS and len(w) > 3]
    return ", ".join(rng.choice(plain, size=90)) + " buy now cheap"


def _code(rng, words) -> str:
    lines = [f"function f{k}(x) {{ return x + {k}; }} // {' '.join(rng.choice(words, size=6))}"
             for k in range(12)]
    return "\n".join(lines)


_BOILERPLATE = (_lorem, _cookie, _symbols, _bullets, _keywords, _code)


def _corpus(name: str, value: object) -> pd.DataFrame:
    """A DataFrame with a ``kind`` column, as :func:`make_corpus` returns."""
    if not isinstance(value, pd.DataFrame) or "kind" not in value.columns:
        raise ValueError(f"{name} must be the DataFrame that pipeline.make_corpus returns (with "
                         f"a 'kind' column); got {type(value).__name__} {value!r:.60}")
    return value


@declared(corpus=custom(_corpus, examples=lambda: [make_corpus.unchecked(20, 0)],
                        bad=(None, 3, pd.DataFrame({"text": ["a"]})), kind="corpus"))
def corpus_counts(corpus: pd.DataFrame) -> dict[str, int]:
    """How many documents of each planted kind a :func:`make_corpus` frame holds."""
    counts = corpus["kind"].value_counts()
    return {kind: int(counts.get(kind, 0))
            for kind in ("unique", "exact duplicate", "near duplicate", "boilerplate")}
