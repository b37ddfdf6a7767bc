"""The ``declutter`` command: a thin Typer adapter over ``boilerplate.declutter``."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .api import declutter
from .document import Extraction
from .engines import Engine
from .errors import BoilerplateError
from .segment import DEFAULT_MAX_BYTES

__all__ = ["app", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class OutputFormat(str, enum.Enum):
    """What the command prints."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    JSONL = "jsonl"


class InputKind(str, enum.Enum):
    """What the input is."""

    AUTO = "auto"
    HTML = "html"
    TEXT = "text"


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                  help="Print the article body of news pages (HTML or flattened text).")


def _version(value: bool) -> None:
    if value:
        from .model import load_model

        try:
            model = load_model().version
        except BoilerplateError as exc:
            model = f"unavailable ({exc})"
        typer.echo(f"declutter {__version__} (model {model})")
        raise typer.Exit()


@app.command()
def run(
    inputs: Annotated[list[str], typer.Argument(
        help="HTML or text files; '-' reads standard input.", show_default=False)],
    fmt: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="text: the body; markdown: title + paragraphs; json: one "
        "object per page; jsonl: one record per line (text, label, score, reason), the "
        "schema of our fixture labels.")] = OutputFormat.TEXT,
    engine: Annotated[Engine, typer.Option(help="model (ours) or trafilatura (baseline).")] = Engine.MODEL,
    kind: Annotated[InputKind, typer.Option(help="Input kind; auto detects HTML.")] = InputKind.AUTO,
    threshold: Annotated[Optional[float], typer.Option(
        min=0.0, max=1.0, help="Content probability needed to keep a line [default: the model's].",
        show_default=False)] = None,
    model: Annotated[Optional[Path], typer.Option(
        help="A model file made by training.train. joblib runs code when it loads: only "
        "use files you made yourself, never one downloaded from elsewhere.",
        show_default="shipped model")] = None,
    max_bytes: Annotated[int, typer.Option(
        help="Refuse inputs larger than this many bytes.")] = DEFAULT_MAX_BYTES,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show versions and exit.")] = False,
) -> None:
    """Print the article body of each input; one bad input never stops the others."""
    failed = 0
    pages = []
    for source in inputs:
        try:
            result = declutter(_read(source), url=None, kind=kind.value, engine=engine,
                               threshold=threshold, model=model, max_bytes=max_bytes)
        except (BoilerplateError, OSError, TypeError, ValueError) as exc:
            failed += 1
            typer.echo(f"declutter: {_name(source)}: {_one_line(exc)}", err=True)
            continue
        except Exception as exc:  # the CLI never shows a traceback
            failed += 1
            typer.echo(f"declutter: {_name(source)}: internal error: {_one_line(exc)}", err=True)
            continue
        for warning in result.warnings:
            typer.echo(f"declutter: {_name(source)}: warning: {warning}", err=True)
        pages.append((_name(source), result))
        if fmt is not OutputFormat.JSON:
            _emit(source, result, fmt, many=len(inputs) > 1)
    if fmt is OutputFormat.JSON and pages:
        records = [_record(name, r) for name, r in pages]
        typer.echo(json.dumps(records[0] if len(inputs) == 1 else records, ensure_ascii=False, indent=2))
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _read(source: str) -> bytes:
    """Bytes of a file, or of standard input for '-'."""
    if source == "-":
        return sys.stdin.buffer.read()
    path = Path(source)
    if path.is_dir():
        raise IsADirectoryError("is a directory")
    if not path.exists():
        raise FileNotFoundError("no such file")
    return path.read_bytes()


def _name(source: str) -> str:
    return "<stdin>" if source == "-" else source


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror.lower()
    else:
        text = str(exc) or exc.__class__.__name__
    return " ".join(text.split())


def _record(name: str, result: Extraction) -> dict:
    return {
        "source": name, "url": result.url, "title": result.title, "date": result.date,
        "text": result.text, "engine": result.engine, "model_version": result.model_version,
        "kind": result.kind,
        "lines": [{"text": l.text, "label": l.label.value, "score": l.score, "reason": l.reason}
                  for l in result.lines],
    }


def _emit(source: str, result: Extraction, fmt: OutputFormat, *, many: bool) -> None:
    """Print one page in a streaming format."""
    if fmt is OutputFormat.JSONL:
        for line in result.lines:
            rec = {"text": line.text, "label": line.label.value, "score": line.score,
                   "reason": line.reason}
            if many:
                rec["source"] = _name(source)
            typer.echo(json.dumps(rec, ensure_ascii=False))
        return
    if many:
        typer.echo(f"==> {_name(source)} <==")
    if fmt is OutputFormat.MARKDOWN:
        parts = ([f"# {result.title}"] if result.title else []) + result.paragraphs
        typer.echo("\n\n".join(parts))
    else:
        typer.echo(result.text)
    if many:
        typer.echo("")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
