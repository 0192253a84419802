"""Quality filters: the rules a document must meet, and the features they read.

Each rule of :data:`QUALITY_RULES` is a SQL condition on the features :func:`_features`
computes from a normalized text (:func:`_normalize`: Unicode NFKC, whitespace collapsed,
so copies that differ only in spacing hash alike). Sources: Gopher (Rae et al. 2021,
appendix A.1.1) and C4 (Raffel et al. 2020, section 2.2).
"""

from __future__ import annotations

import re
import unicodedata

#: Gopher's stop words: a page must hold at least two (Rae et al. 2021, appendix A.1.1).
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")

#: Each quality rule: (name, SQL condition a document must meet, source).
QUALITY_RULES = (
    ("word count 50 to 100,000", "n_words BETWEEN 50 AND 100000",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("mean word length 3 to 10", "mean_word_length BETWEEN 3 AND 10",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("symbol-to-word ratio below 0.1", "symbol_ratio < 0.1",
     "Gopher (Rae et al. 2021), appendix A.1.1 (hash and ellipsis)"),
    ("at least 2 stop words", "n_stop_words >= 2",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("at most 90% of lines are bullets", "bullet_line_fraction <= 0.9",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("no 'lorem ipsum'", "NOT (LOWER(text) LIKE '%lorem ipsum%')",
     "C4 (Raffel et al. 2020), section 2.2"),
    ("no curly bracket (code)", "NOT (text LIKE '%{%')",
     "C4 (Raffel et al. 2020), section 2.2"),
)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _features(text: str) -> dict[str, float]:
    words = text.split()
    n_words = len(words)
    lower = {w.strip(".,;:!?\"'()").lower() for w in words}
    lines = text.splitlines() or [""]
    bullets = sum(1 for line in lines if line.lstrip().startswith(("-", "*", "•")))
    symbols = text.count("#") + text.count("...") + text.count("…")
    return {
        "n_words": n_words,
        "mean_word_length": (sum(len(w) for w in words) / n_words) if n_words else 0.0,
        "symbol_ratio": symbols / n_words if n_words else 0.0,
        "n_stop_words": sum(1 for w in STOP_WORDS if w in lower),
        "bullet_line_fraction": bullets / len(lines),
    }
