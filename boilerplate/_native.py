"""The optional C speed-ups: which are importable, and the switch that turns them off.

Each C extension (setup.py) is a twin of Python code that stays the reference
and the fallback. ``load`` gives the extension module, or None when it is not
built or when the environment variable DECLUTTER_PURE_PYTHON is set to
anything non-empty (read once, at import).
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
    except ImportError:  # depends on the install
        return None
