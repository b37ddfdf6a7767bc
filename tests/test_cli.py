"""The ``declutter`` command, through typer's CliRunner (plus one real subprocess).

Runs in this process (``-j 1``) unless a test says otherwise: the worker pool
has its own tests in test_batch.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import PAGES, REPO, fixture_bytes
from typer.testing import CliRunner

import boilerplate
from boilerplate import __version__, declutter, load_model
from boilerplate.cli import app

ARTICLE = PAGES / "wire_service.html"
OTHER = PAGES / "paywall.html"
TEXT_PAGE = PAGES / "text_science_news.txt"

PAGE_KEYS = {"source", "url", "text", "title", "date", "engine", "model_version", "kind"}
LINE_KEYS = {"text", "label", "score", "reason"}


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args, input=None, jobs: int | None = 1):
        argv = [str(a) for a in args]
        if jobs is not None and "--version" not in argv:
            argv = ["--jobs", str(jobs), *argv]
        return runner.invoke(app, argv, input=input)

    return invoke


def assert_clean_failure(result, code=1):
    """Exit ``code``, nothing raised out of the app, no traceback anywhere."""
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def stderr_lines(result) -> list[str]:
    return result.stderr.splitlines()


def summary(total: int, ok: int, empty: int, failed: int) -> str:
    return f"declutter: {total} pages: {ok} ok, {empty} empty, {failed} failed"


def assert_line_record(rec: dict) -> None:
    assert LINE_KEYS <= set(rec)
    assert isinstance(rec["text"], str) and rec["text"]
    assert rec["label"] in ("content", "boilerplate")
    assert 0.0 <= rec["score"] <= 1.0
    assert rec["reason"].startswith("kept:" if rec["label"] == "content" else "dropped:")


# --------------------------------------------------------------------------- formats


def test_file_input_prints_the_body(cli):
    result = cli(ARTICLE)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == declutter(ARTICLE.read_bytes()).text + "\n"
    assert "Altavista" in result.stdout


def test_stdin_dash(cli):
    raw = fixture_bytes("wire_service")
    result = cli("-", input=raw)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == declutter(raw).text + "\n"


def test_stdin_is_named_in_records(cli):
    result = cli("--format", "jsonl", "-", input=fixture_bytes("wire_service"))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["source"] == "<stdin>"


def test_format_markdown(cli):
    expected = declutter(ARTICLE.read_bytes())
    result = cli("--format", "markdown", ARTICLE)
    assert result.exit_code == 0, result.stderr
    assert expected.title
    assert result.stdout == "\n\n".join([f"# {expected.title}", *expected.paragraphs]) + "\n"


def test_format_json_one_page(cli):
    expected = declutter(ARTICLE.read_bytes())
    result = cli("-f", "json", ARTICLE)
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)  # a list, as for several pages
    assert set(record) == PAGE_KEYS | {"lines"}
    assert record["source"] == str(ARTICLE)
    assert record["text"] == expected.text
    assert record["engine"] == "model"
    assert record["model_version"] == load_model().version
    assert record["kind"] == "html"
    assert record["title"] == expected.title
    assert [ln["text"] for ln in record["lines"]] == [r.text for r in expected.lines]
    for ln in record["lines"]:
        assert set(ln) == LINE_KEYS
        assert_line_record(ln)


def test_format_json_many_pages_is_a_list(cli):
    result = cli("--format", "json", ARTICLE, OTHER)
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["source"] for r in records] == [str(ARTICLE), str(OTHER)]
    assert records[1]["text"] == declutter(OTHER.read_bytes()).text


def test_format_jsonl_is_one_record_per_page(cli):
    result = cli("--format", "jsonl", ARTICLE, TEXT_PAGE)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(row) for row in result.stdout.splitlines()]
    assert [r["source"] for r in records] == [str(ARTICLE), str(TEXT_PAGE)]
    for rec, path in zip(records, (ARTICLE, TEXT_PAGE)):
        assert set(rec) == PAGE_KEYS  # no lines unless asked for
        assert rec["text"] == declutter(path.read_bytes()).text
    assert [r["kind"] for r in records] == ["html", "text"]


def test_format_jsonl_with_lines(cli):
    expected = declutter(ARTICLE.read_bytes())
    result = cli("--format", "jsonl", "--lines", ARTICLE)
    assert result.exit_code == 0, result.stderr
    (record,) = [json.loads(row) for row in result.stdout.splitlines()]
    assert len(record["lines"]) == len(expected.lines)
    for rec, line in zip(record["lines"], expected.lines):
        assert_line_record(rec)
        assert (rec["text"], rec["label"], rec["score"]) == (line.text, line.label.value, line.score)


def test_format_lines_is_one_record_per_line(cli):
    expected = declutter(ARTICLE.read_bytes())
    result = cli("--format", "lines", ARTICLE)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(row) for row in result.stdout.splitlines()]
    assert len(records) == len(expected.lines)
    for rec, line in zip(records, expected.lines):
        assert set(rec) == LINE_KEYS  # the schema of fixtures/labels/*.jsonl, plus score/reason
        assert_line_record(rec)
        assert (rec["text"], rec["label"], rec["score"]) == (line.text, line.label.value, line.score)


def test_format_lines_many_pages_names_the_source(cli):
    result = cli("--format", "lines", ARTICLE, TEXT_PAGE)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(row) for row in result.stdout.splitlines()]
    assert {r["source"] for r in records} == {str(ARTICLE), str(TEXT_PAGE)}


def test_many_pages_in_text_format_get_headers_and_a_summary(cli):
    result = cli(ARTICLE, OTHER)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"==> {ARTICLE} <==\n{declutter(ARTICLE.read_bytes()).text}\n\n"
        f"==> {OTHER} <==\n{declutter(OTHER.read_bytes()).text}\n\n"
    )
    assert stderr_lines(result) == [summary(2, 2, 0, 0)]


def test_unknown_format_is_a_usage_error(cli):
    result = cli("--format", "xml", ARTICLE)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- options


def test_engine_trafilatura(cli):
    result = cli("--engine", "trafilatura", "--format", "json", ARTICLE)
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)
    assert record["engine"] == "trafilatura"
    assert record["model_version"] is None
    assert "Altavista" in record["text"]


def test_engine_trafilatura_refuses_text_input(cli):
    result = cli("--engine", "trafilatura", "--kind", "text", ARTICLE)
    assert_clean_failure(result)
    assert result.stdout == ""
    (line,) = stderr_lines(result)
    assert line.startswith(f"declutter: {ARTICLE}: ")
    assert "trafilatura" in line


def test_kind_text(cli):
    result = cli("--kind", "text", "--format", "json", ARTICLE)
    assert result.exit_code == 0, result.stderr
    (record,) = json.loads(result.stdout)
    assert record["kind"] == "text"
    assert record["lines"][0]["text"].startswith("<")  # markup is kept as text


def test_threshold(cli):
    raw = ARTICLE.read_bytes()
    for threshold in ("0", "0.3", "0.95"):
        result = cli("--threshold", threshold, ARTICLE)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == declutter(raw, threshold=float(threshold)).text + "\n"
    everything = cli("--threshold", "0", "--format", "lines", ARTICLE)
    for rec in map(json.loads, everything.stdout.splitlines()):
        assert rec["label"] == "content" or rec["reason"] == "dropped: date/time line"


def test_threshold_out_of_range_is_a_usage_error(cli):
    assert cli("--threshold", "1.5", ARTICLE).exit_code == 2


@pytest.mark.parametrize("inputs", [1, 2])
def test_bad_model_path_is_one_line(cli, tmp_path, inputs):
    result = cli("--model", tmp_path / "missing.joblib", *[ARTICLE, OTHER][:inputs])
    assert_clean_failure(result)
    assert result.stdout == ""
    lines = stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("declutter: ")
    assert "missing.joblib" in lines[0]


def test_garbage_model_file(cli, tmp_path):
    bad = tmp_path / "garbage.joblib"
    bad.write_bytes(b"not a model")
    result = cli("--model", bad, ARTICLE)
    assert_clean_failure(result)
    assert len(stderr_lines(result)) == 1


def test_max_bytes(cli):
    result = cli("--max-bytes", "100", ARTICLE)
    assert_clean_failure(result)
    (line,) = stderr_lines(result)
    assert line.startswith(f"declutter: {ARTICLE}: ")
    assert "max_bytes" in line


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    fast = [name for name, on in boilerplate.speedups().items() if on]
    compiled = ", ".join(fast) or "none, pure Python"
    assert result.stdout == (f"declutter {__version__} (model {load_model().version}; "
                             f"C speed-ups: {compiled})\n")


def test_version_names_no_speed_up_under_pure_python():
    env = {**os.environ, "DECLUTTER_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-m", "boilerplate.cli", "--version"], env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.rstrip().endswith("; C speed-ups: none, pure Python)")


# --------------------------------------------------------------------------- failures


def test_missing_file_does_not_stop_the_others(cli, tmp_path):
    missing = tmp_path / "nope.html"
    result = cli(ARTICLE, missing, OTHER)
    assert_clean_failure(result)
    assert stderr_lines(result) == [f"declutter: {missing}: no such file", summary(3, 2, 0, 1)]
    assert declutter(ARTICLE.read_bytes()).text in result.stdout
    assert declutter(OTHER.read_bytes()).text in result.stdout
    assert str(missing) not in result.stdout


def test_missing_file_is_an_error_record_in_jsonl(cli, tmp_path):
    missing = tmp_path / "nope.html"
    result = cli("--format", "jsonl", missing, ARTICLE)
    assert_clean_failure(result)
    error, good = [json.loads(row) for row in result.stdout.splitlines()]
    assert error == {"source": str(missing), "url": None, "error": "no such file"}
    assert good["source"] == str(ARTICLE) and good["text"]


def test_missing_file_alone(cli, tmp_path):
    missing = tmp_path / "nope.html"
    result = cli(missing)
    assert_clean_failure(result)
    assert result.stdout == ""
    assert stderr_lines(result) == [f"declutter: {missing}: no such file"]


def test_directory_without_pages_is_an_error(cli, tmp_path):
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.7")
    result = cli(tmp_path)
    assert_clean_failure(result)
    assert result.stdout == ""
    (line,) = stderr_lines(result)
    assert line.startswith(f"declutter: {tmp_path}: folder has no input files")


def test_directory_of_pages_is_read(cli, tmp_path):
    (tmp_path / "a.html").write_bytes(ARTICLE.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_bytes(TEXT_PAGE.read_bytes())
    result = cli("--format", "jsonl", tmp_path)
    assert result.exit_code == 0, result.stderr
    sources = [json.loads(row)["source"] for row in result.stdout.splitlines()]
    assert sources == [str(tmp_path / "a.html"), str(tmp_path / "sub" / "b.txt")]


def test_no_input_is_a_usage_error(cli):
    assert cli().exit_code == 2


def test_empty_file(cli, tmp_path):
    # An empty page is an input error: one line on stderr, the other inputs still run.
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = cli(empty, ARTICLE)
    assert_clean_failure(result)
    assert stderr_lines(result) == [f"declutter: {empty}: empty input", summary(2, 1, 0, 1)]
    assert declutter(ARTICLE.read_bytes()).text in result.stdout
    alone = cli(empty)
    assert_clean_failure(alone)
    assert alone.stdout == ""
    assert stderr_lines(alone) == [f"declutter: {empty}: empty input"]


def test_page_without_body_prints_a_warning(cli, tmp_path):
    page = tmp_path / "scripts.html"
    page.write_text("<html><body><script>var x = 1;</script></body></html>", encoding="utf-8")
    result = cli(page)
    assert result.exit_code == 0, result.stderr
    assert stderr_lines(result) == [f"declutter: {page}: warning: the page has no visible text"]


# --------------------------------------------------------------------------- real process


def test_python_m_boilerplate_cli_in_a_real_process(tmp_path):
    """The module entry point, default jobs, a good and a missing file."""
    missing = tmp_path / "nope.html"
    proc = subprocess.run(
        [sys.executable, "-m", "boilerplate.cli", "--format", "lines", str(ARTICLE), str(missing)],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [f"declutter: {missing}: no such file", summary(2, 1, 0, 1)]
    records = [json.loads(row) for row in proc.stdout.splitlines()]
    expected = declutter(ARTICLE.read_bytes())
    assert [(r["text"], r["label"], r["score"]) for r in records] == [
        (ln.text, ln.label.value, ln.score) for ln in expected.lines]
    assert all(r["source"] == str(ARTICLE) for r in records)


# --------------------------------------------------------------------------- conventions


@pytest.mark.parametrize("pages", [0, 1, 2])
def test_json_is_a_list_whatever_the_number_of_pages(cli, tmp_path, pages):
    rows = tmp_path / "pages.jsonl"  # an empty JSON Lines file holds no page
    rows.write_text("".join(json.dumps({"html": p.read_text(encoding="utf-8")}) + "\n"
                            for p in [ARTICLE, OTHER][:pages]), encoding="utf-8")
    result = cli("-f", "json", rows)
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    assert [r["text"] for r in records] == [declutter(p.read_bytes()).text
                                            for p in [ARTICLE, OTHER][:pages]]


def test_flags_have_a_negative_form_and_take_no_value(cli):
    plain = cli("-f", "jsonl", ARTICLE)
    assert cli("-f", "jsonl", "--lines", "--no-lines", ARTICLE).stdout == plain.stdout
    assert cli("-f", "jsonl", "--no-site-memory", ARTICLE).stdout == plain.stdout
    assert "lines" in json.loads(cli("-f", "jsonl", "--no-lines", "--lines", ARTICLE).stdout)
    refused = cli("--lines=true", ARTICLE)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert stderr_lines(refused) == ["declutter: option '--lines' does not take a value; "
                                     "try 'declutter --help'"]


@pytest.mark.parametrize("args, words", [
    (["--nope", "x"], "no such option: --nope"),
    (["--format", "xml", "x"], "invalid value for '--format'"),
    (["--threshold", "1.5", "x"], "invalid value for '--threshold'"),
    (["--jobs", "many", "x"], "invalid value for '--jobs'"),
    (["--threshold"], "option '--threshold' requires an argument"),
    ([], "no input given"),
])
def test_usage_errors_are_one_line_and_exit_2(cli, args, words):
    result = cli(*args, jobs=None)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = stderr_lines(result)
    assert line.startswith(f"declutter: {words}"), line
    assert line.endswith("; try 'declutter --help'")


def test_help_shows_flags_defaults_and_every_exit_status(cli):
    result = cli("--help", jobs=None)
    assert result.exit_code == 0
    text = result.stdout
    assert result.stdout.startswith("Usage: ") and "[OPTIONS] [INPUT]..." in text.splitlines()[0]
    assert "<bool>" not in text and "--lines / --no-lines" in text
    assert "--site-memory / --no-site-memory" in text
    flat = " ".join(text.split())
    assert f"[default: the model's own, {load_model().threshold:g} for the shipped model]" in flat
    assert "[default: the shipped model]" in flat and "[default: 50000000; x>=0]" in flat
    assert "[default: 60.0; x>=0.0]" in flat and "[default: text]" in flat
    statuses = text[text.index("Exit status:"):].split()
    for code in ("0", "1", "2", "130", "141", "143", "129"):
        assert code in statuses, code


def test_version_names_the_model_in_use(cli, tmp_path):
    from boilerplate.estimator import build_estimator
    from boilerplate.features import FEATURE_NAMES
    from boilerplate.model import save_model

    rng = np.random.default_rng(0)
    X = rng.random((200, len(FEATURE_NAMES)))
    path = tmp_path / "mine.joblib"
    stage1 = build_estimator(max_iter=3, min_samples_leaf=5).fit(X, X[:, 0] > 0.5)
    save_model({"stage1": stage1, "stage2": None}, path, {"threshold": 0.5})
    result = cli("--version", "--model", path)
    assert result.exit_code == 0, result.stderr
    assert f"(model {path}, {load_model(path).version}; " in result.stdout
    assert load_model(path).version != load_model().version
    broken = cli("--version", "--model", tmp_path / "missing.joblib")
    assert broken.exit_code == 1
    assert "model file not found" in broken.stdout


def test_a_closed_pipe_ends_the_run_quietly_with_status_141(tmp_path):
    """``declutter ... | head -1``: nothing on stderr, the status a shell reports for coreutils and git."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(40):  # well over a pipe's 64 KiB buffer of --format lines output
        (folder / f"{i:02}.html").write_bytes(ARTICLE.read_bytes())
    proc = subprocess.Popen([sys.executable, "-m", "boilerplate.cli", "-j", "1", "-f", "lines",
                             str(folder)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["text"]
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert stderr == b""
    shell = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m boilerplate.cli "
                            f"-j 1 -f lines {folder} | head -1 >/dev/null"],
                           cwd=REPO, capture_output=True, timeout=120)
    assert shell.returncode == 141 and shell.stderr == b""


def test_subcommands_can_join_the_default_command(cli, monkeypatch, tmp_path):
    """A command added with @app.command runs as `declutter NAME`, and `declutter PAGE` still runs."""
    import typer
    from typer.models import CommandInfo

    def hello(name: str) -> None:
        """Say hello (a stand-in for label, show, train)."""
        typer.echo(f"hello {name}")

    monkeypatch.setattr(app, "registered_commands",
                        [*app.registered_commands, CommandInfo(name="hello", callback=hello)])
    assert cli("hello", "you", jobs=None).stdout == "hello you\n"
    assert cli(ARTICLE).stdout == declutter(ARTICLE.read_bytes()).text + "\n"
    help_text = cli("--help", jobs=None).stdout
    assert "Commands (declutter COMMAND --help)" in help_text and "Say hello" in help_text
    (tmp_path / "hello").write_bytes(ARTICLE.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert cli("--", "hello", jobs=None).stdout == declutter(ARTICLE.read_bytes()).text + "\n"
