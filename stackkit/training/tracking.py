"""Experiment tracking: a learning-rate × batch sweep of the tiny model, logged to trackio."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from numbers import Real

import pandas as pd

from .._declare import count, declared, name, optional, positive, seed, sequence
from .tiny import tiny_train


def _trackio(store_dir: str | None):
    """trackio imported with its local store at ``store_dir`` (it fixes the folder at import)."""
    from pathlib import Path
    if store_dir is not None:
        wanted = Path(store_dir).expanduser().resolve()
        if "trackio" in sys.modules:
            from trackio import utils
            if Path(utils.TRACKIO_DIR).resolve() != wanted:
                raise ValueError(f"store_dir={str(store_dir)!r}: trackio was already imported "
                                 f"with its store at {utils.TRACKIO_DIR}; it reads TRACKIO_DIR "
                                 "once, so use that folder or restart the kernel")
        else:
            os.environ["TRACKIO_DIR"] = str(wanted)
    try:
        import trackio
    except ImportError as exc:  # pragma: no cover - trackio comes with the lab extra
        raise ImportError("the sweep logs to trackio: pip install 'stackkit[lab]'") from exc
    return trackio


@declared(learning_rates=sequence(of=positive(examples=(3e-3, 1e-2)), single=Real),
          batch_sizes=sequence(of=count(high=4096, examples=(32, 8)), single=Real),
          steps=count(high=10_000, examples=(2,)),
          project=name(examples=("stackkit-test",)), store_dir=optional(name()), seed=seed())
def sweep(learning_rates: tuple[float, ...] = (3e-3, 1e-2, 3e-2),
          batch_sizes: tuple[int, ...] = (32, 64), steps: int = 20,
          project: str = "stackkit-lesson05", store_dir: str | None = None, seed: int = 0):
    """Train :func:`tiny_train` for every (learning rate, batch size) and log it to trackio.

    Each run logs its config and its loss at every step to trackio's local
    SQLite store (no server; ``store_dir`` sets the folder, TRACKIO_DIR),
    then :func:`read_sweep` reads the whole project back. trackio was chosen
    over MLflow for this: MLflow 3's local file store refuses to start unless
    ``MLFLOW_ALLOW_FILE_STORE=true`` (it is in maintenance mode) and its
    SQLite store needs the full ``mlflow`` package; trackio keeps a local
    SQLite file by default. Returns the runs as a DataFrame (one row per step).
    """
    lrs, batches, n_steps = learning_rates, batch_sizes, steps
    trackio = _trackio(store_dir)
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        for lr in lrs:
            for b in batches:
                name = f"lr={lr:g} batch={b}"
                trackio.init(project=project, name=name, embed=False, resume="never",
                             config={"learning_rate": lr, "batch_size": b, "steps": n_steps,
                                     "seed": seed})
                try:
                    tiny_train(n_steps, b, lr, seed=seed,
                               callback=lambda step, loss: trackio.log({"loss": loss}, step=step))
                finally:
                    trackio.finish()
    return read_sweep(project, store_dir)


@declared(project=name(examples=("stackkit-test",)), store_dir=optional(name()))
def read_sweep(project: str = "stackkit-lesson05", store_dir: str | None = None):
    """Every run of ``project`` in trackio's local store, as a DataFrame.

    Columns: run, learning_rate, batch_size, step, loss (one row per logged step).
    """
    _trackio(store_dir)
    from trackio.sqlite_storage import SQLiteStorage
    rows = []
    for run in SQLiteStorage.get_runs(project):
        config = SQLiteStorage.get_run_config(project, run) or {}
        for entry in SQLiteStorage.get_logs(project, run):
            if "loss" in entry:
                rows.append({"run": run, "learning_rate": config.get("learning_rate"),
                             "batch_size": config.get("batch_size"), "step": entry["step"],
                             "loss": entry["loss"]})
    return pd.DataFrame(rows, columns=["run", "learning_rate", "batch_size", "step", "loss"])
