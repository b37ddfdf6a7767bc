"""The C speed-ups change nothing: every page, with and without them, same output.

    python -m training.benchmarks.equivalence /work/shared/data                 # writes docs/benchmarks.md
    python -m training.benchmarks.equivalence /work/shared/data --every 10 --no-write
    git worktree add /tmp/ref 45823d5 && \
    python -m training.benchmarks.equivalence /work/shared/data --reference /tmp/ref --no-write

The optional C extensions (``boilerplate.speedups()``) are twins of Python
code that stays the reference. This runs ``boilerplate.declutter`` on every
page of the data folder (HTML, and the same page flattened to text: its
lines joined by newlines) in two child processes, one as installed and one
with DECLUTTER_PURE_PYTHON=1, and compares everything a caller gets: the
body text, and every line's text, label, score and reason (errors too). It
also times each page in both, so the fallback's cost is on record.

Identical output on every page means the accuracy figures of evaluate.py are
unchanged by the speed-ups, whatever they are. Writes its own section of
docs/benchmarks.md, between its markers.

With ``--reference DIR`` (a checkout of another commit) the second process
runs that checkout's code instead of the pure-Python path: the same check
across a change of the Python code too (written to a section of its own).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "docs" / "benchmarks.md"
BEGIN = "<!-- equivalence.py:begin -->"
END = "<!-- equivalence.py:end -->"
#: --reference runs own a section of their own.
REF_BEGIN = "<!-- equivalence.py --reference:begin -->"
REF_END = "<!-- equivalence.py --reference:end -->"


def page_records(data_dir: Path, every: int):
    """(dataset, id, html) of every ``every``-th page of each dataset, in file order."""
    for folder in sorted(p for p in data_dir.iterdir() if (p / "pages.jsonl.gz").is_file()):
        with gzip.open(folder / "pages.jsonl.gz", "rt", encoding="utf-8") as f:
            for i, raw in enumerate(f):
                if i % every == 0:
                    rec = json.loads(raw)
                    yield folder.name, str(rec["id"]), rec.get("html") or ""


def digest(result) -> str:
    """Everything a caller gets from an Extraction, hashed."""
    h = hashlib.sha256(result.text.encode("utf-8", "surrogatepass"))
    for line in result.lines:
        h.update(f"\x00{line.text}\x01{line.label.value}\x01{line.score!r}\x01{line.reason}"
                 .encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def run_child(data_dir: Path, every: int, out: Path) -> None:
    """In a child process: declutter every page, HTML then text; pickle digests and times."""
    import boilerplate
    from boilerplate.errors import BoilerplateError

    rows = []
    for dataset, page_id, html in page_records(data_dir, every):
        for mode in ("html", "text"):
            if mode == "html":
                source = html
            else:
                try:
                    source = "\n".join(line.text for line in boilerplate.from_html(html).lines)
                except BoilerplateError:
                    continue
            t0 = time.perf_counter()
            try:
                outcome = digest(boilerplate.declutter(source, kind=mode))
            except BoilerplateError as exc:
                outcome = f"error: {type(exc).__name__}: {exc}"
            rows.append((dataset, page_id, mode, outcome, time.perf_counter() - t0))
    speedups = getattr(boilerplate, "speedups", dict)()  # older commits have none
    with out.open("wb") as f:
        pickle.dump({"speedups": speedups, "rows": rows}, f)


def spawn(data_dir: Path, every: int, pure: bool, out: Path, reference: Path | None = None) -> dict:
    """Run ``run_child`` in a new process: as installed, pure Python, or ``reference``'s code.

    The child runs this file as a script, so that ``import boilerplate`` finds
    the package on PYTHONPATH (the reference checkout) before the installed one.
    """
    env = dict(os.environ)
    env.pop("DECLUTTER_PURE_PYTHON", None)
    env.pop("PYTHONPATH", None)
    if pure:
        env["DECLUTTER_PURE_PYTHON"] = "1"
    # The child runs this file as a script: without PYTHONPATH it would import
    # whatever ``boilerplate`` is installed, not this checkout's.
    env["PYTHONPATH"] = str(reference or REPO)
    cmd = [sys.executable, str(Path(__file__).resolve()), str(data_dir), "--every", str(every),
           "--child", str(out)]
    subprocess.run(cmd, env=env, cwd=reference or REPO, check=True)
    with out.open("rb") as f:
        return pickle.load(f)


def compare(fast: dict, pure: dict) -> dict:
    a = {(d, i, m): (o, t) for d, i, m, o, t in fast["rows"]}
    b = {(d, i, m): (o, t) for d, i, m, o, t in pure["rows"]}
    if a.keys() != b.keys():
        raise SystemExit("the two runs saw different pages")
    differ = sorted(k for k in a if a[k][0] != b[k][0])
    out = {"pages": len({(d, i) for d, i, _ in a}), "runs": len(a), "differ": differ,
           "errors": sum(o.startswith("error:") for o, _ in a.values())}
    for mode in ("html", "text"):
        keys = [k for k in a if k[2] == mode]
        fast_ms = [a[k][1] * 1e3 for k in keys]
        pure_ms = [b[k][1] * 1e3 for k in keys]
        out[mode] = (len(keys), statistics.median(fast_ms), statistics.median(pure_ms),
                     statistics.median(p / f for p, f in zip(pure_ms, fast_ms) if f > 0))
    return out


def section(data_dir: Path, every: int, fast: dict, pure: dict, result: dict, seconds: float,
            reference: Path | None = None) -> str:
    from training.benchmarks.docs import shown_path  # the parent's import (the child is a script)

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    on = ", ".join(name for name, active in fast["speedups"].items() if active) or "none"
    sample = "every page" if every == 1 else f"every {every}th page"
    lines = [
        BEGIN if reference is None else REF_BEGIN, "",
        "## C speed-ups against the pure-Python code" if reference is None
        else f"## This code against an earlier checkout ({reference.name})",
        "",
        f"Generated on {when} by `python -m training.benchmarks.equivalence {shown_path(data_dir)}"
        f"{'' if every == 1 else f' --every {every}'}"
        f"{'' if reference is None else f' --reference {shown_path(reference)}'}` "
        f"({seconds / 60:.0f} min; commit {commit_of(REPO)}"
        + ("" if reference is None else f"; reference: {commit_of(reference)}") + ").",
        "",
        f"`boilerplate.declutter` on {sample} of the data folder ({result['pages']:,} pages), as "
        "HTML and flattened to text (the page's lines joined by newlines), in two processes: "
        f"one with the C speed-ups ({on}), "
        + (f"one with the code of {shown_path(reference)} " if reference is not None
           else "one with DECLUTTER_PURE_PYTHON=1 ")
        + f"({', '.join(n for n, a in pure['speedups'].items() if a) or 'no speed-ups'}). Compared: "
        "the body text and every line's text, label, score and reason (or the error).",
        "",
        f"- **{result['runs'] - len(result['differ']):,} of {result['runs']:,} runs identical**"
        f" ({len(result['differ'])} differ; {result['errors']} inputs refused alike by both)."
        + (" The accuracy figures of evaluate.py are therefore the same as with that code."
           if reference is not None else
           " The accuracy figures of evaluate.py are therefore the same with or without the speed-ups."),
        "",
        "| input | runs | median ms, C speed-ups | median ms, "
        + ("reference" if reference is not None else "pure Python") + " | median per-page ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode in ("html", "text"):
        n, f_ms, p_ms, ratio = result[mode]
        lines.append(f"| {mode} | {n:,} | {f_ms:.2f} | {p_ms:.2f} | {ratio:.2f}x |")
    lines += ["", "Times are from two processes run one after the other on a shared machine: "
              "read them as a rough ratio; bench.py measures speed against trafilatura."]
    if result["differ"]:
        lines += ["", "Differing runs (first 20): " + ", ".join(
            f"{d}/{i} ({m})" for d, i, m in result["differ"][:20])]
    lines += ["", END if reference is None else REF_END]
    return "\n".join(lines) + "\n"


def commit_of(checkout: Path) -> str:
    """The commit of a checkout or worktree, else "unknown" (a plain export has no .git)."""
    try:
        out = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.benchmarks.equivalence",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path, help="the datasets folder (e.g. /work/shared/data)")
    parser.add_argument("--every", type=int, default=1, help="every k-th page of each dataset [1]")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="markdown file whose equivalence.py section is replaced")
    parser.add_argument("--no-write", action="store_true", help="print the summary only")
    parser.add_argument("--reference", type=Path, default=None,
                        help="compare against this checkout's code instead of pure Python")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error("--every must be at least 1")
    if not args.data_dir.is_dir():
        parser.error(f"no such folder: {args.data_dir}")
    if args.child:
        run_child(args.data_dir, args.every, args.child)
        return 0
    t0 = time.perf_counter()
    if args.reference is not None and not (args.reference / "boilerplate").is_dir():
        parser.error(f"no boilerplate/ package in {args.reference}")
    with tempfile.TemporaryDirectory() as tmp:
        fast = spawn(args.data_dir, args.every, False, Path(tmp) / "fast.pkl")
        pure = spawn(args.data_dir, args.every, args.reference is None, Path(tmp) / "pure.pkl",
                     args.reference)
    result = compare(fast, pure)
    text = section(args.data_dir, args.every, fast, pure, result, time.perf_counter() - t0,
                   args.reference)
    print(text)
    if not args.no_write:
        # Imported here: the child processes run this file as a script, with
        # another checkout's code on the path.
        from training.benchmarks.docs import replace_section

        if args.reference is None:
            replace_section(args.out, text, BEGIN, END)
        else:
            replace_section(args.out, text, REF_BEGIN, REF_END)
    return 1 if result["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
