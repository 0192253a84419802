"""Ingest: the documents a run reads (strings, a DataFrame, or a JSONL/Parquet file),
and the content hashes its lineage records for them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd


def _read_documents(documents) -> tuple[list[str], list[dict]]:
    """The texts, and the input datasets (for lineage) they came from."""
    if isinstance(documents, (str, Path)):
        path = Path(documents)
        if not path.is_file():
            raise ValueError(f"documents: {str(path)!r} is not a readable file (give a JSONL or "
                             "Parquet file with a 'text' column, or a list of strings)")
        suffix = path.suffix.lower()
        if suffix not in {".jsonl", ".json", ".parquet"}:
            raise ValueError(f"documents: {path.name!r} must be .jsonl or .parquet; got "
                             f"{suffix or 'no suffix'!r}")
        import duckdb

        reader = "read_parquet" if suffix == ".parquet" else "read_json_auto"
        try:
            with duckdb.connect() as con:
                frame = con.execute(f"SELECT * FROM {reader}(?)", [str(path)]).df()
        except Exception as exc:  # a corrupt or non-JSON file
            raise ValueError(f"documents: could not read {path.name!r} as {suffix[1:]}: "
                             f"{str(exc).splitlines()[0]}") from None
        if "text" not in frame.columns:
            raise ValueError(f"documents: {path.name!r} has no 'text' column; its columns are "
                             f"{', '.join(map(str, frame.columns)) or 'none'}")
        texts = frame["text"].tolist()
        inputs = [{"name": str(path.resolve()), "hash": _file_hash(path)}]
    elif isinstance(documents, pd.DataFrame):
        if "text" not in documents.columns:
            raise ValueError("documents: the DataFrame has no 'text' column; its columns are "
                             f"{', '.join(map(str, documents.columns))}")
        texts = documents["text"].tolist()
        inputs = []
    elif isinstance(documents, Iterable):
        texts = list(documents)
        inputs = []
    else:
        raise ValueError("documents must be a list of strings, a DataFrame with a 'text' column "
                         f"or a path to a JSONL/Parquet file; got {type(documents).__name__}")
    if not texts:
        raise ValueError("documents is empty: the corpus has no rows")
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValueError(f"documents: row {bad} is not a string (got {texts[bad]!r}); every "
                         "'text' must be a string")
    if not inputs:
        digest = hashlib.sha256()
        for text in texts:
            digest.update(text.encode("utf-8"))
            digest.update(b"\0")
        inputs = [{"name": "memory://documents", "hash": digest.hexdigest()}]
    return texts, inputs


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
