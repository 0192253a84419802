"""Hostile input to lesson 4's data layer and pipeline (issue 21)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stackkit import _checks, data, pipeline


def test_a_huge_bpe_vocabulary_is_refused_before_the_rust_trainer_aborts_the_process():
    """vocab_size=10**9 made tokenizers allocate 70 GB and abort the interpreter; run in a
    child process so an abort would fail this test rather than kill the suite."""
    code = ("from stackkit import data\n"
            "try:\n    data.train_bpe(['a'] * 3, vocab_size=10**9)\n"
            "except ValueError as e:\n    print('ValueError:', e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "vocab_size must be a whole number" in done.stdout
    assert "1,048,576" in done.stdout


def test_chars_per_token_names_a_tokenizer_that_is_not_one():
    with pytest.raises(ValueError, match=r"tokenizer must be a tokenizers.Tokenizer"):
        data.chars_per_token(["abc"], "gpt2")


def test_token_ids_past_four_billion_need_eight_bytes():
    assert data.token_id_bytes(2**16) == 2
    assert data.token_id_bytes(2**32) == 4
    assert data.token_id_bytes(2**32 + 1) == 8
    assert data.dataset_storage(15e12, vocab_size=2**32 + 1).token_bytes == 15e12 * 8


def test_run_pipeline_names_a_bad_out_dir(tmp_path):
    with pytest.raises(ValueError, match=r"out_dir='/proc/nope' cannot be made"):
        pipeline.run_pipeline(["x"], "/proc/nope")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ValueError, match=r"is a file, not a folder"):
        pipeline.run_pipeline(["x"], a_file)


def test_a_run_whose_every_document_is_filtered_says_so(tmp_path):
    with pytest.raises(ValueError, match=r"documents: all 1 documents failed the quality "
                                         r"filters"):
        pipeline.run_pipeline(["short doc"], tmp_path / "out")


def test_lineage_of_a_folder_that_does_not_exist_is_an_error_not_an_empty_history():
    for call in (pipeline.read_lineage, pipeline.stale_inputs):
        with pytest.raises(ValueError, match=r"out_dir='/no/such' is not a folder"):
            call("/no/such")


def test_a_missing_extra_names_its_install_command():
    with pytest.raises(_checks.MissingExtra, match=r"pip install 'stackkit\[data\]'"):
        _checks.require("a_module_that_is_not_installed", "data", "this")
    assert issubclass(_checks.MissingExtra, ImportError)


@pytest.fixture
def without(monkeypatch):
    """Hide installed packages, as in a plain `pip install stackkit` without extras."""
    from stackkit import vectors

    def hide(*names):
        for name in names:
            monkeypatch.setitem(sys.modules, name, None)  # `import name` then fails
        vectors.index_sweep.cache_clear()
    yield hide
    vectors.index_sweep.cache_clear()


def test_functions_of_an_extra_name_it_when_it_is_missing(without, tmp_path):
    from stackkit import vectors

    without("faiss", "tokenizers", "duckdb")
    calls = [lambda: vectors.build_index(vectors.make_vectors(50, 8), "flat"),
             lambda: data.train_bpe(["some text"] * 3, vocab_size=300),
             lambda: pipeline.run_pipeline(["x"], tmp_path / "out")]
    for call in calls:
        with pytest.raises(_checks.MissingExtra, match=r"pip install 'stackkit\[data\]'"):
            call()


def test_a_widget_shows_the_install_command_for_a_missing_extra(without):
    from stackkit import widgets

    without("faiss")
    shown = widgets.explore_vector_index().result.value
    assert "Install an optional part of the kit" in shown
    assert "pip install &#x27;stackkit[data]&#x27;" in shown
