"""Where a run writes: the output folder checked before a run, and its rows read back."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd


def _out_dir(out_dir: object) -> Path:
    """``out_dir`` as a Path to a folder that exists or can be made, else ValueError."""
    if not isinstance(out_dir, (str, Path)) or not str(out_dir):
        raise ValueError(f"out_dir must be a folder path; got {out_dir!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir={str(out)!r} is a file, not a folder; give a folder path")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".probe-")
        probe.close()
    except OSError as exc:
        raise ValueError(f"out_dir={str(out)!r} cannot be made or written to "
                         f"({exc.strerror or exc}); give a folder you can write") from exc
    return out


def _existing_dir(out_dir: object) -> Path:
    """``out_dir`` as a Path to a folder that exists (a run's output), else ValueError."""
    if not isinstance(out_dir, (str, Path)) or not str(out_dir):
        raise ValueError(f"out_dir must be a folder path; got {out_dir!r}")
    out = Path(out_dir)
    if not out.is_dir():
        raise ValueError(f"out_dir={str(out)!r} is not a folder: give the out_dir a "
                         "run_pipeline call wrote to")
    return out


def read_output(path: str | Path) -> pd.DataFrame:
    """The rows a run wrote (``PipelineResult.output_path``), sorted by ``doc_id``."""
    import duckdb

    folder = Path(path)
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        raise ValueError(f"path: {str(folder)!r} holds no Parquet output of a pipeline run")
    with duckdb.connect() as con:
        return con.execute(
            "SELECT doc_id, text, content_hash, n_tokens, CAST(shard AS INT) AS shard "
            "FROM read_parquet(?, hive_partitioning = true) ORDER BY doc_id",
            [str(folder / "**" / "*.parquet")]).df()
