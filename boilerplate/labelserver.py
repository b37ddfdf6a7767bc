"""``declutter label``: the labelling page, served by the standard library on 127.0.0.1 only.

Each page is annotated afresh when it is opened (``annotate.annotate``, with
the labels saved beside it), so a reload shows what the labels file holds.
Save posts the labels back; the server writes ``NAME.labels.jsonl`` beside
the page. Nothing but the page's own lines is served: the HTML, CSS and
script are inline, and the page's Content-Security-Policy forbids loading
anything else.

A save must carry the session's random token in a header (a page of another
site cannot set one without a CORS preflight, which this server never
grants) and the digest of the lines it labelled (the page or the model may
have changed since it was opened), and requests must name this server's own
host (no DNS rebinding).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import sys
import webbrowser
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from .annotate import (
    PAGE_SUFFIXES,
    PageView,
    annotate,
    labels_path,
    read_labels,
    render,
    write_labels,
)
from .errors import BoilerplateError, InputError

__all__ = ["LabelSession", "page_files", "run", "serve"]

HOST = "127.0.0.1"
#: The largest save accepted: a page's labels are about 15 bytes a line.
MAX_SAVE_BYTES = 8 << 20
_PAGE = re.compile(r"/page/(\d+)")
_SAVE = re.compile(r"/page/(\d+)/save")


def page_files(paths: Sequence[str | Path]) -> list[Path]:
    """The pages to label: files as given, and the page files of folders (sorted, not recursive).

    Raises:
        InputError: for a path that does not exist, or when no page is found.
    """
    pages: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            pages += sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES and not p.name.startswith("."))
        elif path.is_file():
            pages.append(path)
        else:
            raise InputError(f"no such file or folder: {path}")
    if not pages:
        raise InputError("no page to label (pages are " + ", ".join(f"*{s}" for s in PAGE_SUFFIXES) + ")")
    return pages


def lines_digest(view: PageView) -> str:
    """A short digest of a view's line texts: a save must label the lines the server would."""
    digest = hashlib.sha256()
    for line in view.lines:
        digest.update(line.text.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()[:16]


@dataclass
class LabelSession:
    """The pages being labelled and how to annotate them."""

    pages: list[Path]
    kind: str = "auto"
    model: str | None = None
    threshold: float | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def view(self, number: int) -> PageView:
        """Page ``number`` annotated, with the labels saved beside it.

        Raises:
            InputError, ModelError: when the page or the model cannot be read.
        """
        page = self.pages[number]
        return annotate(page.read_bytes(), name=page.name, kind=self.kind, model=self.model,
                        threshold=self.threshold, labels=read_labels(labels_path(page)))

    def page_html(self, number: int) -> str:
        """The labelling page of page ``number``."""
        view = self.view(number)
        return render(view, script=_script(), nav=self._nav(number), token=self.token,
                      save=f"/page/{number}/save?digest={lines_digest(view)}")

    def save(self, number: int, labels: Sequence[str], digest: str) -> Path:
        """Write page ``number``'s labels beside it.

        Raises:
            ValueError: when the labels are not for the lines the page has now.
        """
        view = self.view(number)
        if digest != lines_digest(view):
            raise ValueError("the page's lines changed since it was opened: reload it and label again")
        return write_labels(labels_path(self.pages[number]), view, labels)

    def _nav(self, number: int) -> str:
        """Links to the previous and next pages, when there are several."""
        if len(self.pages) < 2:
            return ""
        links = [f'<span class="nav">page {number + 1} of {len(self.pages)}']
        if number > 0:
            links.append(f'<a href="/page/{number - 1}" rel="prev">&lsaquo; {html.escape(self.pages[number - 1].name)}</a>')
        if number + 1 < len(self.pages):
            links.append(f'<a href="/page/{number + 1}" rel="next">{html.escape(self.pages[number + 1].name)} &rsaquo;</a>')
        return " ".join(links) + "</span>"


def _script() -> str:
    """The labelling script shipped in boilerplate/templates."""
    return resources.files("boilerplate").joinpath("templates").joinpath("label.js").read_text(encoding="utf-8")


class _Server(ThreadingHTTPServer):
    """An HTTP server that knows its labelling session."""

    daemon_threads = True

    def __init__(self, session: LabelSession, port: int) -> None:
        super().__init__((HOST, port), _Handler)
        self.session = session

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        return f"http://{HOST}:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    """GET a page's labelling page; POST its labels."""

    server: _Server

    def do_GET(self) -> None:
        """The first page, a page's labelling page, or 404."""
        if not self._own_host():
            return
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", location="/page/0")
            return
        match = _PAGE.fullmatch(path)
        if match is None or int(match[1]) >= len(self.server.session.pages):
            self._error(HTTPStatus.NOT_FOUND, "no such page")
            return
        try:
            body = self.server.session.page_html(int(match[1]))
        except BoilerplateError as exc:
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc))
            return
        self._send(HTTPStatus.OK, body.encode("utf-8"), "text/html; charset=utf-8")

    def do_POST(self) -> None:
        """Save a page's labels: {"labels": ["content" | "boilerplate", ...]}."""
        if not self._own_host():
            return
        path, _, query = self.path.partition("?")
        match = _SAVE.fullmatch(path)
        session = self.server.session
        if match is None or int(match[1]) >= len(session.pages):
            self._error(HTTPStatus.NOT_FOUND, "no such page")
            return
        if not secrets.compare_digest(self.headers.get("X-Declutter-Token", ""), session.token):
            self._error(HTTPStatus.FORBIDDEN, "this page was not served by this labelling session")
            return
        try:
            labels = self._labels()
            written = session.save(int(match[1]), labels, query.removeprefix("digest="))
        except (ValueError, BoilerplateError, OSError) as exc:
            self._error(HTTPStatus.CONFLICT, str(exc))
            return
        self._json(HTTPStatus.OK, {"path": str(written), "lines": len(labels)})

    def _labels(self) -> list[str]:
        """The labels of a save request's JSON body.

        Raises:
            ValueError: for a body that is too large, not JSON, or not a list of labels.
        """
        size = int(self.headers.get("Content-Length") or 0)
        if not 0 < size <= MAX_SAVE_BYTES:
            raise ValueError("a save needs a JSON body of at most 8 MiB")
        body: Any = json.loads(self.rfile.read(size))
        labels = body.get("labels") if isinstance(body, dict) else None
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise ValueError('a save is {"labels": ["content" or "boilerplate", ...]}')
        return labels

    def _own_host(self) -> bool:
        """True when the request names this server (a rebound DNS name gets 421)."""
        port = self.server.server_address[1]
        if self.headers.get("Host") in (f"{HOST}:{port}", f"localhost:{port}"):
            return True
        self._error(HTTPStatus.MISDIRECTED_REQUEST, "ask 127.0.0.1 for this page")
        return False

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._json(status, {"error": message})

    def _json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, location: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the address and errors, not every request."""


def serve(session: LabelSession, *, port: int = 0) -> _Server:
    """A labelling server bound to 127.0.0.1 (``port`` 0: a free one), not yet serving."""
    return _Server(session, port)


def run(session: LabelSession, *, port: int = 0, open_browser: bool = True) -> None:
    """Serve the labelling page until Ctrl-C; print its address, and open it in a browser."""
    with serve(session, port=port) as server:
        count = len(session.pages)
        print(f"declutter: labelling {count} page{'s' if count != 1 else ''} at {server.url} "
              "(Ctrl-C to stop)", file=sys.stderr, flush=True)
        if open_browser:
            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("declutter: labelling server stopped", file=sys.stderr)
