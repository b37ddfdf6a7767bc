"""Scrapy pipeline and Spark column: the optional extras (installed by .ci/run)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PAGE = (FIXTURES / "pages" / "wire_service.html").read_bytes()


def _body() -> str:
    import boilerplate

    return boilerplate.declutter(PAGE).text


def test_scrapy_pipeline_fills_the_article_from_settings():
    pytest.importorskip("scrapy")
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from boilerplate.integrations.scrapy import DeclutterPipeline

    crawler = get_crawler(Spider, {"DECLUTTER_HTML_FIELD": "body", "DECLUTTER_TEXT_FIELD": "story"})
    pipeline = DeclutterPipeline.from_crawler(crawler)
    item = pipeline.process_item({"body": PAGE, "url": "https://example.com/a"}, crawler.spider)
    assert item["story"] == _body() and item["story"]
    assert "declutter_error" not in item


def test_scrapy_pipeline_records_a_bad_page_and_passes_items_without_html():
    pytest.importorskip("scrapy")
    from boilerplate.integrations.scrapy import DeclutterPipeline

    pipeline = DeclutterPipeline()
    bad = pipeline.process_item({"html": b"\x89PNG\r\n\x1a\n...."})
    assert bad["article"] == "" and "PNG" in bad["declutter_error"]
    untouched = {"title": "no html here"}
    assert pipeline.process_item(dict(untouched)) == untouched


def test_scrapy_pipeline_works_on_scrapy_items():
    scrapy = pytest.importorskip("scrapy")
    from boilerplate.integrations.scrapy import DeclutterPipeline

    class Page(scrapy.Item):
        html = scrapy.Field()
        article = scrapy.Field()
        declutter_error = scrapy.Field()

    item = DeclutterPipeline().process_item(Page(html=PAGE.decode("utf-8")))
    assert item["article"] == _body()


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    pytest.importorskip("pyarrow")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("declutter-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    yield session
    session.stop()


def test_spark_adds_an_article_column_in_local_mode(spark):
    from boilerplate.integrations.spark import with_article

    rows = [(1, PAGE.decode("utf-8")), (2, None), (3, "   ")]
    df = spark.createDataFrame(rows, "id int, html string")
    out = {r["id"]: r["article"] for r in with_article(df).collect()}
    assert out[1] == _body()
    assert out[2] is None and out[3] is None
