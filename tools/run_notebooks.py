"""Execute notebooks in place and normalize them, so re-running with no change leaves no diff.

    python tools/run_notebooks.py notebooks/*.ipynb

Normalizing removes what differs between runs but not in content: execution
timing metadata, saved widget state, the kernel's Python patch version, and how
stdout happened to be split into chunks. A cell marked ``# NBVAL_IGNORE_OUTPUT``
that measures this machine (a benchmark) keeps a note instead of its numbers:
they would differ on every run and would tell a reader nothing about theirs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

WIDGET_PLACEHOLDER = "(interactive widget: run this cell in Jupyter to use it)"
MEASURED_PLACEHOLDER = "(measured on the machine that runs this cell: run it to see yours)"
IGNORE_MARK = "# NBVAL_IGNORE_OUTPUT"
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.get("outputs", []))
            for output in cell.get("outputs", []):
                output.get("metadata", {}).pop("execution", None)
                data = output.get("data", {})
                # A widget view names a random model id whose state is not saved; left in,
                # it reads "Error displaying widget" to someone who opens the file.
                if "application/vnd.jupyter.widget-view+json" in data:
                    output["data"] = {"text/plain": WIDGET_PLACEHOLDER}
            if cell.source.lstrip().startswith(IGNORE_MARK) and not _is_widget(cell):
                cell.outputs = [nbformat.v4.new_output(
                    "display_data", data={"text/plain": MEASURED_PLACEHOLDER})]
    return nb


def _is_widget(cell: nbformat.NotebookNode) -> bool:
    return all(o.get("data", {}).get("text/plain") == WIDGET_PLACEHOLDER
               for o in cell.outputs) and bool(cell.outputs)


def _merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) chunks into one output, as a reader sees them."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    return merged


def run(path: Path, timeout_s: int = 300) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout_s, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}},
                   record_timing=False).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(normalize(nb), path)
    return elapsed


def main(paths: list[str]) -> int:
    for name in paths:
        elapsed = run(Path(name))
        print(f"{name}: executed in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
