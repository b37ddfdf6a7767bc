"""A Scrapy item pipeline that fills an item's article text from its HTML.

Enable it in the project settings::

    ITEM_PIPELINES = {"boilerplate.integrations.scrapy.DeclutterPipeline": 300}
    DECLUTTER_HTML_FIELD = "html"        # item field holding the page (str or bytes)
    DECLUTTER_URL_FIELD = "url"          # item field holding the URL (optional)
    DECLUTTER_TEXT_FIELD = "article"     # where the article body goes
    DECLUTTER_ERROR_FIELD = "declutter_error"  # where a failure is recorded
    DECLUTTER_ENGINE = "model"           # or "trafilatura"
    DECLUTTER_THRESHOLD = None           # the model's own threshold
    DECLUTTER_MODEL = None               # a model file you trained; default: shipped

Items without the HTML field pass through unchanged; a page that cannot be
processed gets an empty article and the error message in the error field, so
one bad page never stops a crawl.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from ..api import declutter
from ..errors import BoilerplateError

__all__ = ["DeclutterPipeline"]


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
        try:
            result = declutter(html, url=adapter.get(self.url_field), kind="html",
                               engine=self.engine, threshold=self.threshold, model=self.model)
        except (BoilerplateError, TypeError) as exc:
            adapter[self.text_field] = ""
            adapter[self.error_field] = str(exc)
            return item
        adapter[self.text_field] = result.text
        return item
