"""Apache Spark: add an article column to a DataFrame of HTML pages.

    from boilerplate.integrations.spark import with_article
    articles = with_article(pages_df, html_col="html", out_col="article")

The work runs in a pandas UDF over Arrow batches; each Python worker loads the
model once (``load_model`` is cached per process) and reuses it for every
batch. A page that fails gets a null article, never a failed job.
"""

from collections.abc import Iterator
from typing import Any

import pandas as pd

__all__ = ["article_udf", "with_article"]


def _extract_series(batches: Iterator[pd.Series], engine: str,
                    threshold: float | None) -> Iterator[pd.Series]:
    """Map pandas Series of HTML to Series of article text (None on failure)."""
    from ..api import declutter
    from ..errors import BoilerplateError

    for batch in batches:
        out = []
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
    @pandas_udf("string")  # type: ignore[misc]
    def article(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        yield from _extract_series(batches, engine, threshold)

    return article


def with_article(df: Any, *, html_col: str = "html", out_col: str = "article",
                 engine: str = "model", threshold: float | None = None) -> Any:
    """Return ``df`` with ``out_col`` holding the article body of ``html_col``."""
    return df.withColumn(out_col, article_udf(engine=engine, threshold=threshold)(df[html_col]))
