"""The faults a crawl meets (issue 15): no page stops, stalls or silently shrinks a batch.

Each section is one item of the issue: tracebacks that ended a batch, pages
lost without a word, memory, hangs, data loss, lone surrogates, and the
smaller ones (signals, escapes, messages, option checks).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import PAGES, REPO
from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from boilerplate import InputError, OptionError, batch, declutter
from boilerplate.batch import Page, declutter_many, read_inputs
from boilerplate.cli import app
from boilerplate.readers import JSON_ESCAPING, JSON_FIELD_BYTES
from boilerplate.warc import MAX_HEADER_BYTES, MAX_HEADER_LINE

PAGE = (PAGES / "wire_service.html").read_bytes()
OTHER = (PAGES / "paywall.html").read_bytes()
#: Tracemalloc peak allowed while reading an input far over its limit: the
#: reads are bounded pieces (64 kB), never the input.
BOUNDED_PEAK = 8_000_000


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input)


def assert_clean(result, code: int) -> None:
    """The exit status, and no traceback anywhere."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


def records(result) -> list[dict]:
    return [json.loads(row) for row in result.stdout.splitlines()]


def warc_bytes(pages: list[tuple[str, bytes]], *, gz: bool, headers=None) -> bytes:
    """A WARC of HTML response records (one gzip member each when ``gz``)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    for url, payload in pages:
        http = StatusAndHeaders("200 OK", headers or [("Content-Type", "text/html")],
                                protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                                      http_headers=http))
    return out.getvalue()


def record_starts(data: bytes, gz: bool) -> list[int]:
    """The offsets at which records (gzip members when ``gz``) start."""
    marker = b"\x1f\x8b\x08" if gz else b"WARC/1."
    found, at = [], data.find(marker)
    while at >= 0:
        found.append(at)
        at = data.find(marker, at + 1)
    return found


THREE = [(f"https://news.example/{n}", page) for n, page in enumerate((PAGE, OTHER, PAGE))]


# --------------------------------------------------------------------------- 1. time linear in the input


def test_a_long_run_of_digits_takes_linear_time():
    # The "N minutes/hours ago" date pattern was quadratic on a run of digits:
    # a 60,000-digit cell in a 64 KB page took 50 s, and a batch in input order
    # waited behind it. Now it is found from the last digit of N.
    page = "<table><tr><td>" + "1" * 60_000 + "</td></tr></table><p>A sentence of the story.</p>"
    started = time.process_time()
    declutter(page)
    assert time.process_time() - started < 1.0  # about 10 ms


# --------------------------------------------------------------------------- 2. no traceback ends a batch


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
@pytest.mark.parametrize("where", ["middle", "end"])
def test_a_warc_record_cut_inside_its_header_is_an_error_record(tmp_path, gz, where):
    data = warc_bytes(THREE, gz=gz)
    starts = record_starts(data, gz)
    if gz:  # a gzip member cut short, then the next one
        cut = data[:starts[1] + 40] + (data[starts[2]:] if where == "middle" else b"")
    else:  # the second record's headers stop half way (its Content-Length line is gone)
        head = data[starts[1]:].split(b"\r\n\r\n", 1)[0]
        cut = data[:starts[1]] + head[:len(head) // 2] + b"\r\n\r\n"
        cut += data[starts[2]:] if where == "middle" else b""
    path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    path.write_bytes(cut)
    result = run("-f", "jsonl", path)
    assert_clean(result, 1)
    got = records(result)
    assert [r.get("url") for r in got if "text" in r] == (
        ["https://news.example/0", "https://news.example/2"] if where == "middle"
        else ["https://news.example/0"])
    [damage] = [r for r in got if "error" in r]
    assert damage["source"] == str(path) and damage["error"].startswith("damaged WARC data at byte ")
    assert f"declutter: {path}: damaged WARC data" in result.stderr


def test_jsonl_nested_100000_deep_is_an_error_record_and_the_next_line_is_read(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n" + b'{"html": "<html><body><p>Still read.</p></body></html>"}\n')
    result = run("-f", "jsonl", path)
    assert_clean(result, 1)
    deep, after = records(result)
    assert deep == {"source": f"{path}:1", "url": None,
                    "error": "not a JSON record: nested too deeply"}
    assert after["text"] == "Still read."


@pytest.fixture
def crawl(tmp_path):
    """A folder with two pages, a symbolic link that loops, one to the folder itself, and a FIFO."""
    root = tmp_path / "crawl"
    (root / "sub").mkdir(parents=True)
    (root / "a.html").write_bytes(PAGE)
    (root / "sub" / "b.html").write_bytes(OTHER)
    (root / "loop.html").symlink_to("loop.html")
    (root / "sub" / "up").symlink_to("..")
    os.mkfifo(root / "pipe.html")
    return root


def test_symlink_loops_in_a_folder_with_output_file(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("-f", "jsonl", "-o", out, crawl)
    assert_clean(result, 1)
    got = [json.loads(row) for row in out.read_text().splitlines()]
    assert [(r["source"], r.get("error")) for r in got] == [
        (str(crawl / "a.html"), None),
        (str(crawl / "loop.html"), "too many levels of symbolic links"),
        (str(crawl / "pipe.html"), "not a regular file (a named pipe, device or socket): skipped"),
        (str(crawl / "sub" / "b.html"), None),
    ]


def test_symlink_loops_in_a_glob_with_output_file_read_each_file_once(crawl, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("-f", "jsonl", "-o", out, f"{crawl}/**")
    assert_clean(result, 1)
    got = [json.loads(row) for row in out.read_text().splitlines()]
    read = [r["source"] for r in got if "text" in r]
    assert sorted(read) == [str(crawl / "a.html"), str(crawl / "sub" / "b.html")]
    assert all("Traceback" not in r.get("error", "") for r in got)


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_with_output_file(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9\n\x1b[31m.html"
    with open(raw, "wb") as f:
        f.write(b"\x00" * 100)  # binary: an error, so the name goes to stderr too
    out = tmp_path / "out.jsonl"
    result = run("-f", "jsonl", "-o", out, folder)
    assert_clean(result, 1)
    [record] = [json.loads(row) for row in out.read_text("utf-8").splitlines()]
    assert record["source"] == f"{folder}/caf\\xe9\n\x1b[31m.html"
    assert result.stderr.startswith(f"declutter: {folder}/caf\\xe9\\x0a\\x1b[31m.html: ")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("to", ["output file", "stdout"])
def test_a_write_error_is_one_line_and_exit_1(to):
    args = [sys.executable, "-m", "boilerplate.cli", str(PAGES / "paywall.html"),
            str(PAGES / "wire_service.html")]
    with open("/dev/full", "w") as full:
        proc = subprocess.run(args + (["-o", "/dev/full"] if to == "output file" else []),
                              cwd=REPO, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                              check=False)
    assert proc.returncode == 1
    where = "/dev/full" if to == "output file" else "standard output"
    assert proc.stderr == f"declutter: cannot write {where}: no space left on device\n"


# --------------------------------------------------------------------------- 3. no page lost silently


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_a_warc_record_cut_at_the_end_of_the_file_is_an_error_record(tmp_path, gz):
    data = warc_bytes(THREE, gz=gz)
    path = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    path.write_bytes(data[:-300])
    pages = list(read_inputs([str(path)]))
    assert [p.data for p in pages[:2]] == [PAGE, OTHER]
    assert len(pages) == 3 and pages[2].data is None
    assert pages[2].error == "truncated WARC record"


def test_a_damaged_gzip_member_costs_only_its_record(tmp_path):
    data = bytearray(warc_bytes(THREE, gz=True))
    starts = record_starts(bytes(data), True)
    data[starts[1] + 30:starts[1] + 60] = bytes(30)  # the middle of the second member
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(bytes(data))
    first, damage, third = read_inputs([str(path)])
    assert (first.url, first.data) == ("https://news.example/0", PAGE)
    assert damage.source == str(path) and damage.data is None
    assert damage.error.startswith(f"damaged WARC data at byte {starts[1]:,}: damaged gzip data")
    assert damage.error.endswith(f"read on from the next record, at byte {starts[2]:,}")
    assert (third.url, third.data) == ("https://news.example/2", PAGE)


def test_garbage_between_records_of_a_plain_warc_costs_only_what_it_hides(tmp_path):
    data = warc_bytes(THREE, gz=False)
    starts = record_starts(data, False)
    path = tmp_path / "garbage.warc"
    path.write_bytes(data[:starts[1]] + b"\x00garbage\r\n" * 3 + data[starts[1]:])
    pages = list(read_inputs([str(path)]))
    assert [p.url for p in pages if p.error is None] == [url for url, _ in THREE]
    [damage] = [p for p in pages if p.error is not None]
    assert damage.error.startswith(f"damaged WARC data at byte {starts[1]:,}: no WARC record starts")


def test_a_gzip_encoded_body_that_is_cut_is_an_error_not_a_shorter_page(tmp_path):
    body = gzip.compress(PAGE)[:-100]
    path = tmp_path / "cut-body.warc"
    path.write_bytes(warc_bytes([("https://a.example/", body)], gz=False, headers=[
        ("Content-Type", "text/html"), ("Content-Encoding", "gzip")]))
    [page] = read_inputs([str(path)])
    assert page.error == "the record's body is cut short (gzip data ends early)"


def test_chunked_and_gzip_encoded_bodies_are_decoded(tmp_path):
    coded = gzip.compress(PAGE)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                       for part in (coded[:1000], coded[1000:])) + b"0\r\n\r\n"
    path = tmp_path / "coded.warc"
    path.write_bytes(warc_bytes([("https://a.example/", chunked)], gz=False, headers=[
        ("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked")]))
    [page] = read_inputs([str(path)])
    assert page.data == PAGE


# --------------------------------------------------------------------------- 4. memory bounded by max_bytes


def peak_of(call) -> tuple[object, int]:
    """What ``call`` returns and the peak of Python's allocations while it ran."""
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_jsonl_line_over_the_limit_is_refused_before_it_is_read_whole(tmp_path):
    path = tmp_path / "big.jsonl.gz"
    big = b'{"html": "' + b"x" * 100_000_000 + b'"}\n'  # 100 MB: gzip makes it 100 kB
    with gzip.open(path, "wb") as f:
        f.write(big + b'{"html": "<p>The next record is read.</p>"}\n')
    del big
    pages, peak = peak_of(lambda: list(read_inputs([str(path)], max_bytes=1000)))
    limit = JSON_ESCAPING * 1000 + JSON_FIELD_BYTES
    assert pages[0].error == (f"the record is over the {limit:,}-byte limit of a JSON Lines "
                              f"record ({JSON_ESCAPING} x max_bytes + {JSON_FIELD_BYTES:,})")
    assert pages[1].data == "<p>The next record is read.</p>"
    assert peak < BOUNDED_PEAK


def test_a_warc_http_header_line_is_bounded(tmp_path):
    long_line = [("Content-Type", "text/html"), ("X-Long", "y" * 20_000_000)]
    path = tmp_path / "header.warc"
    path.write_bytes(warc_bytes([("https://a.example/", PAGE)], gz=False, headers=long_line)
                     + warc_bytes([("https://a.example/2", OTHER)], gz=False))
    pages, peak = peak_of(lambda: list(read_inputs([str(path)])))
    assert pages[0].error == f"the record's HTTP headers: a line over {MAX_HEADER_LINE:,} bytes"
    assert pages[1].data == OTHER
    assert peak < BOUNDED_PEAK


def test_a_warc_header_block_is_bounded(tmp_path):
    many = [("Content-Type", "text/html")] + [(f"X-{n}", "z" * 1000) for n in range(2000)]
    path = tmp_path / "headers.warc"
    path.write_bytes(warc_bytes([("https://a.example/", PAGE)], gz=False, headers=many))
    [page] = read_inputs([str(path)])
    assert page.error == f"the record's HTTP headers: over {MAX_HEADER_BYTES:,} bytes in all"


def test_a_gzip_bomb_in_a_warc_body_stops_at_max_bytes(tmp_path):
    bomb = gzip.compress(b"<p>" + b"a" * 200_000_000)  # 200 MB in 200 kB
    path = tmp_path / "bomb.warc.gz"
    path.write_bytes(warc_bytes([("https://a.example/", bomb)], gz=True, headers=[
        ("Content-Type", "text/html"), ("Content-Encoding", "gzip")]))
    pages, peak = peak_of(lambda: list(read_inputs([str(path)], max_bytes=100_000)))
    assert pages[0].error == "the record's body is over the 100,000-byte limit (max_bytes)"
    assert peak < BOUNDED_PEAK


# --------------------------------------------------------------------------- 5. no hang


def test_a_fifo_in_a_folder_is_skipped_with_a_record_not_opened(crawl):
    started = time.monotonic()
    pages = list(read_inputs([str(crawl)]))
    assert time.monotonic() - started < 10  # opening it would wait for a writer forever
    [fifo] = [p for p in pages if p.source.endswith("pipe.html")]
    assert fifo.error == "not a regular file (a named pipe, device or socket): skipped"


def test_a_slow_page_in_this_process_becomes_an_error_record(monkeypatch):
    real = batch.extract

    def slow(data, options, url=None):
        if b"SLOW" in data:
            time.sleep(30)
        return real(data, options, url=url)

    monkeypatch.setattr(batch, "extract", slow)
    started = time.monotonic()
    got = list(declutter_many([PAGE, b"<p>SLOW</p>", OTHER], jobs=1, page_timeout=0.5))
    assert time.monotonic() - started < 10
    assert got[1].error == "the page ran over its time limit of 0.5 s (page_timeout)"
    assert got[0].text == declutter(PAGE).text and got[2].text == declutter(OTHER).text


def test_the_time_limit_leaves_a_programs_own_alarm_alone(monkeypatch):
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        got = list(declutter_many([PAGE], jobs=1, page_timeout=0.01))
        assert got[0].error is None and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not fired


def _stop_this_process():
    os.kill(os.getpid(), signal.SIGSTOP)


class _StopsItsWorker:
    """Unpickling this stops the worker that receives it (SIGSTOP): stuck, not dead."""

    def __reduce__(self):
        return _stop_this_process, ()


def test_a_stuck_worker_costs_only_its_page_tried_twice(monkeypatch):
    monkeypatch.setattr(batch, "STUCK_GRACE", 0.2)
    pages = [{"html": PAGE, "source": str(n)} for n in range(12)]
    pages[4] = Page("stuck", data=_StopsItsWorker())
    started = time.monotonic()
    got = list(declutter_many(pages, jobs=2, page_timeout=0.5))
    assert time.monotonic() - started < 60
    assert got[4].error == batch.WORKER_STUCK.format(seconds=0.5)
    assert all(r.status == "ok" for n, r in enumerate(got) if n != 4)


class _SlowText(str):
    """A page that takes 30 s in declutter's first look at it (a sleep the alarm can stop)."""

    def isascii(self):
        time.sleep(30)
        return True


def test_a_slow_page_on_a_worker_becomes_an_error_record_and_the_worker_lives_on():
    pages = [PAGE] * 6
    pages[2] = _SlowText("<p>A page that takes its time.</p>")
    started = time.monotonic()
    got = list(declutter_many(pages, jobs=2, page_timeout=0.5))
    assert time.monotonic() - started < 30
    assert got[2].error == "the page ran over its time limit of 0.5 s (page_timeout)"
    assert all(r.status == "ok" for n, r in enumerate(got) if n != 2)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "60"])
def test_page_timeout_is_checked(bad):
    with pytest.raises(OptionError, match="page_timeout"):
        declutter_many([PAGE], page_timeout=bad)


def test_cli_page_timeout_0_is_no_limit_and_a_negative_one_a_usage_error():
    assert_clean(run("--page-timeout", "0", PAGES / "paywall.html"), 0)
    assert run("--page-timeout", "-1", PAGES / "paywall.html").exit_code == 2


# --------------------------------------------------------------------------- 6. no input overwritten


@pytest.mark.parametrize("how", ["folder", "glob", "glob of a subfolder"])
def test_output_naming_a_page_of_an_input_folder_or_glob_is_refused(tmp_path, how):
    folder = tmp_path / "crawl"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.html").write_bytes(PAGE)
    (folder / "sub" / "b.html").write_bytes(OTHER)
    target = folder / "sub" / "b.html"
    given = {"folder": folder, "glob": f"{folder}/**/*.html",
             "glob of a subfolder": f"{folder}/s*"}[how]
    result = run("-o", target, given)
    assert_clean(result, 2)
    assert target.read_bytes() == OTHER
    assert "would be read as an input" in result.stderr


def test_output_in_a_folder_that_the_inputs_do_not_read_is_written(tmp_path):
    folder = tmp_path / "crawl"
    folder.mkdir()
    (folder / "a.html").write_bytes(PAGE)
    (folder / "notes.md").write_text("mine")
    result = run("-o", folder / "notes.md", folder / "a.html")
    assert_clean(result, 0)
    assert (folder / "notes.md").read_text().strip() == declutter(PAGE).text


# --------------------------------------------------------------------------- 7. lone surrogates


@pytest.mark.parametrize("kind", ["html", "text"])
def test_a_lone_surrogate_is_replaced_and_the_text_after_it_kept(kind):
    before, after = "The council met on Monday to vote on the plan", "and the vote passed in the end."
    page = (f"<html><body><p>{before} \ud800 {after}</p></body></html>" if kind == "html"
            else f"{before} \ud800 {after}\n")
    result = declutter(page, kind=kind)
    assert f"{before} \ufffd {after}" in [line.text for line in result.lines]
    result.text.encode("utf-8")


def test_a_surrogate_pair_in_a_str_is_joined_into_its_character():
    result = declutter("<p>A story about a cat: \ud83d\ude3a, which the whole town now knows.</p>")
    assert "\U0001f63a" in result.text


def test_lone_surrogates_from_json_lines_reach_no_output_raw(tmp_path):
    path = tmp_path / "pages.jsonl"
    path.write_text(json.dumps({"html": "<html><body><p>Text \ud800 and the rest of the sentence."
                                        "</p></body></html>",
                                "url": "https://a.example/\udcff"}) + "\n")
    result = run("-f", "jsonl", path)
    assert_clean(result, 0)
    [record] = records(result)
    assert record["url"] == "https://a.example/\ufffd"
    assert record["text"] == "Text \ufffd and the rest of the sentence."


# --------------------------------------------------------------------------- 8. the smaller ones


#: The command as a terminal starts it: a CI shell may start its children with
#: SIGINT or SIGHUP ignored, which Python and declutter then leave ignored.
DEFAULT_SIGNALS_THEN_CLI = (
    "import runpy, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "signal.signal(signal.SIGHUP, signal.SIG_DFL)\n"
    "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
    "sys.argv[0] = 'declutter'\n"
    "runpy.run_module('boilerplate.cli', run_name='__main__')\n"
)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("name,code", [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_stop_signal_ends_a_run_like_ctrl_c(tmp_path, name, code):
    folder = tmp_path / "pages"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.html").write_bytes(PAGE)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-c", DEFAULT_SIGNALS_THEN_CLI, "-j", "2", "-f", "jsonl", "-o", str(out),
            *[str(folder)] * 2000]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "TMPDIR": str(scratch)})
    deadline = time.monotonic() + 120
    while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(getattr(signal, name))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr[-2000:]
    said = "interrupted" if name == "SIGINT" else f"stopped by {name}"
    assert stderr.splitlines() == [f"declutter: {said}"]
    assert list(scratch.iterdir()) == []  # multiprocessing's folder and sockets are gone


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_nohup_keeps_sighup_ignored(tmp_path):
    code = ("import signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
            "from boilerplate.cli import _stop_signals\n"
            "with _stop_signals():\n"
            "    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN\n"
            "    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL\n")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


def test_newlines_and_terminal_escapes_in_names_are_escaped_on_stderr(tmp_path):
    result = run(tmp_path / "a\nb\x1b]0;owned\x07.html", tmp_path / "c\u2028d.html")
    assert_clean(result, 1)
    assert result.stderr.splitlines() == [
        f"declutter: {tmp_path}/a\\x0ab\\x1b]0;owned\\x07.html: no such file",
        f"declutter: {tmp_path}/c\\u2028d.html: no such file",
        "declutter: 2 pages: 0 ok, 0 empty, 2 failed",
    ]


def test_warc_garbage_reaches_stderr_escaped(tmp_path):
    data = warc_bytes([("https://a.example/", b"\x89PNG\r\n\x1a\n")], gz=False)
    data = data.replace(b"WARC-Record-ID: <urn:uuid:", b"WARC-Record-ID: <urn:\x1b[2J\x07:", 1)
    path = tmp_path / "odd.warc"
    path.write_bytes(data.replace(b"image/png", b"text/html"))
    result = run(path)
    assert_clean(result, 1)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"declutter: {path}#urn:\\x1b[2J\\x07:") and "\x1b" not in line


@pytest.mark.parametrize("damage", [b"", b"WARC/1.0\r\nWARC-Type: response\r\n", b"not a warc at all",
                                    gzip.compress(b"WARC/1.0\r\n")[:-4]])
def test_damaged_warcs_are_told_in_words_never_as_internal_errors(tmp_path, damage):
    path = tmp_path / "bad.warc"
    path.write_bytes(damage)
    [page] = read_inputs([str(path)])
    assert page.error and "internal error" not in page.error and "ArchiveLoadFailed" not in page.error


@pytest.mark.parametrize("count,words", [(1, "1 response record that is"), (2, "2 response records that are")])
def test_the_note_on_skipped_records_agrees_in_number(tmp_path, count, words):
    path = tmp_path / "mixed.warc"
    path.write_bytes(warc_bytes([("https://a.example/", PAGE)], gz=False)
                     + warc_bytes([("https://a.example/i.png", b"\x89PNG")] * count, gz=False,
                                  headers=[("Content-Type", "image/png")]))
    notes = []
    list(read_inputs([str(path)], on_note=lambda *note: notes.append(note)))
    assert notes == [(str(path), f"skipped {words} not HTML")]


def test_cli_max_bytes_below_0_is_a_usage_error_at_once():
    result = run("--max-bytes", "-1", PAGES / "paywall.html")
    assert result.exit_code == 2 and "--max-bytes" in result.output


def test_nesting_past_the_parsers_limit_is_refused_as_the_readme_says():
    deep = "<p>Before.</p>" + "<div>" * 3000 + "Deep." + "</div>" * 3000 + "<p>After.</p>"
    with pytest.raises(InputError, match="2,048"):
        declutter(deep)
    shallow = "<p>Before.</p>" + "<div>" * 2000 + "Deep." + "</div>" * 2000 + "<p>After.</p>"
    assert [line.text for line in declutter(shallow).lines] == ["Before.", "Deep.", "After."]
    readme = (REPO / "README.md").read_text()
    assert "2,048" in readme and "100,000 nested elements" not in readme


def test_a_subfolder_that_cannot_be_listed_is_an_error_record(tmp_path, monkeypatch):
    (tmp_path / "a.html").write_bytes(PAGE)
    (tmp_path / "locked").mkdir()
    real = os.walk

    def walk(top, onerror=None, **kw):  # as root, chmod cannot lock a folder: say it failed
        for root, dirs, files in real(top, onerror=onerror, **kw):
            if root.endswith("locked"):
                onerror(PermissionError(13, "Permission denied", root))
                continue
            yield root, dirs, files

    monkeypatch.setattr(os, "walk", walk)
    pages = list(read_inputs([str(tmp_path)]))
    assert [(p.source, p.error) for p in pages] == [
        (str(tmp_path / "a.html"), None),
        (str(tmp_path / "locked"), "unreadable folder: permission denied"),
    ]


def test_site_memory_that_cannot_write_its_temporary_file_is_one_line(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    result = run("--site-memory", PAGES / "paywall.html", PAGES / "wire_service.html")
    assert_clean(result, 1)
    assert result.stderr == ("declutter: site memory's temporary file: "
                             "no such file or directory\n")
