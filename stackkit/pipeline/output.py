"""Where a run writes: the output folder checked before a run, and its rows read back."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from .._declare import custom, declared


def _folder_path(name: str, value: object) -> Path:
    """``value`` as a Path that is not a file (a folder that exists or can be made)."""
    if not isinstance(value, (str, Path)) or not str(value):
        raise ValueError(f"{name} must be a folder path; got {value!r}")
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{name}={str(out)!r} is a file, not a folder; give a folder path")
    return out


def _writable(out: Path) -> Path:
    """``out`` made if needed and written to once (a probe file), else ValueError."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".probe-")
        probe.close()
    except OSError as exc:
        raise ValueError(f"out_dir={str(out)!r} cannot be made or written to "
                         f"({exc.strerror or exc}); give a folder you can write") from exc
    return out


def _existing_dir(name: str, value: object) -> Path:
    """``value`` as a Path to a folder that exists (a run's output), else ValueError."""
    if not isinstance(value, (str, Path)) or not str(value):
        raise ValueError(f"{name} must be a folder path; got {value!r}")
    out = Path(value)
    if not out.is_dir():
        raise ValueError(f"{name}={str(out)!r} is not a folder: give the out_dir a "
                         "run_pipeline call wrote to")
    return out


def _output_folder(name: str, value: object) -> Path:
    """``value`` as a Path to a folder holding a run's Parquet output, else ValueError."""
    if not isinstance(value, (str, Path)) or not str(value):
        raise ValueError(f"{name} must be a folder path; got {value!r}")
    folder = Path(value)
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        raise ValueError(f"{name}: {str(folder)!r} holds no Parquet output of a pipeline run")
    return folder


def _temp_folders() -> list[Path]:
    """A folder that exists (the system's temporary folder), for generated calls."""
    return [Path(tempfile.gettempdir())]


def _example_outputs() -> list[Path]:
    """A folder holding one shard of output rows, as a run writes them (for generated calls)."""
    import duckdb

    folder = Path(tempfile.mkdtemp(prefix="stackkit-output-"))
    (folder / "shard=0").mkdir()
    with duckdb.connect() as con:
        con.execute("COPY (SELECT 0::BIGINT AS doc_id, 'text' AS text, 'hash' AS content_hash, "
                    f"1::BIGINT AS n_tokens) TO '{folder / 'shard=0' / 'part.parquet'}' "
                    "(FORMAT PARQUET)")
    return [folder]


#: The declarations of the folders the pipeline's functions take.
_OUT_DIR = custom(_folder_path, examples=_temp_folders, bad=(None, 3, ""), kind="folder")
_EXISTING_DIR = custom(_existing_dir, examples=_temp_folders,
                      bad=(None, 3, "", "/no/such/stackkit/folder"), kind="folder")


@declared(path=custom(_output_folder, examples=_example_outputs,
                      bad=(None, 3, "", "/no/such/stackkit/folder"), kind="folder"))
def read_output(path: str | Path) -> pd.DataFrame:
    """The rows a run wrote (``PipelineResult.output_path``), sorted by ``doc_id``."""
    import duckdb

    folder = path
    with duckdb.connect() as con:
        return con.execute(
            "SELECT doc_id, text, content_hash, n_tokens, CAST(shard AS INT) AS shard "
            "FROM read_parquet(?, hive_partitioning = true) ORDER BY doc_id",
            [str(folder / "**" / "*.parquet")]).df()
