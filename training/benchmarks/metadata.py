"""Benchmark the headline, date, author and site name against the datasets' gold metadata.

    python -m training.benchmarks.metadata ../shared/data --every 10   # and update docs/benchmarks.md
    python -m training.benchmarks.metadata ../shared/data --every 10 --no-docs

declutter's fields (``declutter(html, kind="html")``: boilerplate/metadata.py
and the <h1> nearest the kept story) side by side with trafilatura's
``extract_metadata`` on the same pages, per dataset, where the dataset has
gold for the field: titles in wcxb-articles, fundus, l3s-gn1 and
trafilatura-eval; dates, authors and site names in trafilatura-eval only
(trafilatura's own evaluation set, whose annotators worked with its output in
view: read its row as favouring trafilatura). A field matches when it equals the
gold with case and whitespace ignored (dates: the same YYYY-MM-DD). The time
is the metadata alone: ``metadata.read_meta`` on the tree the walk parses
anyway, against ``extract_metadata`` on the page text (it parses its own).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import json
import re
import shlex
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boilerplate import declutter
from boilerplate.metadata import iso_date, read_meta
from boilerplate.walk import parse
from training.benchmarks.docs import replace_section, shown

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- metadata.py:begin -->", "<!-- metadata.py:end -->"
#: Datasets with gold metadata, and the gold field of each of ours.
DATASETS = ("wcxb-articles", "fundus", "l3s-gn1", "trafilatura-eval")
FIELDS = {"title": "title", "date": "date", "author": "author", "site_name": "sitename"}
SYSTEMS = ("declutter", "declutter --engine trafilatura", "trafilatura extract_metadata")


@dataclass
class Tally:
    """Matches of one system on one dataset: field -> [matched, pages with gold]."""

    counts: dict[str, list[int]] = field(default_factory=lambda: {f: [0, 0] for f in FIELDS})
    seconds: list[float] = field(default_factory=list)

    def add(self, found: dict[str, str | None], gold: dict[str, Any]) -> None:
        """Count one page's fields against its gold."""
        for ours, theirs in FIELDS.items():
            if gold.get(theirs):
                self.counts[ours][1] += 1
                self.counts[ours][0] += matches(ours, found.get(ours), gold[theirs])

    def rate(self, name: str) -> str:
        """"83.1% (123/148)", or "-" without gold."""
        hit, n = self.counts[name]
        return f"{hit / n:.1%} ({hit}/{n})" if n else "-"


def key(text: str) -> str:
    """Text compared without case and whitespace differences."""
    return " ".join(text.split()).casefold()


def matches(name: str, found: str | None, gold: str | list[str]) -> bool:
    """True when a found field equals the gold one (authors: the same names in any order,
    however separated)."""
    if not found:
        return False
    if name == "date":
        return iso_date(found) == iso_date(str(gold))
    if name == "author":
        return names(found) == names("; ".join(gold) if isinstance(gold, list) else gold)
    return key(found) == key(str(gold))


def names(text: str) -> set[str]:
    """The names of an author field: split at , ; & and "and" ("und")."""
    return {key(n) for n in re.split(r"[,;&]| and | und ", text) if n.strip()}


def pages(data: Path, dataset: str, every: int, offset: int = 0) -> Iterator[dict[str, Any]]:
    """Every ``every``-th page of a dataset, from page ``offset`` on."""
    with gzip.open(data / dataset / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % every == offset:
                yield json.loads(line)


def ours(html: str, tally: Tally, engine: str = "model") -> dict[str, str | None]:
    """declutter's fields, timing the metadata reader on its own."""
    result = declutter(html, kind="html", engine=engine)
    root = parse(html)
    if root is not None:
        start = time.perf_counter()
        read_meta(root, html)
        tally.seconds.append(time.perf_counter() - start)
    return {"title": result.title, "date": result.date, "author": result.author,
            "site_name": result.site_name}


def theirs(html: str, url: str | None, tally: Tally) -> dict[str, str | None]:
    """trafilatura's extract_metadata fields (timed)."""
    from trafilatura import extract_metadata

    start = time.perf_counter()
    doc = extract_metadata(html, default_url=url)
    tally.seconds.append(time.perf_counter() - start)
    if doc is None:
        return {}
    return {"title": doc.title, "date": doc.date, "author": doc.author, "site_name": doc.sitename}


def run(data: Path, every: int, offset: int = 0) -> dict[str, dict[str, Tally]]:
    """Both systems on every dataset: dataset -> system -> Tally."""
    out: dict[str, dict[str, Tally]] = {}
    for dataset in DATASETS:
        if not (data / dataset / "pages.jsonl.gz").is_file():
            continue
        tallies = {name: Tally() for name in SYSTEMS}
        mine, engine, lib = (tallies[name] for name in SYSTEMS)
        for page in pages(data, dataset, every, offset):
            mine.add(ours(page["html"], mine), page)
            engine.add(ours(page["html"], engine, "trafilatura"), page)
            lib.add(theirs(page["html"], page.get("url"), lib), page)
        out[dataset] = tallies
    return out


def table(results: dict[str, dict[str, Tally]]) -> list[str]:
    """One sample's rows: every system on every dataset."""
    rows = ["| dataset | system | title | date | author | site name | metadata ms/page (median) |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for dataset, tallies in results.items():
        for name, tally in tallies.items():
            ms = statistics.median(tally.seconds) * 1000 if tally.seconds else float("nan")
            rows.append(f"| {dataset} | {name} | " + " | ".join(tally.rate(f) for f in FIELDS)
                        + f" | {ms:.3f} |")
    return rows


def report(samples: dict[int, dict[str, dict[str, Tally]]], every: int, command: str) -> str:
    """The docs/benchmarks.md section: one table per sample (offset)."""
    parts = [BEGIN, "## Metadata: headline, date, author, site name", "", (
        f"Generated {datetime.date.today().isoformat()} by `{command}`. A field matches when "
        "it equals the dataset's gold with case and whitespace ignored (dates: the same "
        "YYYY-MM-DD); pages without gold for a field are not counted. declutter's title is "
        "the longest line near the story or heading that the metadata's headline (JSON-LD, "
        "Open Graph) holds, else that headline without the site's name, else the <h1> "
        "nearest the story, else the <title>; `--engine trafilatura` fills the same fields "
        "from the same reader (its candidate lines: the body's first line and the <h1>s). "
        "The time is `metadata.read_meta` on the tree the walk parses anyway, against "
        "trafilatura's `extract_metadata` on the page text (it parses the page itself). "
        "trafilatura-eval is trafilatura's own evaluation set, and the only one with gold "
        "dates, authors and site names.")]
    for offset, results in samples.items():
        role = ("the sample the headline rules were chosen on" if offset == 0
                else "another sample, not looked at while choosing them")
        parts += ["", f"Every {every}th page from page {offset} ({role}):", "", *table(results)]
    return "\n".join([*parts, "", END])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="folder of datasets (../shared/data)")
    parser.add_argument("--every", type=int, default=10, help="take every Nth page (default 10)")
    parser.add_argument("--offsets", default="0,5",
                        help="samples: start pages, comma-separated (default 0,5: the sample the "
                             "rules were chosen on, and another)")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its table and (unless --no-docs) update docs/benchmarks.md."""
    args = parse_args(argv)
    given = sys.argv[1:] if argv is None else list(argv)
    command = shown("python -m training.benchmarks.metadata "
                    + shlex.join([a for a in given if a != "--no-docs"]))
    offsets = [int(o) for o in args.offsets.split(",")]
    samples = {offset: run(args.data_dir, args.every, offset) for offset in offsets}
    section = report(samples, args.every, command)
    print(section)
    if not args.no_docs:
        replace_section(DOCS, section, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
