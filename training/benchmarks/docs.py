"""docs/benchmarks.md is shared: each benchmark script owns the part between its markers."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Callable
import tempfile
from pathlib import Path


def replace_section(path: Path, section: str, begin: str, end: str) -> None:
    """Replace the ``begin``...``end`` part of ``path`` with ``section`` (which holds both markers).

    The section is appended when the markers are not there yet; the file is
    created when it does not exist. Everything outside the markers is kept.
    """
    old = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    first, last = old.find(begin), old.find(end)
    if first != -1 and last > first:
        new = old[:first] + section.rstrip("\n") + old[last + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


REPO = Path(__file__).resolve().parents[2]


def shown(command: str) -> str:
    """A command as docs/benchmarks.md records it: every absolute path outside the temporary
    folder made relative to the repository (``/work/shared/data`` -> ``../shared/data``), so
    that a reader can run it from a clone; ``--opt=PATH`` too."""
    return shlex.join(_shown_word(word) for word in shlex.split(command))


def shown_path(path: str | Path) -> str:
    """A path as the docs show it: relative to the repository, unless it is under the
    temporary folder (a scratch path such as /tmp/declutter-cache reads the same anywhere)."""
    text = str(path)
    if not os.path.isabs(text):
        return text
    resolved = Path(text).resolve()
    # Scratch is the temporary folder outside the repository's own folder and its
    # neighbours (../shared/data): a clone may itself live in /tmp.
    if resolved.is_relative_to(_TEMP) and not resolved.is_relative_to(REPO.parent):
        return text
    return os.path.relpath(text, REPO)


def _shown_word(word: str) -> str:
    """One word of a command, its path (or an option's =PATH) shown relative."""
    if word.startswith("--") and "=" in word:
        option, value = word.split("=", 1)
        return f"{option}={shown_path(value)}"
    return shown_path(word)


_TEMP = Path(tempfile.gettempdir()).resolve()


def progress(name: str) -> Callable[[str], None]:
    """The progress logger of a script: ``[name HH:MM:SS] message`` lines on stderr."""

    def log(message: str) -> None:
        print(f"[{name} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    return log
