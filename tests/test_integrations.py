"""Scrapy pipeline and Spark column: the optional extras (installed by .ci/run)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
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


def test_scrapy_pipeline_enabled_in_settings_runs_in_the_pipeline_manager():
    pytest.importorskip("scrapy")
    import asyncio

    from scrapy import Spider
    from scrapy.pipelines import ItemPipelineManager
    from scrapy.utils.test import get_crawler

    settings = {"ITEM_PIPELINES": {"boilerplate.integrations.scrapy.DeclutterPipeline": 300},
                "DECLUTTER_TEXT_FIELD": "story", "DECLUTTER_URL_FIELD": "link"}
    manager = ItemPipelineManager.from_crawler(get_crawler(Spider, settings))
    item = asyncio.run(manager.process_item_async({"html": PAGE, "link": "https://x.example/a"}))
    assert item["story"] == _body()


def test_scrapy_spider_middleware_fills_items_from_the_response_body():
    scrapy = pytest.importorskip("scrapy")
    import asyncio

    from scrapy import Request, Spider
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from boilerplate.integrations.scrapy import DeclutterSpiderMiddleware

    class Declared(scrapy.Item):
        title = scrapy.Field()
        article = scrapy.Field()
        declutter_error = scrapy.Field()

    class NoArticle(scrapy.Item):
        title = scrapy.Field()

    crawler = get_crawler(Spider, {"DECLUTTER_TEXT_FIELD": "article"})
    middleware = DeclutterSpiderMiddleware.from_crawler(crawler)
    response = HtmlResponse("https://news.example/copper", body=PAGE)
    request = Request("https://news.example/next")
    own_html = {"html": "<p>left to the pipeline</p>"}
    output = [{"title": "a"}, Declared(title="b"), NoArticle(title="c"), request, own_html,
              {"article": "already there"}]
    out = list(middleware.process_spider_output(response, iter(output)))
    assert out[0]["article"] == _body() and out[1]["article"] == _body()
    assert "article" not in out[2] and out[3] is request
    assert out[4] == {"html": "<p>left to the pipeline</p>"}
    assert out[5] == {"article": "already there"}

    async def agen():
        yield {"title": "d"}

    async def collect():
        return [x async for x in middleware.process_spider_output_async(response, agen())]

    assert asyncio.run(collect())[0]["article"] == _body()
    bad = HtmlResponse("https://news.example/img", body=b"\x89PNG\r\n\x1a\n....")
    item = next(middleware.process_spider_output(bad, iter([{}])))
    assert item["article"] == "" and "PNG" in item["declutter_error"]


SPIDER = """
import base64
import scrapy

PAGE = base64.b64decode({page!r})


class Pages(scrapy.Spider):
    name = "pages"
    custom_settings = {{
        "ITEM_PIPELINES": {{"boilerplate.integrations.scrapy.DeclutterPipeline": 300}},
        "SPIDER_MIDDLEWARES": {{"boilerplate.integrations.scrapy.DeclutterSpiderMiddleware": 800}},
        "URLLENGTH_LIMIT": 0,
    }}

    async def start(self):
        url = "data:text/html;base64," + base64.b64encode(PAGE).decode()
        yield scrapy.Request(url, callback=self.with_html)
        yield scrapy.Request(url + "#2", callback=self.without_html, dont_filter=True)

    def start_requests(self):  # Scrapy before 2.13
        url = "data:text/html;base64," + base64.b64encode(PAGE).decode()
        yield scrapy.Request(url, callback=self.with_html)
        yield scrapy.Request(url + "#2", callback=self.without_html, dont_filter=True)

    def with_html(self, response):
        yield {{"kind": "with html", "html": response.text}}

    def without_html(self, response):
        yield {{"kind": "from the response"}}
"""


def test_scrapy_crawl_fills_articles_end_to_end(tmp_path):
    """A real crawl (scrapy runspider) of data: URLs: no network."""
    pytest.importorskip("scrapy")
    import base64
    import json
    import subprocess
    import sys

    spider = tmp_path / "spider.py"
    spider.write_text(SPIDER.format(page=base64.b64encode(PAGE).decode()))
    out = tmp_path / "items.jsonl"
    proc = subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(spider), "-o",
                           f"{out}:jsonl", "-s", "LOG_LEVEL=ERROR"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = {i["kind"]: i for i in map(json.loads, out.read_text().splitlines())}
    assert items["with html"]["article"] == items["from the response"]["article"] == _body()


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


def test_spark_reads_warc_files_and_adds_articles(spark, tmp_path):
    """The README's cluster recipe, in local mode: WARC files -> pages -> articles."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from boilerplate.integrations.spark import pages_from_warcs, with_article

    warc = tmp_path / "crawl.warc.gz"
    with open(warc, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, content_type, payload in [("https://news.example/a", "text/html", PAGE),
                                           ("https://news.example/logo.png", "image/png", b"\x89PNG")]:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                                          http_headers=headers))
    missing = str(tmp_path / "missing.warc.gz")
    pages = pages_from_warcs(spark, [str(warc), missing])
    rows = with_article(pages).drop("html").collect()
    assert [(r["url"], r["error"]) for r in rows] == [("https://news.example/a", None),
                                                     (None, "no such file")]
    assert rows[0]["source"].startswith(f"{warc}#urn:uuid:")
    assert rows[0]["article"] == _body() and rows[1]["article"] is None
