"""``declutter label``, ``declutter show`` and ``declutter train``: teaching declutter a site.

Commands of ``cli.app`` (``register`` adds them: ``declutter label PAGE...``
while ``declutter page.html`` still reads a page, and ``declutter -- label``
a file called ``label``). Heavy imports wait inside the commands, so
``declutter page.html`` pays nothing for them.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from .errors import BoilerplateError

__all__ = ["COMMANDS", "register"]

#: The commands this module adds to ``declutter``.
COMMANDS = ("label", "show", "train")
EXIT_FAILED = 1
#: What to install when scikit-learn is missing (declutter predicts without it; train needs it).
TRAIN_HINT = 'declutter train needs scikit-learn: pip install "declutter-news[train]"'


class Kind(str, enum.Enum):
    """What the pages are (the choices of ``cli.InputKind``, which cannot be imported here: cli imports this)."""

    AUTO = "auto"
    HTML = "html"
    TEXT = "text"


KindOption = Annotated[Kind, typer.Option(help="Input kind; auto detects HTML.")]
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


def label(
    pages: Annotated[list[Path], typer.Argument(
        metavar="PAGE...", help="Page files (.html, .htm, .xhtml, .txt) or folders of them.", show_default=False)],
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one.")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the address, open no browser.")] = False,
    kind: KindOption = Kind.AUTO, threshold: ThresholdOption = None, model: ModelOption = None,
) -> None:
    """Label pages in your browser; Save writes NAME.labels.jsonl beside each.

    Click a line (or press space) to flip it, a block's bar (or b) to flip the
    whole block. Served on 127.0.0.1 only, until Ctrl-C; labels saved before are
    loaded back.
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


def show(
    page: Annotated[Path, typer.Argument(
        metavar="PAGE", help="A page file (HTML or flattened text).", show_default=False)],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", help="Write the HTML here instead of standard output.",
        show_default=False)] = None,
    kind: KindOption = Kind.AUTO, threshold: ThresholdOption = None, model: ModelOption = None,
) -> None:
    """Write a page's lines as declutter sees them as one static HTML page.

    Kept lines are marked, dropped ones greyed with their score and reason,
    grouped by the block they came from: for reports and bug reports.
    """
    from .annotate import annotate, render

    try:
        view = annotate(page.read_bytes(), name=page.name, kind=kind.value, threshold=threshold, model=model)
    except OSError as exc:
        _fail(f"{page}: {exc.strerror or exc}")
    except BoilerplateError as exc:
        _fail(f"{page}: {exc}")
    document = render(view)
    if output is not None and output.resolve() == page.resolve():
        _fail(f"-o {output} would overwrite the page", 2)
    if output is None:
        sys.stdout.write(document)
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"declutter: wrote {output}", err=True)


def train(
    folder: Annotated[Path, typer.Argument(
        metavar="FOLDER", help="A folder of NAME.html (or NAME.txt) pages with NAME.labels.jsonl beside them.",
        show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", metavar="MODEL_DIR",
                                         help="The model folder to write.", show_default=False)],
    base: Annotated[Path | None, typer.Option(
        metavar="PATH", help="The model to adapt (a model folder or .joblib).",
        show_default="the shipped model")] = None,
) -> None:
    """Adapt the model to your labelled pages (needs scikit-learn).

    Use the result with `declutter --model MODEL_DIR page.html`. The shipped
    model's boosting goes on, on your lines: no training corpus is needed.
    """
    try:  # scikit-learn (the train extra) is imported by teach and by loading the base's estimators
        from .teach import train_folder

        report = train_folder(folder, output, base=base, log=lambda text: typer.echo(text, err=True))
    except ImportError as exc:
        _fail(f"{TRAIN_HINT} (missing: {exc.name or exc})")
    except OSError as exc:
        _fail(f"{exc.filename or folder}: {exc.strerror or exc}")
    except BoilerplateError as exc:
        _fail(str(exc))
    typer.echo(report, err=True)


def register(app: typer.Typer) -> None:
    """Add label, show and train to the ``declutter`` command group."""
    app.command("label")(label)
    app.command("show")(show)
    app.command("train")(train)
