"""The options of one declutter run, checked once: the library, batch mode and the CLI share them."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .decode import DEFAULT_MAX_BYTES
from .errors import OptionError
from .sniff import KINDS

__all__ = ["Engine", "Options"]


class Engine(str, enum.Enum):
    """Selectable engines: our line classifier, or the trafilatura baseline."""

    MODEL = "model"
    TRAFILATURA = "trafilatura"


@dataclass(frozen=True, slots=True)
class Options:
    """What to run and how: checked and normalised on construction, then trusted everywhere.

    ``engine`` accepts an Engine or its value, ``model`` a path (kept as str,
    so the options pickle small for batch workers), ``threshold`` None (the
    model's own) or a number in [0, 1], ``max_bytes`` None (no limit) or a
    non-negative int, ``articles_only`` a bool (the model engine only: it is
    the one that tells articles from other pages).

    Raises:
        OptionError: for an unknown engine or kind, a threshold that is not a
            number in [0, 1] (NaN included), a negative or non-integer
            max_bytes, or articles_only that is not a bool or asked of trafilatura.
    """

    kind: str = "auto"
    engine: Engine = Engine.MODEL
    threshold: float | None = None
    model: str | None = None
    max_bytes: int | None = DEFAULT_MAX_BYTES
    articles_only: bool = False

    @classmethod
    def of(cls, *, kind: str = "auto", engine: Engine | str = Engine.MODEL,
           threshold: float | None = None, model: str | os.PathLike[str] | None = None,
           max_bytes: int | None = DEFAULT_MAX_BYTES, articles_only: bool = False) -> Options:
        """Options from the loosely typed arguments of the public functions (an engine's name, a Path)."""
        return cls(kind=kind, engine=_engine(engine), threshold=threshold, model=_model(model),
                   max_bytes=max_bytes, articles_only=articles_only)

    def __post_init__(self) -> None:
        object.__setattr__(self, "engine", _engine(self.engine))
        object.__setattr__(self, "kind", _kind(self.kind))
        object.__setattr__(self, "threshold", _threshold(self.threshold))
        object.__setattr__(self, "model", _model(self.model))
        object.__setattr__(self, "max_bytes", _max_bytes(self.max_bytes))
        object.__setattr__(self, "articles_only", _articles_only(self.articles_only, self.engine))


def _engine(value: Any) -> Engine:
    try:
        return Engine(value)
    except ValueError:
        names = ", ".join(e.value for e in Engine)
        raise OptionError(f"unknown engine {value!r}: expected one of {names}") from None


def _kind(value: Any) -> str:
    value = getattr(value, "value", value)  # an Enum of the CLI
    if value not in KINDS:
        raise OptionError(f"unknown kind {value!r}: expected auto, html or text")
    return str(value)


def _threshold(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        # NaN fails the range check too: every comparison with it is False.
        raise OptionError(f"threshold must be a number from 0 to 1, not {value!r}")
    return float(value)


def _model(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise OptionError(f"model must be a path, not {type(value).__name__}")
    return str(Path(value))


def _max_bytes(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OptionError(f"max_bytes must be a whole number of bytes, 0 or more, not {value!r}")
    return value


def _articles_only(value: Any, engine: Engine) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"articles_only must be True or False, not {value!r}")
    if value and engine is not Engine.MODEL:
        raise OptionError(f"articles_only needs the model engine: {engine.value} does not tell "
                          "articles from other pages")
    return value
