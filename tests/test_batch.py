"""Batch mode: boilerplate.batch (reading inputs, declutter_many) and the CLI over many pages."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PAGES, REPO
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from boilerplate import Extraction, ModelError, batch, declutter, pool
from boilerplate.batch import Page, PageRecord, declutter_many, read_inputs
from boilerplate.cli import app
from boilerplate.pool import Pool

#: None: the shipped model, like the rest of the suite.
MODEL: str | None = None
MODEL_ARGS: list[str] = [] if MODEL is None else ["--model", MODEL]

HTML_NAMES = ["wire_service", "paywall", "german_news", "list_article", "spanish_news",
              "table_article"]
TEXT_NAMES = ["text_science_news", "text_match_report"]
JSONL_KEYS = {"source", "url", "text", "title", "date", "author", "site_name", "engine", "model_version", "kind",
              "is_article", "article_score"}


def html(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


def text(name: str) -> bytes:
    return (PAGES / f"{name}.txt").read_bytes()


def body(data: bytes | str, **kw) -> str:
    """What declutter itself makes of a page."""
    return declutter(data, model=MODEL, **kw).text


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, [*MODEL_ARGS, *(str(a) for a in args)], input=input)

    return invoke


def jsonl(result) -> list[dict]:
    return [json.loads(row) for row in result.stdout.splitlines()]


def assert_clean(result, code: int) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def summary(result) -> str:
    return result.stderr.splitlines()[-1]


@pytest.fixture
def tree(tmp_path):
    """A folder of pages: nested, mixed extensions, a hidden folder and files that are no input."""
    root = tmp_path / "crawl"
    (root / "b" / "deep").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.html").write_bytes(html("wire_service"))
    (root / "b" / "c.HTM").write_bytes(html("paywall"))
    (root / "b" / "deep" / "d.txt").write_bytes(text("text_science_news"))
    (root / "b" / "e.xhtml").write_bytes(html("german_news"))
    (root / "b" / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "notes.md").write_text("# not an input\n")
    (root / ".git" / "index.html").write_bytes(html("spanish_news"))
    (root / ".hidden.html").write_bytes(html("spanish_news"))
    return root


def tree_sources(root) -> list[str]:
    return [str(root / "a.html"), str(root / "b" / "c.HTM"), str(root / "b" / "e.xhtml"),
            str(root / "b" / "deep" / "d.txt")]


def write_warc(path, responses, *, gzip_records: bool) -> list[str]:
    """A WARC with a warcinfo record and, per response, a request and a response record.

    Returns the WARC-Record-IDs of the response records, in order.
    """
    ids = []
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gzip_records)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for url, content_type, payload in responses:
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                               http_headers=headers)
            ids.append(record.rec_headers.get_header("WARC-Record-ID").strip("<>"))
            writer.write_record(record)
    return ids


WARC_RESPONSES = [
    ("https://news.example/copper", "text/html; charset=utf-8", html("wire_service")),
    ("https://news.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("https://news.example/port", "application/xhtml+xml", html("paywall")),
    ("https://news.example/style.css", "text/css", b"body { color: red }"),
]


# --------------------------------------------------------------------------- reading inputs


def test_folder_is_read_recursively_in_name_order(tree):
    pages = list(read_inputs([str(tree)]))
    assert [p.source for p in pages] == tree_sources(tree)
    assert all(p.error is None and p.url is None for p in pages)
    assert pages[0].data == html("wire_service")


def test_empty_folder_is_one_error(tmp_path):
    (tmp_path / "notes.md").write_text("nothing")
    [page] = read_inputs([str(tmp_path)])
    assert page.source == str(tmp_path)
    assert page.error.startswith("folder has no input files (*.html, *.htm")


def test_globs_are_expanded_like_a_shell_would(tree):
    pages = list(read_inputs([f"{tree}/*.html", f"{tree}/**/*.txt", f"{tree}/nothing*.html"]))
    assert [(p.source, p.error) for p in pages] == [
        (str(tree / "a.html"), None),
        (str(tree / "b" / "deep" / "d.txt"), None),
        (f"{tree}/nothing*.html", "no files match this pattern"),
    ]


def test_missing_file_and_size_guard(tmp_path):
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"x" * 5000 + b"</p>")
    missing, large = read_inputs([str(tmp_path / "nope.html"), str(big)], max_bytes=1000)
    assert missing.error == "no such file"
    assert large.data is None and "5,007 bytes, over the 1,000-byte limit" in large.error


@pytest.mark.parametrize("suffix", [".warc", ".warc.gz"])
def test_warc_html_responses_are_pages(tmp_path, suffix):
    path = tmp_path / f"crawl{suffix}"
    ids = write_warc(path, WARC_RESPONSES, gzip_records=suffix.endswith(".gz"))
    notes = []
    pages = list(read_inputs([str(path)], on_note=lambda *note: notes.append(note)))
    assert [(p.source, p.url) for p in pages] == [
        (f"{path}#{ids[0]}", "https://news.example/copper"),
        (f"{path}#{ids[2]}", "https://news.example/port"),
    ]
    assert ids[0].startswith("urn:uuid:")
    assert [p.data for p in pages] == [html("wire_service"), html("paywall")]
    assert notes == [(str(path), "skipped 2 response records that are not HTML")]


def test_truncated_warc_keeps_the_records_before_the_damage(tmp_path):
    path = tmp_path / "cut.warc.gz"
    ids = write_warc(path, WARC_RESPONSES[:1] * 2, gzip_records=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    first, last = read_inputs([str(path)])
    assert first.error is None and first.data == html("wire_service")
    assert (last.source, last.data, last.error) == (f"{path}#{ids[1]}", None, "truncated WARC record")
    path.write_bytes(data[:100] + b"garbage" * 10)
    [page] = read_inputs([str(path)])
    assert page.source == str(path)
    assert page.error.startswith("damaged WARC data at byte 0: ")


@pytest.mark.parametrize("compress", [False, True])
def test_jsonl_records_are_pages(tmp_path, compress):
    rows = [
        json.dumps({"html": html("wire_service").decode(), "url": "https://a.example/1"}),
        "",
        json.dumps({"text": text("text_match_report").decode(), "id": 7}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"url": "https://a.example/no-body"}),
    ]
    raw = ("\n".join(rows) + "\n").encode()
    path = tmp_path / ("pages.jsonl.gz" if compress else "pages.jsonl")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    pages = list(read_inputs([str(path)]))
    assert [p.source for p in pages] == [f"{path}:{n}" for n in (1, 3, 4, 5, 6)]
    assert pages[0].url == "https://a.example/1"
    assert pages[0].data == html("wire_service").decode()
    assert pages[1].url is None and pages[1].error is None
    assert pages[2].error.startswith("not a JSON record")
    assert pages[3].error == "not a JSON object"
    assert pages[4].error == "the record has no html or text field (a string)"


def test_output_file_inside_a_scanned_folder_is_not_read(tree):
    out = tree / "out.jsonl"
    out.write_text('{"html": "<p>stale output</p>"}\n')
    sources = [p.source for p in read_inputs([str(tree)], exclude=out)]
    assert sources == tree_sources(tree)


# --------------------------------------------------------------------------- declutter_many


def library_pages() -> list:
    return [
        html("wire_service"),                                           # bytes
        html("paywall").decode(),                                       # str
        (html("german_news"), "https://de.example/a"),                  # (data, url)
        {"text": text("text_science_news").decode(), "source": "sci"},  # mapping with text
        {"html": html("list_article"), "url": "https://l.example/"},    # mapping with html
        42,                                                             # not a page
        b"",                                                            # empty
        {"url": "https://x.example/"},                                  # no html, no text
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_declutter_many_one_record_per_page_in_order(jobs):
    records = list(declutter_many(library_pages(), jobs=jobs, model=MODEL))
    assert all(isinstance(r, PageRecord) for r in records)
    assert [r.source for r in records] == [
        "<page 0>", "<page 1>", "<page 2>", "sci", "<page 4>", "<page 5>", "<page 6>", "<page 7>"]
    assert [r.status for r in records[:5]] == ["ok"] * 5
    assert records[0].text == body(html("wire_service"))
    assert records[2].url == "https://de.example/a"
    assert records[2].text == body(html("german_news"), url="https://de.example/a")
    assert records[3].kind == "text"
    assert records[4].url == "https://l.example/"
    assert "not int" in records[5].error
    assert records[6].error == "empty input"
    assert records[7].error == "the page has no html or text (str or bytes)"
    assert records[7].to_dict() == {"source": "<page 7>", "url": "https://x.example/",
                                    "error": records[7].error}
    assert all(r.lines is None for r in records)


def test_declutter_many_jobs_2_equals_jobs_1_with_lines():
    pages = [html(n) for n in HTML_NAMES] * 3
    one = list(declutter_many(pages, jobs=1, model=MODEL, lines=True))
    two = list(declutter_many(pages, jobs=2, model=MODEL, lines=True))
    assert one == two
    assert one[0].lines == declutter(pages[0], model=MODEL).lines
    assert set(one[0].to_dict()) == JSONL_KEYS | {"lines"}


def test_declutter_many_is_lazy_and_bounded():
    taken = []

    def pages():
        for i in range(10_000):
            taken.append(i)
            yield html("spanish_news")

    records = declutter_many(pages(), jobs=2, model=MODEL)
    first = [next(records) for _ in range(3)]
    assert all(r.status == "ok" for r in first)
    window = pool.CHUNK_PAGES * (2 * pool.TASKS_PER_WORKER + 1)
    assert len(taken) <= 3 + window
    records.close()


def test_declutter_many_bad_arguments_raise_at_once():
    with pytest.raises(ValueError):
        declutter_many([], jobs=0)
    with pytest.raises(ValueError):
        declutter_many([], kind="pdf")
    with pytest.raises(ValueError):
        declutter_many([], engine="boilerpipe")


@pytest.mark.parametrize("jobs", [1, 2])
def test_declutter_many_bad_model_raises_once_when_iteration_starts(tmp_path, jobs):
    records = declutter_many(["<p>x</p>"] * 3, jobs=jobs, model=tmp_path / "missing.joblib")
    with pytest.raises(ModelError, match="missing.joblib"):
        next(records)


class _KillsItsWorker:
    """Unpickling this calls os._exit: the worker that receives it dies."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_dying_worker_costs_only_the_page_it_was_on():
    pages = [{"html": html("spanish_news"), "source": str(i)} for i in range(40)]
    pages[5] = Page("crash", data=_KillsItsWorker())
    records = list(declutter_many(pages, jobs=2, model=MODEL))
    assert [r.source for r in records] == [str(i) if i != 5 else "crash" for i in range(40)]
    assert records[5].error == batch.WORKER_DIED
    assert all(r.status == "ok" for i, r in enumerate(records) if i != 5)


# --------------------------------------------------------------------------- when workers start
#
# A page that kills the worker it reaches tells where it ran: here it is only
# data of the wrong type (a TypeError record), on a worker it is WORKER_DIED.

IN_THIS_PROCESS = "expected str or bytes, not _KillsItsWorker"


def _no_pool(*args):
    raise AssertionError("workers were started")


@pytest.mark.parametrize("cpus", [1, 2])
def test_default_jobs_keeps_a_small_batch_in_this_process(monkeypatch, cpus):
    monkeypatch.setattr(batch, "_cpus", lambda: cpus)
    monkeypatch.setattr(batch, "_pool", _no_pool)
    if cpus == 1:  # however long the batch: one CPU, no workers
        monkeypatch.setattr(batch, "POOL_AFTER_SECONDS", 0.0)
    pages = [html(n) for n in HTML_NAMES]
    pages.insert(2, Page("crash", data=_KillsItsWorker()))
    records = list(declutter_many(pages, model=MODEL))
    assert records == list(declutter_many(pages, jobs=1, model=MODEL))
    assert records[2].error == IN_THIS_PROCESS


def test_default_jobs_hands_a_long_batch_over_to_workers(monkeypatch):
    monkeypatch.setattr(batch, "_cpus", lambda: 2)
    monkeypatch.setattr(batch, "POOL_AFTER_SECONDS", 0.0)  # long enough after one page
    monkeypatch.setattr(Pool, "ready", lambda self: True)  # and the workers up after one more
    pages = [{"html": html("spanish_news"), "source": str(i)} for i in range(16)]
    pages[1] = Page("1", data=_KillsItsWorker())
    pages[9] = Page("9", data=_KillsItsWorker())
    records = list(declutter_many(pages, model=MODEL))
    assert [r.source for r in records] == [str(i) for i in range(16)]
    assert records[1].error == IN_THIS_PROCESS
    assert records[9].error == batch.WORKER_DIED
    assert all(r.status == "ok" for i, r in enumerate(records) if i not in (1, 9))
    assert records[0].text == body(html("spanish_news"))


def test_default_jobs_input_that_ends_while_the_workers_start(monkeypatch):
    monkeypatch.setattr(batch, "_cpus", lambda: 2)
    monkeypatch.setattr(batch, "POOL_AFTER_SECONDS", 0.0)
    monkeypatch.setattr(Pool, "ready", lambda self: False)  # never up in time: all pages run here
    pages = [html(n) for n in HTML_NAMES]
    pages.insert(3, Page("crash", data=_KillsItsWorker()))
    records = list(declutter_many(pages, model=MODEL, lines=True))
    assert records == list(declutter_many(pages, jobs=1, model=MODEL, lines=True))
    assert records[3].error == IN_THIS_PROCESS


# --------------------------------------------------------------------------- records


def test_a_record_holds_an_extraction_or_an_error():
    found = declutter(html("paywall"), model=MODEL, url="https://p.example/")
    with pytest.raises(ValueError):
        PageRecord("x")
    with pytest.raises(ValueError):
        PageRecord("x", extraction=found, error="both")
    full = PageRecord.of("p", found, lines=True)
    assert (full.url, full.text, full.title, full.date, full.engine, full.model_version,
            full.kind, full.warnings, full.lines) == (
        found.url, found.text, found.title, found.date, found.engine, found.model_version,
        found.kind, found.warnings, found.lines)
    assert full.status == "ok" and full.extraction == found
    slim = PageRecord.of("p", found, lines=False)
    assert slim.lines is None and slim.extraction.lines == () and slim.text == found.text
    assert slim.to_dict() == {k: v for k, v in full.to_dict().items() if k != "lines"}
    failed = PageRecord.failed("q", None, "no such file")
    assert (failed.status, failed.text, failed.title, failed.lines, failed.warnings) == (
        "failed", "", None, None, ())
    empty = PageRecord.of("e", Extraction(text="", lines=(), engine="model"), lines=True)
    assert empty.status == "empty" and empty.to_dict()["lines"] == []


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_end_when_the_parent_is_killed(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in HTML_NAMES:
        shutil.copy(PAGES / f"{name}.html", folder)
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "boilerplate.cli", *MODEL_ARGS, "-j", "2", "-f", "jsonl",
            "-o", str(out), *[str(folder)] * 5000]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.1)
        pool = _descendants(proc.pid)
    finally:
        proc.kill()  # no clean-up code runs in the parent
        proc.wait()
    assert len(pool) >= 3  # fork server (or resource tracker) and two workers
    deadline = time.monotonic() + 20
    while any(map(_running, pool)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pool if _running(pid)]


#: Appended to the decoy package's __init__.py: it notes each process that
#: imports it, and marks every article body it makes.
DECOY_HOOK = """
import os as _os
with open({marks!r}, "a") as _marks:
    _marks.write(f"{{_os.getpid()}}\\n")
from .document import Extraction as _Extraction
_made = _Extraction.__init__
def _marked(self, text, *args, **kwargs):
    _made(self, "DECOY " + text, *args, **kwargs)
_Extraction.__init__ = _marked
"""


def test_workers_run_the_parents_package_not_one_in_the_current_directory(tmp_path):
    """Run from a folder that holds another boilerplate/ (a clone), workers run the parent's."""
    decoy = tmp_path / "clone"
    shutil.copytree(REPO / "boilerplate", decoy / "boilerplate",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    marks = tmp_path / "decoy-imported-by"
    with open(decoy / "boilerplate" / "__init__.py", "a") as init:
        init.write(DECOY_HOOK.format(marks=str(marks)))
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in HTML_NAMES:
        shutil.copy(PAGES / f"{name}.html", folder)
    # Like an installed console script: the parent's sys.path does not start with the
    # current directory, so the parent imports this checkout's package, not the decoy.
    script = tmp_path / "bin" / "declutter"
    script.parent.mkdir()
    script.write_text(f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"
                      "from boilerplate.cli import main\n"
                      "if __name__ == '__main__':\n    main()\n")
    args = [sys.executable, str(script), *MODEL_ARGS, "--jobs", "2", "-f", "jsonl", str(folder)]
    proc = subprocess.run(args, cwd=decoy, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not marks.exists(), f"processes {marks.read_text().split()} imported the decoy"
    records = [json.loads(row) for row in proc.stdout.splitlines()]
    assert [r["text"] for r in records] == [body(html(name)) for name in sorted(HTML_NAMES)]


# --------------------------------------------------------------------------- the CLI


def test_cli_folder_jsonl_one_record_per_page(cli, tree):
    result = cli("--format", "jsonl", tree)
    assert_clean(result, 0)
    records = jsonl(result)
    assert [r["source"] for r in records] == tree_sources(tree)
    assert all(set(r) == JSONL_KEYS for r in records)
    assert records[0]["text"] == body(html("wire_service"))
    assert records[3]["kind"] == "text"
    assert summary(result) == "declutter: 4 pages: 4 ok, 0 empty, 0 failed"


def test_cli_mix_of_good_and_bad_inputs(cli, tmp_path, tree):
    warc = tmp_path / "crawl.warc.gz"
    ids = write_warc(warc, WARC_RESPONSES, gzip_records=True)
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "nav.html").write_bytes(b"<html><body><nav><a href=/>Home</a></nav></body></html>")
    lines = tmp_path / "rows.jsonl"
    lines.write_text(json.dumps({"html": html("table_article").decode(), "url": "u"}) + "\n{oops\n")
    inputs = [tree, warc, tmp_path / "missing.html", tmp_path / "empty.html", tmp_path / "nav.html",
              lines, f"{tree}/b/*.xhtml"]
    result = cli("--format", "jsonl", *inputs)
    assert_clean(result, 1)
    records = jsonl(result)
    assert [r["source"] for r in records] == [
        *tree_sources(tree), f"{warc}#{ids[0]}", f"{warc}#{ids[2]}", str(tmp_path / "missing.html"),
        str(tmp_path / "empty.html"), str(tmp_path / "nav.html"), f"{lines}:1", f"{lines}:2",
        str(tree / "b" / "e.xhtml")]
    failed = [r for r in records if "error" in r]
    assert [set(r) for r in failed] == [{"source", "url", "error"}] * 3
    assert records[4]["url"] == "https://news.example/copper"
    assert records[4]["text"] == body(html("wire_service"), url="https://news.example/copper")
    assert records[8]["text"] == ""  # nav only: succeeded, empty
    stderr = result.stderr.splitlines()
    assert f"declutter: {warc}: skipped 2 response records that are not HTML" in stderr
    assert f"declutter: {tmp_path / 'missing.html'}: no such file" in stderr
    assert f"declutter: {tmp_path / 'empty.html'}: empty input" in stderr
    assert sum(line.startswith(f"declutter: {lines}:2: not a JSON record") for line in stderr) == 1
    assert summary(result) == f"declutter: {len(records)} pages: {len(records) - 4} ok, 1 empty, 3 failed"


def test_cli_jobs_2_output_identical_to_jobs_1(cli, tmp_path):
    for i, name in enumerate(HTML_NAMES * 2 + TEXT_NAMES):
        suffix = "txt" if name.startswith("text_") else "html"
        shutil.copy(PAGES / f"{name}.{suffix}", tmp_path / f"{i:02d}_{name}.{suffix}")
    (tmp_path / "99_bad.html").write_bytes(b"\x00\x01\x02binary" * 100)
    for fmt in ("jsonl", "text"):
        one = cli("--format", fmt, "--lines", "--jobs", 1, tmp_path)
        two = cli("--format", fmt, "--lines", "--jobs", 2, tmp_path)
        assert_clean(one, 1)
        assert two.stdout == one.stdout and two.stderr == one.stderr
    records = jsonl(cli("-f", "jsonl", "-j", 2, tmp_path))
    assert [r["source"] for r in records] == [str(p) for p in sorted(tmp_path.iterdir())]


def test_cli_output_file(cli, tmp_path, tree):
    out = tree / "out.jsonl"  # inside the folder it reads: never read back
    result = cli("-f", "jsonl", "-o", out, tree)
    assert_clean(result, 0)
    assert result.stdout == ""
    assert [json.loads(r)["source"] for r in out.read_text().splitlines()] == tree_sources(tree)
    # Run again, the output is now a JSON Lines page of the folder: refused, never overwritten.
    written = out.read_bytes()
    again = cli("-f", "jsonl", "-o", out, tree)
    assert_clean(again, 2)
    assert out.read_bytes() == written
    assert again.stderr == (f"declutter: {out} would be read as an input (it is in a folder or "
                            "glob given): write the output elsewhere, or remove it first\n")


def test_cli_unwritable_output_is_a_usage_error(cli, tmp_path):
    result = cli("-o", tmp_path / "no" / "such" / "dir.txt", PAGES / "paywall.html")
    assert_clean(result, 2)
    assert result.stderr.startswith("declutter: cannot write ")


def test_cli_format_lines(cli, tmp_path):
    page = PAGES / "wire_service.html"
    expected = declutter(page.read_bytes(), model=MODEL).lines
    one = cli("--format", "lines", page)
    assert_clean(one, 0)
    assert jsonl(one) == [{"text": ln.text, "label": ln.label.value, "score": ln.score,
                           "reason": ln.reason} for ln in expected]
    assert one.stderr == ""
    two = cli("--format", "lines", page, PAGES / "text_science_news.txt")
    records = jsonl(two)
    assert [r["source"] for r in records[:len(expected)]] == [str(page)] * len(expected)
    assert records[-1]["source"] == str(PAGES / "text_science_news.txt")
    assert {frozenset(r) for r in records} == {frozenset({"text", "label", "score", "reason", "source"})}


def test_cli_lines_flag_adds_lines_to_jsonl(cli):
    page = PAGES / "paywall.html"
    [plain] = jsonl(cli("-f", "jsonl", page))
    [with_lines] = jsonl(cli("-f", "jsonl", "--lines", page))
    assert "lines" not in plain
    assert {k: v for k, v in with_lines.items() if k != "lines"} == plain
    assert [ln["text"] for ln in with_lines["lines"]] == [
        ln.text for ln in declutter(page.read_bytes(), model=MODEL).lines]


def test_cli_json_list_streams_like_json_dumps(cli, tmp_path):
    pages = [PAGES / "paywall.html", tmp_path / "missing.html", PAGES / "spanish_news.html"]
    result = cli("-f", "json", *pages)
    assert_clean(result, 1)
    records = json.loads(result.stdout)
    assert result.stdout == json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    assert [r["source"] for r in records] == [str(p) for p in pages]
    assert records[1] == {"source": str(pages[1]), "url": None, "error": "no such file"}


def test_cli_stdin_among_files(cli):
    raw = html("spanish_news")
    result = cli("-f", "jsonl", "-", PAGES / "paywall.html", input=raw)
    assert_clean(result, 0)
    first = jsonl(result)[0]
    assert (first["source"], first["text"]) == ("<stdin>", body(raw))


def test_cli_one_page_has_no_summary_line(cli):
    result = cli(PAGES / "paywall.html")
    assert_clean(result, 0)
    assert result.stderr == ""


def test_cli_bad_model_is_one_line_not_one_per_page(tmp_path, tree):
    result = CliRunner().invoke(app, ["--model", str(tmp_path / "missing.joblib"), str(tree)])
    assert_clean(result, 1)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "missing.joblib" in result.stderr


def test_cli_jobs_0_is_a_usage_error(cli):
    assert cli("--jobs", 0, PAGES / "paywall.html").exit_code == 2


def test_records_survive_a_round_trip_through_warc_reading(tmp_path):
    # WARC bodies are the HTTP payload as sent: check it against warcio's own reading.
    path = tmp_path / "c.warc"
    write_warc(path, WARC_RESPONSES[:1], gzip_records=False)
    with open(path, "rb") as f:
        bodies = [r.content_stream().read() for r in ArchiveIterator(f) if r.rec_type == "response"]
    assert [p.data for p in read_inputs([str(path)])] == bodies
    assert isinstance(next(iter(read_inputs([str(path)]))), Page)


def test_cli_output_named_as_an_input_is_a_usage_error(cli, tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(html("paywall"))
    result = cli("-o", page, page)
    assert_clean(result, 2)
    assert page.read_bytes() == html("paywall")
    assert result.stderr == f"declutter: {page} is both an input and the output\n"
