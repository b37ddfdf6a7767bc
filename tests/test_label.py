"""declutter label: the labelling server, and the page driven end to end in headless Chromium.

The browser tests drive Debian's ``chromium`` through ``chromedriver`` over the
W3C WebDriver protocol, which is plain JSON over HTTP: ``WebDriver`` below is
its few calls written with urllib, so the tests need no Python package beyond
the standard library (CI installs chromium and chromium-driver with apt; where
they are absent the browser tests skip and say why).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PAGES, REPO, html_page

from boilerplate.annotate import HAND_REASON, annotate
from boilerplate.labelserver import LabelSession, lines_digest, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium tests need chromium and chromedriver on PATH "
    "(Debian: apt-get install chromium chromium-driver; .ci/run installs them)")
#: Seconds to wait for the browser or the server to do something.
WAIT = 20.0

STORY = html_page(
    "<nav><ul><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li><li><a href='/s'>Sport</a></li></ul></nav>"
    "<article><h1>Harbour reopens after the storm</h1><div class='body'><p>"
    + "The harbour reopened on Monday after a week of repairs to the sea wall and the quays. " * 4
    + "</p><p>" + "Fishing boats went out at dawn, and the ferry ran to its usual timetable. " * 4
    + "</p></div></article><aside class='ranking'><h2>Most read</h2><ol><li><a href='/a'>Most read one</a>"
    "</li><li><a href='/b'>Most read two</a></li><li><a href='/c'>Most read three</a></li></ol></aside>")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder of two pages to label: a synthetic story and one of our fixtures."""
    (tmp_path / "story.html").write_text(STORY, encoding="utf-8")
    shutil.copy(PAGES / "japannews_like.html", tmp_path / "japannews_like.html")
    return tmp_path


@pytest.fixture
def server(site: Path) -> Iterator[Any]:
    """A labelling server for the site's pages, serving from a thread."""
    session = LabelSession(sorted(site.glob("*.html")))
    with serve(session) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield httpd
        httpd.shutdown()
        thread.join(WAIT)


def _request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, JSON or text body) of an HTTP request; errors are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            body, status, kind = response.read(), response.status, response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        body, status, kind = exc.read(), exc.code, exc.headers.get_content_type()
    text = body.decode("utf-8")
    return status, json.loads(text) if kind == "application/json" else text


# -- the server, without a browser -------------------------------------------------------------


def test_server_listens_on_loopback_only_on_a_free_port(server: Any) -> None:
    host, port = server.server_address[:2]
    assert host == "127.0.0.1" and port > 0
    status, page = _request(server.url)  # / redirects to the first page
    assert status == 200 and 'data-mode="label"' in page and "japannews_like.html" in page


def test_save_needs_the_session_token_the_lines_digest_and_labels_that_fit(server: Any, site: Path) -> None:
    session: LabelSession = server.session
    view = session.view(1)  # story.html
    labels = [line.label for line in view.lines]
    save = f"{server.url}page/1/save?digest={lines_digest(view)}"
    body = json.dumps({"labels": labels}).encode()
    json_type = {"Content-Type": "application/json"}
    assert _request(save, data=body, headers=json_type)[0] == 403  # no token: not our page
    token = {**json_type, "X-Declutter-Token": session.token}
    stale = save.replace(lines_digest(view), "0" * 16)
    assert _request(stale, data=body, headers=token)[0] == 409  # the lines changed since
    short = json.dumps({"labels": labels[:-1]}).encode()
    assert _request(save, data=short, headers=token)[0] == 409
    assert not (site / "story.labels.jsonl").exists()
    status, answer = _request(save, data=body, headers=token)
    assert status == 200 and answer["lines"] == len(labels)
    assert Path(answer["path"]) == site / "story.labels.jsonl"


def test_requests_naming_another_host_are_refused(server: Any) -> None:
    """A DNS name rebound to 127.0.0.1 must not reach the pages (or save)."""
    port = server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
        conn.sendall(b"GET /page/0 HTTP/1.1\r\nHost: evil.example:%d\r\nConnection: close\r\n\r\n" % port)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith((b"HTTP/1.0 421", b"HTTP/1.1 421"))


def test_unknown_pages_are_404(server: Any) -> None:
    assert _request(f"{server.url}page/7")[0] == 404
    assert _request(f"{server.url}nothing")[0] == 404


def test_label_command_serves_until_ctrl_c(site: Path) -> None:
    """`declutter label --no-browser` prints its address, serves, and ends cleanly on Ctrl-C."""
    proc = subprocess.Popen([sys.executable, "-m", "boilerplate.cli", "label", "--no-browser", str(site)],
                            cwd=REPO, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        match = re.search(r"labelling 2 pages at (http://127\.0\.0\.1:\d+/)", first)
        assert match, first
        assert _request(match[1])[0] == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(WAIT) == 0
        assert "stopped" in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()


def test_label_command_fails_in_one_line_without_pages(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "boilerplate.cli", "label", "--no-browser", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=WAIT * 3, check=False)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "no page to label" in done.stderr


# -- the page in headless Chromium -------------------------------------------------------------


class WebDriver:
    """The few W3C WebDriver calls the tests make, to a chromedriver it starts (urllib and JSON)."""

    ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference

    def __init__(self, tmp_path: Path) -> None:
        with socket.socket() as probe:  # a free port for chromedriver
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(tmp_path / "chromedriver.log", "w")  # noqa: SIM115 - closed in quit()
        self.proc = subprocess.Popen([str(CHROMEDRIVER), f"--port={port}"], stdout=self.log, stderr=self.log)
        self._wait_ready()
        options = {"binary": CHROMIUM, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1200,900", f"--user-data-dir={tmp_path / 'profile'}"]}
        self.session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})["sessionId"]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                if self._call("GET", "/status")["ready"]:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("chromedriver did not start")

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=WAIT * 3) as response:
                return json.load(response)["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"WebDriver {method} {path}: {exc.read().decode()[:500]}") from None

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """A command of this browser session."""
        return self._call(method, f"/session/{self.session}{path}", payload)

    def get(self, url: str) -> None:
        """Open a URL and wait for it to load."""
        self.call("POST", "/url", {"url": url})

    def script(self, source: str, *args: Any) -> Any:
        """Run a function body in the page; its return value."""
        return self.call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def find(self, css: str) -> str:
        """The element id of the first match of a CSS selector."""
        return self.call("POST", "/element", {"using": "css selector", "value": css})[self.ELEMENT]

    def click(self, css: str) -> None:
        """Click the first match of a CSS selector (as a user's pointer would)."""
        self.call("POST", f"/element/{self.find(css)}/click", {})

    def keys(self, text: str) -> None:
        """Type keys on the page (to whatever has the focus: the page's own key handler)."""
        actions = [a for key in text for a in ({"type": "keyDown", "value": key}, {"type": "keyUp", "value": key})]
        self.call("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})

    def until(self, source: str, *args: Any) -> Any:
        """Wait until a script returns something true; return it."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            value = self.script(source, *args)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for: {source}")

    def screenshot(self) -> bytes:
        """The visible part of the page as PNG."""
        import base64

        return base64.b64decode(self.call("GET", "/screenshot"))

    def quit(self) -> None:
        """End the browser session and chromedriver."""
        try:
            self.call("DELETE", "")
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium under chromedriver."""
    driver = WebDriver(tmp_path)
    try:
        yield driver
    finally:
        driver.quit()


LABELS = "return Array.from(document.querySelectorAll('.line')).map(l => l.dataset.label);"
BLOCK_LABELS = ("return Array.from(document.querySelectorAll(`.block[data-block='${arguments[0]}'] .line`))"
                ".map(l => l.dataset.label);")


def _saved(path: Path) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines()]


@needs_chromium
def test_open_flip_a_line_flip_a_block_save(server: Any, site: Path, browser: WebDriver) -> None:
    """The whole labelling loop in a real browser; the file holds what the page showed."""
    browser.get(f"{server.url}page/1")  # story.html
    assert browser.script("return document.body.dataset.mode;") == "label"
    view = annotate(STORY, name="story.html")
    before = browser.script(LABELS)
    assert before == [line.label for line in view.lines]

    # Flip one line with a click: it changes, and is marked as labelled by hand.
    browser.click("#l0 .text")
    after_click = browser.script(LABELS)
    assert after_click[0] != before[0] and after_click[1:] == before[1:]
    assert "changed" in browser.script("return document.getElementById('l0').className;")

    # Flip a whole block (the ranking widget: several lines) with its bar.
    ranking = next(line.block for line in view.lines if line.text == "Most read two")
    members = [i for i, line in enumerate(view.lines) if line.block == ranking]
    assert len(members) >= 3
    browser.click(f".block[data-block='{ranking}'] .flip-block")
    block_labels = browser.script(BLOCK_LABELS, str(ranking))
    assert len(set(block_labels)) == 1 and block_labels[0] == "content"  # none was content: all become content

    # The keyboard: j moves to the next line, space flips it.
    browser.keys("j ")
    expected = browser.script(LABELS)
    assert expected[1] != before[1]

    # Save (the button), and wait for the page to say so.
    browser.click("#save")
    browser.until("return document.body.dataset.saved === '1';")
    assert "saved" in browser.script("return document.getElementById('status').textContent;")
    records = _saved(site / "story.labels.jsonl")
    assert [r["text"] for r in records] == [line.text for line in view.lines]
    assert [r["label"] for r in records] == expected
    assert all(set(r) == {"text", "label", "score", "reason"} for r in records)
    for record, line in zip(records, view.lines):
        assert record["score"] == line.score
        assert record["reason"].startswith(HAND_REASON) == (record["label"] != line.model_label)

    # A reload shows the saved labels, not the model's.
    browser.get(f"{server.url}page/1")
    assert browser.script(LABELS) == expected


@needs_chromium
def test_keyboard_block_flip_and_save_key(server: Any, site: Path, browser: WebDriver) -> None:
    """b flips the block under the cursor, s saves: a page labelled without the mouse."""
    browser.get(f"{server.url}page/1")
    view = annotate(STORY, name="story.html")
    browser.keys("j")  # the cursor on the first line, then the key flips its whole block
    first_block = [i for i, line in enumerate(view.lines) if line.block == view.lines[0].block]
    browser.keys("b")
    labels = browser.script(LABELS)
    flipped = {labels[i] for i in first_block}
    assert len(flipped) == 1
    browser.keys("s")
    browser.until("return document.body.dataset.saved === '1';")
    assert [r["label"] for r in _saved(site / "story.labels.jsonl")] == labels


@needs_chromium
def test_page_loads_nothing_from_elsewhere_and_shows_no_error(server: Any, browser: WebDriver) -> None:
    """Everything is inline; the script runs without errors on a real fixture page."""
    browser.get(f"{server.url}page/0")  # japannews_like.html
    resources = browser.script("return performance.getEntriesByType('resource').map(r => r.name);")
    assert resources == []
    assert browser.script("return document.querySelectorAll('.line').length;") > 20
    browser.click(".line.drop .text")
    assert browser.script("return document.getElementById('status').textContent;") == "unsaved changes"


def test_screenshot_path_is_documented() -> None:
    """The README's screenshot of the labelling page is in the repository."""
    assert (REPO / "docs" / "label.png").is_file()
    assert "docs/label.png" in (REPO / "README.md").read_text(encoding="utf-8")


if os.environ.get("DECLUTTER_LABEL_SCREENSHOT"):  # regenerate docs/label.png: see README
    @needs_chromium
    def test_write_the_readme_screenshot(server: Any, browser: WebDriver) -> None:
        """Not a test: writes docs/label.png from a fixture page (DECLUTTER_LABEL_SCREENSHOT=1)."""
        browser.get(f"{server.url}page/0")
        first = browser.script("return Array.from(document.querySelectorAll('.line'))"
                               ".findIndex(l => l.classList.contains('keep'));")
        browser.click(f"#l{first - 1} .text")  # a line labelled by hand: the date line before the story
        browser.script("const header = document.querySelector('header').offsetHeight;"
                       "const block = document.getElementById(arguments[0]).closest('.block');"
                       "window.scrollTo(0, block.offsetTop - header - 90);", f"l{first - 1}")
        (REPO / "docs" / "label.png").write_bytes(browser.screenshot())
