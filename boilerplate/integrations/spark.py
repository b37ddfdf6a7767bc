"""Apache Spark: add an article column to a DataFrame of HTML pages; read WARC files into one.

    from boilerplate.integrations.spark import pages_from_warcs, with_article
    pages = pages_from_warcs(spark, ["/data/crawl/part-00000.warc.gz", ...])
    articles = with_article(pages, html_col="html", out_col="article")

The work runs in a pandas UDF over Arrow batches; each Python worker loads the
model once (``load_model`` is cached per process) and reuses it for every
batch. A page that fails gets a null article, never a failed job.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

__all__ = ["PAGE_SCHEMA", "article_udf", "pages_from_warcs", "with_article"]

#: The columns of ``pages_from_warcs``: one row per HTML response record
#: (source is ``FILE#record-id``), or per unreadable file (``error`` set, no html).
PAGE_SCHEMA = "source string, url string, html binary, error string"


def _extract_series(batches: Iterator[pd.Series], engine: str,
                    threshold: float | None) -> Iterator[pd.Series]:
    """Map pandas Series of HTML to Series of article text (None on failure)."""
    from ..api import declutter
    from ..errors import BoilerplateError

    for batch in batches:
        out: list[str | None] = []
        for html in batch:
            if html is None:
                out.append(None)
                continue
            try:
                out.append(declutter(html, kind="html", engine=engine, threshold=threshold).text)
            except (BoilerplateError, TypeError):
                out.append(None)
        yield pd.Series(out, dtype="object")


def article_udf(*, engine: str = "model", threshold: float | None = None) -> Any:
    """A pandas UDF: column of HTML (string or binary) -> column of article text."""
    from pyspark.sql.functions import pandas_udf

    # Spark reads the iterator-of-Series type hints to pick the UDF kind.
    @pandas_udf("string")  # type: ignore[untyped-decorator]
    def article(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        yield from _extract_series(batches, engine, threshold)

    return article


def with_article(df: Any, *, html_col: str = "html", out_col: str = "article",
                 engine: str = "model", threshold: float | None = None) -> Any:
    """Return ``df`` with ``out_col`` holding the article body of ``html_col``."""
    return df.withColumn(out_col, article_udf(engine=engine, threshold=threshold)(df[html_col]))


def _warc_rows(path: str) -> Iterator[tuple[str, str | None, bytes | None, str | None]]:
    """The pages of one WARC file, read on an executor (streamed, record by record)."""
    from ..readers import read_inputs

    for page in read_inputs([path]):
        data = page.data.encode("utf-8") if isinstance(page.data, str) else page.data
        yield page.source, page.url, data, page.error


def pages_from_warcs(spark: Any, paths: Sequence[str], *, partitions: int | None = None) -> Any:
    """A DataFrame of the HTML response records of WARC files (``PAGE_SCHEMA``).

    Each file is read by one task, on the executor, with declutter's own
    streaming WARC reader (gzip members, chunked and compressed bodies); the
    paths must be readable from every executor (a shared or distributed file
    system mounted on each node). Non-HTML records are skipped; a damaged file
    gives a row with its ``error``, after the pages read before the damage.

    Args:
        spark: the SparkSession.
        paths: WARC files (``.warc`` or ``.warc.gz``).
        partitions: tasks to spread the files over (default: one per file).
    """
    paths = list(paths)
    rdd = spark.sparkContext.parallelize(paths, partitions or max(1, len(paths)))
    return spark.createDataFrame(rdd.flatMap(_warc_rows), PAGE_SCHEMA)
