"""docs/benchmarks.md is shared: each benchmark script owns the part between its markers."""

from __future__ import annotations

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
