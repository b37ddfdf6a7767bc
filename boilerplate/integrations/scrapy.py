"""Scrapy: fill an item's article text from its HTML, or from the response it was scraped from.

Enable it in the project settings::

    ITEM_PIPELINES = {"boilerplate.integrations.scrapy.DeclutterPipeline": 300}
    DECLUTTER_HTML_FIELD = "html"        # item field holding the page (str or bytes)
    DECLUTTER_URL_FIELD = "url"          # item field holding the URL (optional)
    DECLUTTER_TEXT_FIELD = "article"     # where the article body goes
    DECLUTTER_ERROR_FIELD = "declutter_error"  # where a failure is recorded
    DECLUTTER_ENGINE = "model"           # or "trafilatura"
    DECLUTTER_THRESHOLD = None           # the model's own threshold
    DECLUTTER_MODEL = None               # a model file you trained; default: shipped

Items without the HTML field pass through the pipeline unchanged. For items
that carry no HTML of their own, add the spider middleware too: it fills the
article of each item a callback yields from the body of the response the
callback parsed (same settings), so the HTML never has to travel in the item::

    SPIDER_MIDDLEWARES = {"boilerplate.integrations.scrapy.DeclutterSpiderMiddleware": 800}

A page that cannot be processed gets an empty article and the error message
in the error field, so one bad page never stops a crawl. The model loads once
per process, on the first page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from itemadapter import ItemAdapter, is_item

from ..api import declutter
from ..errors import BoilerplateError

__all__ = ["DeclutterPipeline", "DeclutterSpiderMiddleware"]


class DeclutterPipeline:
    """Scrapy item pipeline: ``item[text_field] = declutter(item[html_field]).text``."""

    def __init__(self, *, html_field: str = "html", url_field: str = "url",
                 text_field: str = "article", error_field: str = "declutter_error",
                 engine: str = "model", threshold: float | None = None,
                 model: str | None = None) -> None:
        self.html_field = html_field
        self.url_field = url_field
        self.text_field = text_field
        self.error_field = error_field
        self.engine = engine
        self.threshold = threshold
        self.model = model

    @classmethod
    def from_crawler(cls, crawler: Any) -> DeclutterPipeline:
        """Build the pipeline from the crawler's DECLUTTER_* settings."""
        s = crawler.settings
        threshold = s.get("DECLUTTER_THRESHOLD")
        return cls(
            html_field=s.get("DECLUTTER_HTML_FIELD", "html"),
            url_field=s.get("DECLUTTER_URL_FIELD", "url"),
            text_field=s.get("DECLUTTER_TEXT_FIELD", "article"),
            error_field=s.get("DECLUTTER_ERROR_FIELD", "declutter_error"),
            engine=s.get("DECLUTTER_ENGINE", "model"),
            threshold=float(threshold) if threshold is not None else None,
            model=s.get("DECLUTTER_MODEL"),
        )

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """Fill the article field; record an error instead of raising on a bad page."""
        adapter = ItemAdapter(item)
        html = adapter.get(self.html_field)
        if html is None:
            return item
        self.fill(adapter, html, adapter.get(self.url_field))
        return item

    def fill(self, adapter: ItemAdapter, html: str | bytes, url: str | None) -> None:
        """Set the article (or the error) of one item from a page."""
        try:
            result = declutter(html, url=url, kind="html", engine=self.engine,
                               threshold=self.threshold, model=self.model)
        except (BoilerplateError, TypeError) as exc:
            adapter[self.text_field] = ""
            adapter[self.error_field] = str(exc)
            return
        adapter[self.text_field] = result.text


class DeclutterSpiderMiddleware:
    """Scrapy spider middleware: the article of items without HTML, from the response body.

    Items that already have an article, or their own HTML (left to the
    pipeline), are passed on untouched; so are requests.
    """

    def __init__(self, pipeline: DeclutterPipeline) -> None:
        self.pipeline = pipeline

    @classmethod
    def from_crawler(cls, crawler: Any) -> DeclutterSpiderMiddleware:
        """Build the middleware from the crawler's DECLUTTER_* settings."""
        return cls(DeclutterPipeline.from_crawler(crawler))

    def process_spider_output(self, response: Any, result: Iterable[Any],
                              spider: Any = None) -> Iterator[Any]:
        """Fill the items a callback yields (synchronous callbacks)."""
        for obj in result:
            yield self._filled(response, obj)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        """Fill the items a callback yields (asynchronous callbacks)."""
        async for obj in result:
            yield self._filled(response, obj)

    def _filled(self, response: Any, obj: Any) -> Any:
        if not is_item(obj):
            return obj
        adapter = ItemAdapter(obj)
        p = self.pipeline
        if adapter.get(p.html_field) is not None or adapter.get(p.text_field) is not None:
            return obj
        if not isinstance(obj, dict) and p.text_field not in adapter.field_names():
            return obj  # an item class that declares no article field
        p.fill(adapter, response.body, response.url)
        return obj
