"""The optional compiled speed-ups: which are importable, and the switch that turns them off.

Each compiled extension (setup.py) does what Python code next to it does,
which stays the specification and the fallback. ``load`` gives the extension
module, or None when it is not built, when it was built against another
lxml (Cython's check of lxml's types at import), or when the environment
variable DECLUTTER_PURE_PYTHON is set to anything non-empty (read once, at
import).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

#: True when DECLUTTER_PURE_PYTHON asks for the Python code everywhere.
PURE_PYTHON = bool(os.environ.get("DECLUTTER_PURE_PYTHON"))


def load(name: str) -> Any:
    """``boilerplate.<name>`` if it is built and allowed, else None."""
    if PURE_PYTHON:
        return None
    try:
        return importlib.import_module(f"boilerplate.{name}")
    # ImportError: not built. ValueError: Cython's "lxml.etree._Element size
    # changed" when lxml was upgraded to another binary layout after the build.
    except (ImportError, ValueError):
        return None
