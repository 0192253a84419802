"""Lineage: OpenLineage events (START, then COMPLETE or FAIL) with content hashes, the
state a rerun compares against, and which inputs changed since the last run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from .._declare import declared
from .ingest import _file_hash
from .output import _EXISTING_DIR, read_output

NAMESPACE = "stackkit"
JOB_NAME = "lesson4.dedup_pipeline"


def _code_version() -> str:
    """The kit's version and a hash of the pipeline's source: a code change reruns a run."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        kit = version("stackkit")
    except PackageNotFoundError:  # a checkout that was never installed
        kit = "unknown"
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):  # every stage of the package
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # "pipeline.py" is the label lesson 4 prints (it was one file); the hash covers the package
    return f"stackkit {kit} pipeline.py sha256:{digest.hexdigest()[:16]}"


def _folder_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.parquet")):
        digest.update(str(path.relative_to(folder).parent).encode())
        digest.update(_file_hash(path).encode())
    return digest.hexdigest()


def _output_content_hash(folder: Path) -> str:
    """A hash of the output rows (not the bytes: engines write different Parquet files)."""
    frame = read_output.unchecked(folder)
    digest = hashlib.sha256()
    for row in frame.itertuples(index=False):
        digest.update(f"{row.doc_id}\t{row.content_hash}\t{row.n_tokens}\t{row.shard}\n".encode())
    return digest.hexdigest()


def _emit(log: Path, state: str, run_id: str, inputs: list[dict], outputs: list[dict],
          params: dict, engine: str, engine_version: str, error: str | None = None) -> dict:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent
    from openlineage.client.event_v2 import RunState as State
    from openlineage.client.facet_v2 import (
        dataset_version_dataset,
        error_message_run,
        execution_parameters_run,
        processing_engine_run,
    )
    from openlineage.client.transport.file import FileConfig, FileTransport

    def version(d: dict) -> dict:
        return {"version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=d["hash"])}

    run_facets = {
        "parameters": execution_parameters_run.ExecutionParametersRunFacet(parameters=[
            execution_parameters_run.ExecutionParameter(key=k, value=str(v))
            for k, v in params.items()]),
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=engine_version, name=engine),
    }
    if error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="python")
    event = RunEvent(
        eventType=getattr(State, state),
        eventTime=dt.datetime.now(dt.UTC).isoformat(),
        run=Run(runId=run_id, facets=run_facets),
        job=Job(namespace=NAMESPACE, name=JOB_NAME),
        producer="https://github.com/stackkit/stackkit",
        inputs=[InputDataset(namespace=NAMESPACE, name=d["name"], facets=version(d))
                for d in inputs],
        outputs=[OutputDataset(namespace=NAMESPACE, name=d["name"], facets=version(d))
                 for d in outputs],
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log),
                                                                  append=True)))
    client.emit(event)
    from openlineage.client.serde import Serde

    return json.loads(Serde.to_json(event))


@declared(out_dir=_EXISTING_DIR)
def read_lineage(out_dir: str | Path) -> list[dict]:
    """Every OpenLineage event the runs into ``out_dir`` emitted, oldest first."""
    log = out_dir / "_lineage" / "openlineage.jsonl"
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


@declared(out_dir=_EXISTING_DIR)
def stale_inputs(out_dir: str | Path) -> list[str]:
    """Input files whose content changed since the last completed run into ``out_dir``."""
    state = _load_state(out_dir)
    if state is None:
        return []
    return [d["name"] for d in state["inputs"]
            if not d["name"].startswith("memory://")
            and (not Path(d["name"]).is_file() or _file_hash(Path(d["name"])) != d["hash"])]


def _load_state(out_dir: Path) -> dict | None:
    path = out_dir / "_lineage" / "state.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
