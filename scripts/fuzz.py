#!/usr/bin/env python3
"""Atheris fuzz targets for ``boilerplate.declutter`` (issue 5) and batch inputs (issue 15). Not run in CI.

``--target page`` (the default) fuzzes ``declutter``. Each input is split by atheris' FuzzedDataProvider into a few option bytes
(kind auto/html/text, str or bytes, a small or the default max_bytes) and the
page itself. The only allowed outcomes are an Extraction or an exception from
the BoilerplateError tree: anything else (TypeError, ValueError, UnicodeError,
RecursionError, MemoryError, ...) is a finding, and libFuzzer writes the input
that caused it to ``crash-<sha1>`` under the artifact folder. Inputs that run
longer than ``-timeout`` seconds are reported as hangs.

``--target warc`` and ``--target jsonl`` write each input to a file named
``*.warc`` (gzipped or not: the bytes decide) or ``*.jsonl`` and read it with
``read_inputs``, sometimes with a small ``max_bytes``. Reading must never
raise, and every Page must hold data (within ``max_bytes``) or a one-line
error, never both or neither.

Usage (see scripts/README.md):

    pip install atheris
    nice -n 10 python scripts/fuzz.py -max_total_time=600

A ``-max_total_time`` over a minute runs in rounds of fresh processes over
the same corpus (atheris' instrumentation makes a process grow with every
input), and ends with a summary line: time, rounds, inputs run, new findings.

Options of this script (given before the libFuzzer flags):

    --target NAME   page (default), warc or jsonl
    --model PATH    a model file to use instead of the shipped one
    --corpus DIR    the corpus folder (default: $TMPDIR/declutter-fuzz/corpus,
                    declutter-fuzz-warc/corpus, declutter-fuzz-jsonl/corpus),
                    seeded with the fixture pages and a few odd inputs
    --no-seed       do not add the seed inputs to the corpus
    --keep-going    do not stop at the first finding: save one input per distinct
                    finding (exception type + innermost boilerplate function) as
                    finding-<id> beside the corpus, log it to findings.txt there,
                    and go on fuzzing

Any other argument goes to libFuzzer (``-max_total_time``, ``-runs``,
``-timeout``, ``-max_len``, ``-jobs``, ``-print_final_stats``, a crash file to
replay, ...).
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import hashlib
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

# One OpenMP thread for the model: fuzzing runs one small input after another,
# and scikit-learn's threads only add start-up cost to each (and spin badly
# when the machine is busy). Set before scikit-learn is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import atheris

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

with atheris.instrument_imports(include=["boilerplate"]):
    import boilerplate
    from boilerplate import BoilerplateError, Extraction, declutter
    from boilerplate.decode import DEFAULT_MAX_BYTES
    from boilerplate.readers import Page, read_inputs
    from boilerplate.sniff import Kind

KINDS: tuple[Kind, ...] = ("auto", "html", "text")
TARGETS = ("page", "warc", "jsonl")
TARGET = "page"
MODEL: str | None = None
#: The file each warc or jsonl input is written to (in a RAM-backed folder when there is one).
_SCRATCH = Path("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
#: With --keep-going: where findings go, and the signatures seen so far.
KEEP_GOING_DIR: Path | None = None
_SEEN: set[str] = set()


def test_one_input(data: bytes) -> None:
    """The fuzz target (stops at the first finding unless --keep-going)."""
    check = check_one_input if TARGET == "page" else check_one_file
    if KEEP_GOING_DIR is None:
        check(data)
        return
    try:
        check(data)
    except Exception as exc:  # a finding: record it once per signature, go on
        _record(data, exc)


def _record(data: bytes, exc: Exception) -> None:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/boilerplate/" in f.filename] or frames
    # The function, not the line: the signature stays put while the code is edited.
    where = f"{Path(ours[-1].filename).name}:{ours[-1].name}" if ours else "?"
    signature = f"{type(exc).__module__}.{type(exc).__name__} at {where}"
    assert KEEP_GOING_DIR is not None
    path = KEEP_GOING_DIR / f"finding-{hashlib.sha1(signature.encode()).hexdigest()[:12]}"
    if signature in _SEEN or path.exists():  # known (this round or an earlier one)
        _SEEN.add(signature)
        return
    _SEEN.add(signature)
    path.write_bytes(data)
    report = "".join(traceback.format_exception(exc))
    with open(KEEP_GOING_DIR / "findings.txt", "a", encoding="utf-8") as log:
        log.write(f"=== {signature}\ninput: {path}\n{report}\n")
    print(f"\nfuzz: NEW FINDING {signature} -> {path}\n{report}", file=sys.stderr, flush=True)


def check_one_input(data: bytes) -> None:
    """declutter must return a whole, consistent Extraction or raise our errors."""
    fdp = atheris.FuzzedDataProvider(data)
    kind = KINDS[fdp.ConsumeIntInRange(0, 2)]
    as_str = fdp.ConsumeIntInRange(0, 3) == 0  # a quarter of the inputs as str
    small_limit = fdp.ConsumeIntInRange(0, 7) == 0
    max_bytes = fdp.ConsumeIntInRange(1, 4096) if small_limit else DEFAULT_MAX_BYTES
    if as_str:
        page: str | bytes = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    else:
        page = fdp.ConsumeBytes(fdp.remaining_bytes())
    try:
        result = declutter(page, kind=kind, model=MODEL, max_bytes=max_bytes)
    except BoilerplateError:
        return
    # A result must be whole and consistent: the body is its content lines.
    if not isinstance(result, Extraction):
        raise AssertionError(f"declutter returned {type(result).__name__}")
    body = "\n".join(ln.text for ln in result.lines if ln.is_content)
    if result.text != body:
        raise AssertionError("Extraction.text is not the content lines joined")
    if not result.text and not result.warnings:
        raise AssertionError("an empty result without a warning")


def check_one_file(data: bytes) -> None:
    """read_inputs over a WARC or JSON Lines file: no exception, each Page whole.

    (No page at all is fine: a WARC without HTML responses, a blank JSON Lines file.)
    """
    small_limit = data[-1:] == b"\x00"  # libFuzzer soon learns to end inputs with it
    max_bytes = 64 + data[-2] if small_limit and len(data) > 1 else DEFAULT_MAX_BYTES
    path = _SCRATCH / f"declutter-fuzz-{os.getpid()}.{TARGET}"
    path.write_bytes(data)
    try:
        pages = list(read_inputs([str(path)], max_bytes=max_bytes, on_note=_check_note))
    finally:
        path.unlink()
    for page in pages:
        _check_page(page, max_bytes)


def _check_page(page: Page, max_bytes: int) -> None:
    """A Page holds data or an error, the error on one line, the data within max_bytes."""
    if (page.data is None) == (page.error is None):
        raise AssertionError(f"a Page with data and error both or neither: {page!r:.200}")
    if page.error is not None and ("\n" in page.error or not page.error.strip()):
        raise AssertionError(f"an error that is not one line: {page.error!r:.200}")
    if isinstance(page.data, bytes) and len(page.data) > max_bytes:
        raise AssertionError(f"{len(page.data)} bytes of data over max_bytes {max_bytes}")
    for text in (page.source, page.url or "", page.site or ""):
        text.encode("utf-8")  # no lone surrogate reaches an output (data: declutter replaces them)


def _check_note(source: str, message: str) -> None:
    if "\n" in message:
        raise AssertionError(f"a note that is not one line: {message!r}")


_AUTO_BYTES = b"\x01\x01\x00"


def _seeds() -> dict[str, bytes]:
    """Seed inputs: the fixture pages plus small odd cases.

    FuzzedDataProvider takes the option integers from the end of the input:
    the three trailing bytes pick kind auto, bytes (not str), default max_bytes.
    """
    seeds: dict[str, bytes] = {}
    for page in sorted((REPO / "fixtures" / "pages").glob("*")):
        seeds[page.name] = page.read_bytes()[:20_000] + _AUTO_BYTES
    ja = "東京都は十日、新しい予算案を発表した。市民の生活に関わる事業が多い。"
    ru = "Городской совет утвердил новый бюджет после долгого обсуждения."
    odd = {
        "gzip": gzip.compress(b"<html><body><p>Hello, gzip world.</p></body></html>"),
        "sjis-meta": f'<meta charset="Shift_JIS"><p>{ja}</p>'.encode("cp932"),
        "sjis-bare": ja.encode("cp932"),
        "eucjp": ja.encode("euc_jp"),
        "cp1251": ru.encode("cp1251"),
        "utf16le": f"<html><body><p>{ru}</p></body></html>".encode("utf-16-le"),
        "utf16bom": codecs.BOM_UTF16_BE + f"<p>{ja}</p>".encode("utf-16-be"),
        "rss": b'<?xml version="1.0"?><rss><channel><title>x</title></channel></rss>',
        "json": b'{"html": "<p>x</p>"}',
        "xxe": b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]><p>&x;</p>',
        "deep": b"<div>" * 3000 + b"deep" + b"</div>" * 3000,
        "nul": b"<p>a\x00b</p>\x00",
        "crlf": b"Line one of the text.\r\nLine two of the text.\r\n",
        "bad-charset": b'<meta charset="undefined"><p>caf\xe9</p>',
        "png": b"\x89PNG\r\n\x1a\n" + bytes(32),
    }
    for name, data in odd.items():
        seeds[name] = data + _AUTO_BYTES
    return seeds


def _file_seeds() -> dict[str, bytes]:
    """Seed files for the warc and jsonl targets."""
    if TARGET == "jsonl":
        page = (REPO / "fixtures" / "pages" / "wire_service.html").read_text("utf-8")[:3000]
        rows = [{"html": page, "url": "https://a.example/1"}, {"text": "Line one.\nLine two."},
                {"html": "<p>x</p>", "site": "s", "url": "https://b.example/\ud800"}]
        plain = "\n".join(json.dumps(row) for row in rows) + "\n{bad\n[1]\n\n"
        return {"jsonl": plain.encode(), "jsonl-gz": gzip.compress(plain.encode()),
                "deep": b"[" * 2000 + b"]" * 2000 + b"\n"}
    return {name: _warc(gz, chunked) for name, gz, chunked in
            (("warc", False, False), ("warc-gz", True, False), ("warc-chunked", False, True),
             ("warc-gz-chunked", True, True))}


def _warc(gz: bool, chunked: bool) -> bytes:
    """A small WARC: warcinfo, an HTML response (gzip-encoded, maybe chunked), a request, a PNG."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    writer.write_record(writer.create_warcinfo_record("seed.warc", {"software": "fuzz"}))
    body = gzip.compress(b"<html><body><p>A page of text, long enough to read.</p></body></html>")
    if chunked:
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    headers += [("Transfer-Encoding", "chunked")] if chunked else []
    for content_type, payload in (("text/html", body), ("image/png", b"\x89PNG\r\n")):
        http = StatusAndHeaders("200 OK", headers if content_type == "text/html" else
                                [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://a.example/", "response",
                                                      payload=io.BytesIO(payload),
                                                      http_headers=http))
    request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "a.example")], is_http_request=True)
    writer.write_record(writer.create_warc_record("https://a.example/", "request",
                                                  http_headers=request))
    return out.getvalue()


#: Set in the fuzzing processes that a time-bounded run starts (see _supervise).
_CHILD_ENV = "DECLUTTER_FUZZ_ROUND"
#: Length of one round of a time-bounded run: atheris' instrumentation grows
#: the process by a few hundred kB per input (plain declutter does not), so a
#: long run is cut into rounds, each a fresh process over the same corpus.
ROUND_SECONDS = 60


def main() -> None:
    global MODEL, KEEP_GOING_DIR, TARGET
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--target", choices=TARGETS, default="page")
    parser.add_argument("--model")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--keep-going", action="store_true")
    ours, libfuzzer_args = parser.parse_known_args(sys.argv[1:])
    MODEL, TARGET = ours.model, ours.target
    if ours.corpus is None:
        folder = "declutter-fuzz" + ("" if TARGET == "page" else f"-{TARGET}")
        ours.corpus = Path(tempfile.gettempdir()) / folder / "corpus"
    if TARGET == "page":
        boilerplate.load_model(MODEL)  # fail now, not on the first input, if it is missing

    ours.corpus.mkdir(parents=True, exist_ok=True)
    artifacts = ours.corpus.parent
    if ours.keep_going:
        KEEP_GOING_DIR = artifacts
    replaying = any(not a.startswith("-") for a in libfuzzer_args)
    total = _flag(libfuzzer_args, "-max_total_time")
    if not replaying and not ours.no_seed and os.environ.get(_CHILD_ENV) is None:
        for name, data in (_seeds() if TARGET == "page" else _file_seeds()).items():
            path = ours.corpus / f"seed-{name}-{hashlib.sha1(data).hexdigest()[:8]}"
            if not path.exists():
                path.write_bytes(data)
    if not replaying and total and total > ROUND_SECONDS and os.environ.get(_CHILD_ENV) is None:
        sys.exit(_supervise(total, artifacts, keep_going=ours.keep_going))
    if not replaying:
        libfuzzer_args.append(str(ours.corpus))
    defaults = {
        "-max_len": "65536",  # big enough for real pages, small enough to mutate well
        "-timeout": "30",  # seconds per input before it counts as a hang
        "-rss_limit_mb": "4096",
        "-artifact_prefix": f"{artifacts}/",
        "-print_final_stats": "1",
    }
    for flag, value in defaults.items():
        if _flag(libfuzzer_args, flag, cast=str) is None:
            libfuzzer_args.insert(0, f"{flag}={value}")
    print(f"fuzz: corpus {ours.corpus}; findings go to {artifacts}/", file=sys.stderr)
    atheris.Setup([sys.argv[0], *libfuzzer_args], test_one_input)
    atheris.Fuzz()


def _flag(args: list[str], name: str, cast: Callable[[str], Any] = int) -> Any:
    """The value of a libFuzzer flag ``-name=value`` among ``args``, or None."""
    for arg in args:
        if arg.startswith(name + "="):
            return cast(arg.split("=", 1)[1])
    return None


def _supervise(total: int, artifacts: Path, *, keep_going: bool) -> int:
    """Fuzz for ``total`` seconds in rounds of fresh processes; print a summary."""
    import re
    import subprocess
    import time

    start = time.monotonic()
    before = set(artifacts.iterdir())
    base = [a for a in sys.argv[1:] if not a.startswith("-max_total_time=")]
    executions, rounds, status = 0, 0, 0
    while (left := total - (time.monotonic() - start)) > 5:
        rounds += 1
        args = [sys.executable, str(Path(__file__).resolve()), *base,
                f"-max_total_time={int(min(ROUND_SECONDS, left))}"]
        child = subprocess.Popen(args, env={**os.environ, _CHILD_ENV: str(rounds)},
                                 stderr=subprocess.PIPE, text=True, errors="replace")
        assert child.stderr is not None
        for line in child.stderr:
            sys.stderr.write(line)
            if m := re.match(r"stat::number_of_executed_units: (\d+)", line):
                executions += int(m.group(1))
        status = child.wait()
        if status != 0 and not keep_going:
            break  # a finding: libFuzzer saved it; stop like a single run would
    elapsed = time.monotonic() - start
    found = sorted(p.name for p in set(artifacts.iterdir()) - before
                   if p.name.startswith(("crash-", "oom-", "timeout-", "leak-", "finding-")))
    print(f"\nfuzz: {elapsed:.0f} s in {rounds} round(s), {executions} inputs run "
          f"({executions / max(elapsed, 1):.0f}/s); new findings in {artifacts}: "
          f"{', '.join(found) if found else 'none'}", file=sys.stderr)
    if keep_going and (artifacts / "findings.txt").exists():
        print(f"fuzz: distinct exceptions so far are listed in {artifacts / 'findings.txt'}",
              file=sys.stderr)
    return 1 if found else status


if __name__ == "__main__":
    main()
