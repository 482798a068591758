"""One Spark session for the engine tests of a test process, started only when first needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from steward.store.dialect_spark import SparkSql, spark_session


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSql]:
    session = spark_session(master="local[2]", driver_memory="1g")
    # Tiny inline tables: a handful of shuffle partitions keeps each query quick.
    session.conf.set("spark.sql.shuffle.partitions", "1")
    yield SparkSql(session)
    session.stop()
