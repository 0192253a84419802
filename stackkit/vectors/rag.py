"""Retrieval over the lessons' own text (chunk → embed → exact top-k → recall@k), and
what one retrieval-augmented answer costs."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _checks, catalog
from .._declare import count, custom, declared, non_negative, optional
from .._results import Result
from .embeddings import embed
from .exact import exact_search

#: OpenAI text-embedding-3-small, USD per million input tokens (OpenAI API pricing, 2024).
EMBEDDING_USD_PER_MTOK = 0.02
#: Pinecone serverless Standard plan, AWS us-east-1: USD per million read units (Pinecone
#: pricing page as captured 2026-11-04 in Flexprice's Pinecone pricing teardown).
PINECONE_USD_PER_MILLION_READ_UNITS = 16.0


def _notebooks_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "notebooks"
    if here.is_dir():
        return here
    raise FileNotFoundError(f"the lesson notebooks are not next to the package ({here}); "
                            "run from a checkout of the repository")


def _folder(name: str, value: object) -> Path:
    """A path to a folder that exists."""
    if not isinstance(value, (str, Path)) or not str(value) or not Path(value).is_dir():
        raise ValueError(f"{name} must be a folder that holds lesson notebooks; got "
                         f"{_checks._show(value)}")
    return Path(value)


def _temp_folders() -> list[Path]:
    return [Path(tempfile.gettempdir())]


@declared(folder=optional(custom(_folder, examples=_temp_folders,
                                 bad=(3, "", "/no/such/stackkit/folder"), kind="folder")),
          max_chars=count(examples=(400, 1)))
def lesson_chunks(folder: str | Path | None = None, max_chars: int = 400) -> pd.DataFrame:
    """The lessons' prose, one chunk per markdown section: notebook, section, text.

    A chunk is a heading and the markdown under it, cut at ``max_chars`` (about 100
    MiniLM tokens: the opening of a section says what it is about, and embedding cost
    grows with length).
    """
    base = folder if folder is not None else _notebooks_dir()
    limit = max_chars
    rows = []
    for path in sorted(base.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sections: list[tuple[str, list[str]]] = [(path.stem, [])]
        for cell in cells:
            if cell["cell_type"] != "markdown":
                continue
            for line in "".join(cell["source"]).splitlines():
                heading = re.match(r"^#{1,3}\s+(.*)", line)
                if heading:
                    title = heading.group(1).strip()
                    sections.append((title, [title]))
                else:
                    sections[-1][1].append(line)
        for title, lines in sections:
            text = "\n".join(lines).strip()
            if text:
                rows.append({"notebook": path.stem, "section": title, "text": text[:limit]})
    if not rows:
        raise ValueError(f"folder: no lesson notebooks with markdown in {str(base)!r}")
    return pd.DataFrame(rows)


#: Hand-written questions and the notebook whose prose answers them.
_QUESTIONS = (
    ("What limits a chip: compute or memory bandwidth?", "01_chips"),
    ("What is the ridge point of a roofline?", "01_chips"),
    ("How do GPUs in a cluster talk to each other over NVLink and InfiniBand?", "02_clusters"),
    ("How often does a large GPU cluster fail?", "02_clusters"),
    ("Is spot pricing cheaper than on-demand for a training job?", "03_cloud"),
    ("When does owning GPUs beat renting them in the cloud?", "03_cloud"),
    ("How much storage bandwidth does training need for checkpoints?", "04_data"),
    ("How do you remove near-duplicate documents from a web crawl?", "04_data"),
    ("How does a vector index find nearest neighbours quickly?", "04_data"),
)


@declared()
def lesson_questions() -> pd.DataFrame:
    """The hand-written question set: question and the notebook expected to answer it."""
    return pd.DataFrame(_QUESTIONS, columns=["question", "notebook"])


@dataclass(frozen=True)
class RetrievalScore(Result):
    """Recall@k of retrieval over the lessons' own text."""

    k: int
    n_questions: int
    n_chunks: int
    recall_at_k: float  # share of questions whose top-k holds a chunk of the right notebook


def _table(name: str, value: object, columns: tuple[str, ...]) -> pd.DataFrame:
    """``value`` if it is a non-empty DataFrame with ``columns``, else ValueError."""
    if not isinstance(value, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame with columns "
                         f"{', '.join(columns)}; got {_checks._show(value)}")
    missing = [c for c in columns if c not in value.columns]
    if missing or value.empty:
        raise ValueError(f"{name} must be a non-empty DataFrame with columns "
                         f"{', '.join(columns)}; got {len(value)} rows"
                         + (f", missing {', '.join(missing)}" if missing else ""))
    return value


_CHUNKS = ("notebook", "section", "text")
_QUESTION_COLUMNS = ("notebook", "question")


def _chunks(name: str, value: object) -> pd.DataFrame:
    return _table(name, value, _CHUNKS)


def _questions(name: str, value: object) -> pd.DataFrame:
    return _table(name, value, _QUESTION_COLUMNS)


_EXAMPLE_CHUNKS = pd.DataFrame({
    "notebook": ["04_data", "01_chips"],
    "section": ["Deduplication", "The roofline"],
    "text": ["Near-duplicate documents are removed from a crawl with MinHash.",
             "A chip is limited by compute or by memory bandwidth."]})
_EXAMPLE_QUESTIONS = pd.DataFrame({
    "question": ["How do you remove near-duplicate documents?"], "notebook": ["04_data"]})
_NOT_A_TABLE = (3, "chunks", pd.DataFrame({"text": ["a"]}))


@declared(k=count(examples=(5, 1)),
          chunks=optional(custom(_chunks, examples=(_EXAMPLE_CHUNKS,), bad=_NOT_A_TABLE,
                                 kind="table")),
          questions=optional(custom(_questions, examples=(_EXAMPLE_QUESTIONS,), bad=_NOT_A_TABLE,
                                    kind="table")))
def retrieval_recall(k: int = 5, chunks: pd.DataFrame | None = None,
                     questions: pd.DataFrame | None = None) -> tuple[RetrievalScore, pd.DataFrame]:
    """Chunk → embed → index (exact) → top-k for each question; scored by recall@k.

    Returns the score and one row per question with its top hit.
    """
    kk = k
    chunks = lesson_chunks.unchecked(None, 400) if chunks is None else chunks
    questions = lesson_questions() if questions is None else questions
    notebooks = set(chunks["notebook"])
    questions = questions[questions["notebook"].isin(notebooks)].reset_index(drop=True)
    if questions.empty:
        raise ValueError("questions: no question is about a notebook among the chunks")
    chunk_vectors = embed.unchecked((chunks["section"] + ". " + chunks["text"]).tolist(), 32)
    question_vectors = embed.unchecked(questions["question"].tolist(), 32)
    _, ids = exact_search.unchecked(chunk_vectors, question_vectors, min(kk, len(chunks)))
    hits = [questions.loc[i, "notebook"] in set(chunks.iloc[row]["notebook"])
            for i, row in enumerate(ids)]
    table = questions.assign(
        top_notebook=[chunks.iloc[row[0]]["notebook"] for row in ids],
        top_section=[chunks.iloc[row[0]]["section"] for row in ids],
        found_in_top_k=hits)
    score = RetrievalScore(k=kk, n_questions=len(questions), n_chunks=len(chunks),
                           recall_at_k=float(np.mean(hits)))
    return score, table


@dataclass(frozen=True)
class RagCost(Result):
    """What one retrieval-augmented answer costs, by part, in USD."""

    model: str
    embedding_usd: float  # the question's embedding at API prices
    vector_store_usd: float  # the query's read units
    llm_input_usd: float  # question + retrieved chunks + instructions
    llm_output_usd: float
    queries_per_day: float
    as_of: str  # the LLM price's date

    _derived = ("total_usd", "usd_per_1000_queries", "usd_per_month")

    @property
    def total_usd(self) -> float:
        return self.embedding_usd + self.vector_store_usd + self.llm_input_usd + self.llm_output_usd

    @property
    def usd_per_1000_queries(self) -> float:
        return 1000 * self.total_usd

    @property
    def usd_per_month(self) -> float:
        """At ``queries_per_day`` for an average month (365 / 12 days)."""
        return self.total_usd * self.queries_per_day * 365 / 12


def _api_price(name: str, value: object) -> catalog.ApiPrice:
    """An API model's latest price by name (KeyError with the nearest names)."""
    return catalog.api_price(value)


_TOKENS = non_negative(examples=(300.0, 0.0))


@declared(model=custom(_api_price, examples=("GPT-5 mini", "Claude Haiku 4.5"),
                       bad=(None, 3, "no such model"), kind="API model"),
          question_tokens=_TOKENS, k=count(low=0, examples=(5, 0)), chunk_tokens=_TOKENS,
          prompt_tokens=_TOKENS, output_tokens=_TOKENS,
          read_units_per_query=non_negative(examples=(1.0, 10.0)),
          queries_per_day=non_negative(examples=(10_000.0, 0.0)))
def rag_cost(model: str = "GPT-5 mini", question_tokens: float = 30, k: int = 5,
             chunk_tokens: float = 300, prompt_tokens: float = 200, output_tokens: float = 300,
             read_units_per_query: float = 1.0, queries_per_day: float = 10_000) -> RagCost:
    """Cost of one RAG query: embed the question, query the store, prompt an LLM.

    embedding = question tokens × $0.02/Mtok (text-embedding-3-small);
    store = read units × $16 per million (Pinecone serverless Standard, us-east-1;
    Pinecone bills a query more read units as its namespace grows);
    LLM input = (question + k·chunk + prompt) tokens and output tokens at the
    catalog's API prices (``catalog.api_prices()``, dated).
    """
    price, q, kk, chunk = model, question_tokens, k, chunk_tokens
    prompt, out, ru, per_day = prompt_tokens, output_tokens, read_units_per_query, queries_per_day
    llm_in = q + kk * chunk + prompt
    return RagCost(model=price.model, embedding_usd=q * EMBEDDING_USD_PER_MTOK / 1e6,
                   vector_store_usd=ru * PINECONE_USD_PER_MILLION_READ_UNITS / 1e6,
                   llm_input_usd=llm_in * price.input_usd_per_mtok / 1e6,
                   llm_output_usd=out * price.output_usd_per_mtok / 1e6,
                   queries_per_day=per_day, as_of=str(price.as_of))
