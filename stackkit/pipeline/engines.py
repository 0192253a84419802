"""The two engines that run the same SQL: DuckDB (embedded) and Spark (local mode)."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pandas as pd

from .sql import SqlStage

ENGINES = ("duckdb", "spark")


class _DuckEngine:
    name = "duckdb"

    def __init__(self) -> None:
        import duckdb

        self.version = duckdb.__version__
        self.con = duckdb.connect()
        self.con.execute("SET threads TO 2")

    def load_parquet(self, table: str, path: Path) -> None:
        quoted = str(path).replace("'", "''")
        self.con.execute(f"CREATE OR REPLACE VIEW {table} AS "
                         f"SELECT * FROM read_parquet('{quoted}')")

    def load_frame(self, table: str, frame: pd.DataFrame) -> None:
        self.con.register(f"_{table}_frame", frame)
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _{table}_frame")

    def run(self, stage: SqlStage) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {stage.writes} AS {stage.sql}")

    def count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def fetch(self, table: str) -> pd.DataFrame:
        return self.con.execute(f"SELECT * FROM {table} ORDER BY doc_id").df()

    def write(self, table: str, folder: Path) -> None:
        self.con.execute(f"COPY (SELECT * FROM {table} ORDER BY doc_id) TO '{folder}' "
                         "(FORMAT PARQUET, PARTITION_BY (shard))")

    def close(self) -> None:
        self.con.close()


class _SparkEngine:
    name = "spark"

    def __init__(self) -> None:
        self.spark = spark_session()
        self.version = self.spark.version

    def load_parquet(self, table: str, path: Path) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(table)

    def load_frame(self, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:  # Spark cannot infer a schema from no rows
            schema = ", ".join(f"{c} BIGINT" for c in frame.columns)
            self.spark.createDataFrame([], schema).createOrReplaceTempView(table)
        else:
            records = [tuple(int(v) for v in row) for row in frame.itertuples(index=False)]
            self.spark.createDataFrame(records, list(frame.columns)).createOrReplaceTempView(table)

    def run(self, stage: SqlStage) -> None:
        frame = self.spark.sql(stage.to("spark"))
        frame.cache().createOrReplaceTempView(stage.writes)

    def count(self, table: str) -> int:
        return int(self.spark.table(table).count())

    def fetch(self, table: str) -> pd.DataFrame:
        rows = self.spark.table(table).orderBy("doc_id").collect()
        columns = self.spark.table(table).columns
        return pd.DataFrame([row.asDict() for row in rows], columns=columns)

    def write(self, table: str, folder: Path) -> None:
        (self.spark.table(table).orderBy("doc_id").coalesce(1).write
         .partitionBy("shard").parquet(str(folder)))

    def close(self) -> None:  # the session is shared for the process (starting one takes ~10 s)
        for name in ("docs", "filtered", "exact_deduped", "tokens", "near_duplicates", "output"):
            self.spark.catalog.dropTempView(name)


@functools.cache
def spark_session():
    """One local Spark session for the process: 1 core, small shuffles, no UI."""
    java = shutil.which("java") or os.environ.get("JAVA_HOME")
    if not java:
        raise RuntimeError("engine='spark' needs Java 17 or later (Debian: apt-get install "
                           "default-jre-headless) and the spark extra (pip install "
                           "'stackkit[spark]')")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("stackkit-lesson4")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.driver.memory", "1g")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark
