"""declutter: the article body of a news page, without the noise around it.

    >>> import boilerplate
    >>> result = boilerplate.declutter(html, url=url)
    >>> result.text            # the article body, one paragraph per line
    >>> result.lines           # every line with its label, probability and reason
"""

from __future__ import annotations

from .api import declutter, declutter_lines
from .batch import declutter_many
from .document import Document, Extraction, Label, Line, LineResult
from .errors import (
    BoilerplateError,
    EmptyInputError,
    EncodingError,
    EngineError,
    InputError,
    InputTooLargeError,
    ModelError,
    OptionError,
)
from .model import Model, load_model
from .records import PageRecord
from .segment import from_html, from_text

__version__ = "0.1.0"


def speedups() -> dict[str, bool]:
    """Which optional compiled speed-ups this install runs.

    ``walk`` (the HTML walk, Cython over lxml's public C-API) and ``trees``
    (the model's trees, Cython) are built by setup.py where a C compiler is
    available; False means the Python code runs instead, with the same
    results, only slower. The environment variable DECLUTTER_PURE_PYTHON=1
    (read at import) turns them all off.
    """
    from . import trees, walk

    return {"trees": trees._ctrees is not None, "walk": walk._cwalk is not None}


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
    "OptionError",
    "PageRecord",
    "__version__",
    "declutter",
    "declutter_lines",
    "declutter_many",
    "from_html",
    "from_text",
    "load_model",
    "speedups",
]
