"""``declutter label``, ``declutter show`` and ``declutter train``: teaching declutter a site.

A Typer app of its own, reached from ``cli.main`` when the first argument
names one of its commands (``declutter ./label`` still reads a file called
``label``). Heavy imports wait inside the commands.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from .errors import BoilerplateError

__all__ = ["COMMANDS", "app", "main"]

#: The first arguments that select this app instead of the page-reading command.
COMMANDS = ("label", "show", "train")
EXIT_FAILED, EXIT_USAGE = 1, 2

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Teach declutter a site: label a few pages, show a page's decisions, adapt the model.")


class InputKind(str, enum.Enum):
    """What the pages are."""

    AUTO = "auto"
    HTML = "html"
    TEXT = "text"


KindOption = Annotated[InputKind, typer.Option(help="Input kind; auto detects HTML.")]
ThresholdOption = Annotated[float | None, typer.Option(
    min=0.0, max=1.0, help="Content probability needed to keep a line [default: the model's].",
    show_default=False)]
ModelOption = Annotated[Path | None, typer.Option(
    help="A model folder made by `declutter train` (or a .joblib made by training.train); only "
    "use models you made yourself.", show_default="shipped model")]


def _fail(message: str, code: int = EXIT_FAILED) -> None:
    """One line on stderr, then the exit status."""
    typer.echo(f"declutter: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def label(
    pages: Annotated[list[Path], typer.Argument(
        help="Page files (.html, .htm, .xhtml, .txt) or folders of them.", show_default=False)],
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the address, open no browser.")] = False,
    kind: KindOption = InputKind.AUTO, threshold: ThresholdOption = None, model: ModelOption = None,
) -> None:
    """Label pages in your browser: flip lines and blocks, Save writes NAME.labels.jsonl beside each page.

    Served on 127.0.0.1 only, until Ctrl-C; labels saved before are loaded back.
    """
    from .labelserver import LabelSession, page_files, run

    try:
        session = LabelSession(page_files(pages), kind=kind.value, threshold=threshold,
                               model=None if model is None else str(model))
        session.view(0)  # a bad first page or model says so here, not in the browser
        run(session, port=port, open_browser=not no_browser)
    except OSError as exc:
        _fail(f"cannot serve the labelling page: {exc.strerror or exc}")
    except BoilerplateError as exc:
        _fail(str(exc))


@app.command()
def show(
    page: Annotated[Path, typer.Argument(help="A page file (HTML or flattened text).", show_default=False)],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the HTML here instead of standard output.", show_default=False)] = None,
    kind: KindOption = InputKind.AUTO, threshold: ThresholdOption = None, model: ModelOption = None,
) -> None:
    """Write a page's lines as declutter sees them (kept, dropped with score and reason) as one static HTML page."""
    from .annotate import annotate, render

    try:
        view = annotate(page.read_bytes(), name=page.name, kind=kind.value, threshold=threshold, model=model)
    except OSError as exc:
        _fail(f"{page}: {exc.strerror or exc}")
    except BoilerplateError as exc:
        _fail(f"{page}: {exc}")
    document = render(view)
    if output is None:
        sys.stdout.write(document)
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"declutter: wrote {output}", err=True)


@app.command()
def train(
    folder: Annotated[Path, typer.Argument(
        help="A folder of NAME.html (or NAME.txt) pages with NAME.labels.jsonl beside them.",
        show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The model folder to write.",
                                         show_default=False)],
    base: Annotated[Path | None, typer.Option(
        help="The model to adapt (a model folder or .joblib).", show_default="shipped model")] = None,
) -> None:
    """Adapt the model to your labelled pages; use it with `declutter --model FOLDER page.html`."""
    try:
        from .teach import train_folder
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        _fail(f"declutter train needs scikit-learn: pip install \"declutter-news[train]\" ({exc})")
    try:
        report = train_folder(folder, output, base=base, log=lambda text: typer.echo(text, err=True))
    except ImportError as exc:
        _fail(f"declutter train needs scikit-learn: pip install \"declutter-news[train]\" ({exc})")
    except OSError as exc:
        _fail(f"{exc.filename or folder}: {exc.strerror or exc}")
    except BoilerplateError as exc:
        _fail(str(exc))
    typer.echo(report, err=True)


def main(argv: list[str] | None = None) -> None:
    """Run the app on ``argv`` (default: the command line after the program name)."""
    app(args=sys.argv[1:] if argv is None else argv, prog_name="declutter")
