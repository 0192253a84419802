"""Lesson 4 figures: the pipeline, DuckDB vs pandas, ANN vs exact search, embeddings/s,
widget updates and 04_data.ipynb's run time."""

from __future__ import annotations

import tempfile
import time

from _common import Figure, median_ms, notebook_seconds, widget_update_ms


def _seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run() -> list[Figure]:
    import duckdb
    import numpy as np
    import pandas as pd

    from stackkit import pipeline, vectors, widgets

    corpus = pipeline.make_corpus(2000, seed=0)  # the lesson corpus: 2.2 MB
    pipeline.lesson_tokenizer()  # trained once per process; not part of a run
    with tempfile.TemporaryDirectory() as folder:
        cpu_start = time.process_time()
        pipeline_s = _seconds(lambda: pipeline.run_pipeline(corpus["text"], folder + "/run"))
        pipeline_cpu_s = time.process_time() - cpu_start  # this process's CPU; wall on a
        # shared machine includes waiting for a core

    # The same dedup + aggregation in pandas and in DuckDB, on one frame, in one run.
    rng = np.random.default_rng(0)
    n = 2_000_000
    frame = pd.DataFrame({"doc_id": np.arange(n), "content_hash": rng.integers(0, n // 2, n),
                          "n_tokens": rng.integers(50, 2000, n)})

    def with_pandas() -> object:
        keep = frame.loc[frame.groupby("content_hash")["doc_id"].idxmin()]
        return keep.assign(shard=keep["doc_id"] % 4).groupby("shard")["n_tokens"].sum()

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("frame_view", frame)
    con.execute("CREATE TABLE frame AS SELECT * FROM frame_view")  # loaded once, like pandas

    def with_duckdb() -> object:
        return con.execute(
            "SELECT doc_id % 4 AS shard, SUM(n_tokens) FROM (SELECT MIN(doc_id) AS doc_id, "
            "arg_min(n_tokens, doc_id) AS n_tokens FROM frame GROUP BY content_hash) "
            "GROUP BY shard").fetchall()

    pandas_ms = median_ms(with_pandas, repeats=3, warmup=1)
    duck_ms = median_ms(with_duckdb, repeats=3, warmup=1)

    # ANN vs exact on 100k x 384, same run.
    base = vectors.make_vectors(100_000, seed=0)
    queries = vectors.make_vectors(1000, seed=1)
    exact_s, (_, truth) = vectors.benchmark._timed(vectors.exact_search, base, queries, 10,
                                                   repeat=2)
    index = vectors.build_index(base, "ivfflat", nlist=1024)
    for nprobe in (2, 4, 8, 16, 32):  # the smallest nprobe with recall@10 >= 0.95
        ivf = vectors.benchmark_index(base, queries, "ivfflat", truth=truth, exact_s=exact_s,
                                      index=index, nlist=1024, nprobe=nprobe)
        if ivf.recall_at_10 >= 0.95:
            break

    sentences = [f"Sentence {i}: storage systems keep thousands of GPUs fed with data."
                 for i in range(256)]
    vectors.embed(sentences[:8])  # load the model once
    embed_per_s = len(sentences) / _seconds(lambda: vectors.embed(sentences))

    storage = widgets.explore_storage()
    storage_ms = widget_update_ms(storage, "n_gpus", [512, 1024, 2048, 4096, 8192])
    index_tool = widgets.explore_vector_index()
    index_ms = widget_update_ms(index_tool, "search_value", [1, 4, 16, 64, 256])
    rag = widgets.explore_rag_cost()
    rag_ms = widget_update_ms(rag, "k", [1, 3, 5, 10, 20])
    return [
        Figure("run_pipeline, 2,000 docs on DuckDB", pipeline_s, "s", 5),
        Figure("run_pipeline, same run, CPU time", pipeline_cpu_s, "s", 5),
        Figure("dedup + aggregate, 2M rows: pandas / DuckDB", pandas_ms / duck_ms, "x"),
        Figure(f"IVF-Flat recall@10 (100k x 384, {ivf.params})", ivf.recall_at_10, ""),
        Figure("IVF-Flat QPS / exact numpy QPS", ivf.speedup, "x"),
        Figure("exact numpy search, 100k x 384", ivf.exact_queries_per_s, "q/s"),
        Figure("MiniLM embeddings per second", embed_per_s, "/s"),
        Figure("explore_storage update", storage_ms, "ms", 100),
        Figure("explore_vector_index update", index_ms, "ms", 100),
        Figure("explore_rag_cost update", rag_ms, "ms", 100),
        Figure("04_data.ipynb executes", notebook_seconds("04_data.ipynb"), "s", 15),
    ]
