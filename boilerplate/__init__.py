"""declutter: the article body of a news page, without the noise around it.

    >>> import boilerplate
    >>> result = boilerplate.declutter(html, url=url)
    >>> result.text            # the article body, one paragraph per line
    >>> result.lines           # every line with its label, probability and reason
"""

from __future__ import annotations

from .api import declutter, declutter_lines
from .batch import PageRecord, declutter_many
from .document import Document, Extraction, Label, Line, LineResult
from .errors import (
    BoilerplateError,
    EmptyInputError,
    EncodingError,
    EngineError,
    InputError,
    InputTooLargeError,
    ModelError,
)
from .model import Model, load_model
from .segment import from_html, from_text

__version__ = "0.1.0"

__all__ = [
    "BoilerplateError",
    "Document",
    "EmptyInputError",
    "EncodingError",
    "EngineError",
    "Extraction",
    "InputError",
    "InputTooLargeError",
    "Label",
    "Line",
    "LineResult",
    "Model",
    "ModelError",
    "PageRecord",
    "__version__",
    "declutter",
    "declutter_lines",
    "declutter_many",
    "from_html",
    "from_text",
    "load_model",
]
