"""The ``declutter`` command: a thin Typer adapter over ``boilerplate.batch``.

``declutter PAGE...`` runs the default command (``run``). More commands are
added with ``@app.command("NAME")`` and run as ``declutter NAME ...``: a first
argument that names no command is an input (``declutter -- NAME`` reads a
file called NAME), so ``declutter page.html`` keeps working beside them.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from typer.core import TyperCommand, TyperGroup

from . import __version__
from .batch import PAGE_TIMEOUT, declutter_many
from .decode import DEFAULT_MAX_BYTES
from .engines import Engine
from .errors import BoilerplateError, OptionError
from .readers import INPUT_SUFFIXES, STDIN, read_inputs, shown, would_read
from .records import PageRecord, error_message, line_dict
from .sitememory import MIN_PAGES, SiteRule
from .teachcli import register as register_teaching

__all__ = ["app", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: The shell's exit status for a run stopped by a signal: 128 + its number
#: (Ctrl-C's SIGINT 130, SIGTERM 143, SIGHUP 129).
EXIT_SIGNALLED = 128
#: The exit status when standard output is closed early (``declutter ... | head -1``): what a
#: shell reports for coreutils and git there, which die of SIGPIPE (128 + 13), silently.
#: declutter cleans up first (workers, temporary files), then exits with that status.
EXIT_PIPE = EXIT_SIGNALLED + signal.SIGPIPE
#: The command that ``declutter INPUT...`` runs.
DEFAULT_COMMAND = "run"
#: Signals that end a run the way Ctrl-C does (SIGINT is Python's KeyboardInterrupt already).
STOP_SIGNALS = ("SIGTERM", "SIGHUP")


class OutputFormat(str, enum.Enum):
    """What the command prints."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    JSONL = "jsonl"
    LINES = "lines"


class InputKind(str, enum.Enum):
    """What the input is."""

    AUTO = "auto"
    HTML = "html"
    TEXT = "text"


# The classes below build on typer.core's and on click's documented interface
# (Context, HelpFormatter, ClickException's exit_code and format_message), which
# Typer has kept whether it depends on click (up to 0.25) or carries its own copy
# (typer._click, from 0.26): contexts and formatters are typed Any for that reason.


class _Group(TyperGroup):
    """declutter's commands: a first argument that names none runs DEFAULT_COMMAND; usage errors are one line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Route ``declutter [OPTIONS] INPUT...`` (anything but a command's name first) to the default command."""
        if not args or args[0] not in self.commands:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        """Run a command; a usage error is one line on stderr and exit status 2, as
        coreutils tools do (Typer's own is a box of five lines)."""
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
        except typer.Abort:  # end of input at a prompt (there is none today)
            code = EXIT_FAILED
        except Exception as exc:
            code = getattr(exc, "exit_code", None)
            if not isinstance(code, int) or not hasattr(exc, "format_message"):
                raise  # not click's ClickException: a bug, shown with its traceback
            message = " ".join(exc.format_message().split()).rstrip(".")
            typer.echo(f"declutter: {_printable(message[:1].lower() + message[1:])}; "
                       "try 'declutter --help'", err=True)
        if standalone_mode:
            sys.exit(code or EXIT_OK)
        return code


class _Default(TyperCommand):
    """The default command: its usage names the program alone, and its help lists the other commands."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        """``Usage: declutter [OPTIONS] [INPUT]...``, as it is typed (not ``declutter run``)."""
        formatter.write_usage(ctx.find_root().info_name or "declutter",
                              " ".join(self.collect_usage_pieces(ctx)))

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        """The exit statuses, then the other commands (``declutter COMMAND --help``)."""
        super().format_epilog(ctx, formatter)
        group = ctx.parent.command if ctx.parent is not None else None
        if isinstance(group, TyperGroup):
            rows = [(name, command.get_short_help_str(formatter.width))
                    for name, command in group.commands.items()
                    if name != DEFAULT_COMMAND and not command.hidden]
            if rows:
                with formatter.section("Commands (declutter COMMAND --help)"):
                    formatter.write_dl(rows)


# Plain help and errors (rich_markup_mode=None), as man pages and --help of coreutils read:
# Typer's rich boxes show every flag as taking a <bool> value.
app = typer.Typer(cls=_Group, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None)


@app.callback()
def _commands() -> None:
    """Print the article body of news pages (HTML or flattened text)."""


_FOLDER_FILES = ", ".join(f"*{s}" for s in INPUT_SUFFIXES)


def _shipped_threshold() -> str:
    """The shipped model's threshold as --help shows it (from its metadata: nothing is loaded)."""
    from .model import DEFAULT_MODEL_PATH

    try:
        meta = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
        return f", {float(meta['threshold']):g} for the shipped model"
    except (OSError, ValueError, KeyError, TypeError):  # --help works whatever the model files hold
        return ""


def _show_version(model: Path | None) -> None:
    """--version: the version, the model in use and the compiled speed-ups that run, then exit
    (status 1 when the model cannot load)."""
    from . import speedups
    from .model import load_model

    code = EXIT_OK
    try:
        used = load_model(model).version
    except BoilerplateError as exc:
        used, code = f"unavailable: {error_message(exc)}", EXIT_FAILED
    if model is not None:
        used = f"{_printable(shown(model))}, {used}"
    fast = [name for name, on in speedups().items() if on]
    compiled = ", ".join(fast) if fast else "none, pure Python"
    typer.echo(f"declutter {__version__} (model {used}; C speed-ups: {compiled})")
    raise typer.Exit(code)


# The command's arguments and options, named once here so that ``run`` reads as what it does.
Inputs = Annotated[list[str] | None, typer.Argument(metavar="INPUT", hidden=True, show_default=False)]
FormatOption = Annotated[OutputFormat, typer.Option(
    "--format", "-f", help="text: the body; markdown: title + paragraphs; json: a list with one "
    "object per page, with its lines; jsonl: one record per page (source, url, text, title, "
    "date, engine, model_version, kind, is_article, article_score, and site with --site-memory; "
    "or source, url, error); lines: one record per line (text, label, score, reason), the schema "
    "of our fixture labels.")]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", metavar="FILE", show_default=False,
    help="Write to FILE instead of standard output (never an input).")]
LinesOption = Annotated[bool, typer.Option(
    "--lines/--no-lines", help="With --format jsonl, add each page's lines (text, label, score, "
    "reason); json and lines always have them.")]
JobsOption = Annotated[int | None, typer.Option(
    "--jobs", "-j", min=1, metavar="N", show_default=False, help="Worker processes; 1 runs in "
    "this process.  [default: this process, then one worker per CPU once a batch is long "
    "enough to pay for them]")]
SiteMemoryOption = Annotated[bool, typer.Option(
    "--site-memory/--no-site-memory", help="Also drop content lines that repeat on many pages "
    "of the same site (site: the URL's host, else the input's folder or WARC/JSON Lines file). "
    "Every page is processed before the first is written.")]
SiteMinPagesOption = Annotated[int, typer.Option(
    min=2, metavar="N", help="With --site-memory, the pages of a site a line must repeat on.")]
EngineOption = Annotated[Engine, typer.Option(help="model (ours) or trafilatura (the baseline).")]
KindOption = Annotated[InputKind, typer.Option(
    help="Input kind; auto reads pages and fragments (<p>...</p>) as HTML, the rest as text.")]
ThresholdOption = Annotated[float | None, typer.Option(
    min=0.0, max=1.0, metavar="P", show_default=False,
    help="Content probability needed to keep a line: lower keeps more lines, higher fewer.  "
    f"[default: the model's own{_shipped_threshold()}]")]
ModelOption = Annotated[Path | None, typer.Option(
    metavar="PATH", show_default=False, help="A model folder made by `declutter train`, or a model "
    "file made by training.train. joblib runs code when it loads: only use models you made "
    "yourself, never one downloaded from elsewhere.  "
    "[default: the shipped model]")]
MaxBytesOption = Annotated[int, typer.Option(
    min=0, metavar="BYTES", help="Refuse inputs larger than this.")]
PageTimeoutOption = Annotated[float, typer.Option(
    min=0.0, metavar="SECONDS", help="Seconds a page may take before it becomes an error record "
    "(0: no limit); a worker stuck on a page is killed and the page tried once more.")]
ArticlesOnlyOption = Annotated[bool, typer.Option(
    "--articles-only", help="Give an empty body, with a warning, for pages that are not "
    "articles (section fronts, tag pages, shops, forums); json and jsonl records say "
    "is_article and article_score either way. Model engine only.")]
VersionOption = Annotated[bool, typer.Option(
    "--version", help="Show the version, the model (--model's, if given) and the compiled "
    "speed-ups, and exit.")]

_EXIT_STATUS = f"""\b
Exit status:
  0    every page succeeded (empty pages too)
  1    some page failed (the others are still written), the model cannot load,
       or the output cannot be written
  2    usage error
  {EXIT_SIGNALLED + signal.SIGINT}  interrupted (Ctrl-C, SIGINT)
  {EXIT_PIPE}  standard output closed early (declutter ... | head), as coreutils and git
  {EXIT_SIGNALLED + signal.SIGTERM}  stopped by SIGTERM
  {EXIT_SIGNALLED + signal.SIGHUP}  stopped by SIGHUP
"""


_HELP = ("Print the article body of each INPUT; one bad page never stops the others.\n\n"
         f"An INPUT is a file, a folder (recursive: {_FOLDER_FILES}), a glob, a WARC file (its "
         "HTML responses), a JSON Lines file (records with html or text, and url), or '-' for "
         "standard input.")


@app.command(DEFAULT_COMMAND, cls=_Default, help=_HELP, epilog=_EXIT_STATUS)
def run(
    inputs: Inputs = None, fmt: FormatOption = OutputFormat.TEXT, output: OutputOption = None,
    lines: LinesOption = False, jobs: JobsOption = None, site_memory: SiteMemoryOption = False,
    site_min_pages: SiteMinPagesOption = MIN_PAGES, engine: EngineOption = Engine.MODEL,
    kind: KindOption = InputKind.AUTO, threshold: ThresholdOption = None,
    model: ModelOption = None, max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
    page_timeout: PageTimeoutOption = PAGE_TIMEOUT, articles_only: ArticlesOnlyOption = False,
    version: VersionOption = False,
) -> None:
    """Print the article body of each input page (``_HELP``)."""
    if version:
        _show_version(model)
    if not inputs:
        _fail("no input given; try 'declutter --help'", EXIT_USAGE)
    assert inputs is not None  # _fail raised: this only tells type checkers
    stream = _open_output(output, inputs)
    with _outcome(stream, output):
        with _stop_signals(), _progress(_progress_wanted(output)) as advance:
            records = declutter_many(
                read_inputs(inputs, max_bytes=max_bytes, exclude=output, on_note=_note),
                jobs=jobs, engine=engine, kind=kind.value, threshold=threshold, model=model,
                max_bytes=max_bytes, lines=lines or fmt in (OutputFormat.JSON, OutputFormat.LINES),
                site_memory=SiteRule(min_pages=site_min_pages) if site_memory else False,
                on_record=advance, page_timeout=page_timeout or None, articles_only=articles_only,
            )
            try:
                counts = _write(records, fmt, stream)
            finally:
                getattr(records, "close", lambda: None)()  # workers end now, not when collected
        if output is not None:
            _close(stream)  # a full disk may only tell now, as the last bytes are written
    _summarise(counts)


register_teaching(app)  # declutter label, show, train (after run: the help lists it first)


def _close(stream: TextIO) -> None:
    """Close the output file; a failure to write its last bytes is an _OutputError."""
    try:
        stream.close()
    except OSError as exc:
        raise _OutputError() from exc


class _Stopped(KeyboardInterrupt):
    """A stop signal (SIGTERM, SIGHUP), raised where the run is, as Ctrl-C raises KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _OutputError(Exception):
    """Writing the output failed (a full disk, an I/O error): the OSError is its cause."""


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run like Ctrl-C: the same clean-up (workers, temporary files)."""

    def stop(signum: int, frame: object) -> None:
        raise _Stopped(signum)

    previous = {}
    for name in STOP_SIGNALS:
        # An ignored signal stays ignored: ``nohup declutter ...`` must outlive its terminal.
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is not signal.SIG_IGN:
            previous[name] = signal.signal(getattr(signal, name), stop)
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


@contextlib.contextmanager
def _outcome(stream: TextIO, output: Path | None) -> Iterator[None]:
    """Turn what ends a run early into one line on stderr and its exit status."""
    try:
        yield
    except OptionError as exc:
        _fail(error_message(exc), EXIT_USAGE)
    except BoilerplateError as exc:  # the model cannot load: no page can be done
        _fail(error_message(exc), EXIT_FAILED)
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, _Stopped) else signal.SIGINT
        what = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
        _fail(what, EXIT_SIGNALLED + signum)
    except BrokenPipeError:  # `declutter ... | head`: the reader has all it wants
        _silence_stdout()
        raise typer.Exit(EXIT_PIPE) from None
    except _OutputError as exc:
        where = _printable(shown(output)) if output is not None else "standard output"
        _fail(f"cannot write {where}: {error_message(exc.__cause__ or exc)}", EXIT_FAILED)
    except OSError as exc:  # site memory's temporary file, workers that cannot start
        _fail(error_message(exc), EXIT_FAILED)
    finally:
        if output is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _fail(message: str, code: int) -> None:
    """One line on stderr, then the exit status."""
    typer.echo(f"declutter: {message}", err=True)
    raise typer.Exit(code)


def _summarise(counts: Counter[str]) -> None:
    """The summary line on stderr (several pages), then the exit status."""
    total = sum(counts.values())
    if total > 1:
        typer.echo(f"declutter: {total} pages: {counts['ok']} ok, {counts['empty']} empty, "
                   f"{counts['failed']} failed", err=True)
    raise typer.Exit(EXIT_FAILED if counts["failed"] else EXIT_OK)


def _open_output(output: Path | None, inputs: list[str]) -> TextIO:
    """The output stream: standard output, or the file (a usage error if it cannot be made).

    Folders and globs never read the output file; an output that is one of the
    inputs, or a page a folder or glob among them would read, is refused
    before it is overwritten.
    """
    if output is None:
        return sys.stdout
    named = _printable(shown(output))
    if output.is_file() and any(arg != STDIN and os.path.isfile(arg) and os.path.samefile(arg, output)
                                for arg in inputs):
        _fail(f"{named} is both an input and the output", EXIT_USAGE)
    if would_read(inputs, output):
        _fail(f"{named} would be read as an input (it is in a folder or glob given): "
              "write the output elsewhere, or remove it first", EXIT_USAGE)
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {named}: {error_message(exc)}", EXIT_USAGE)
        raise  # _fail raised already: this only tells type checkers


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests), nothing to silence
        pass


def _progress_wanted(output: Path | None) -> bool:
    """A progress bar only on a terminal, and not over page text printed to that terminal."""
    return sys.stderr.isatty() and (output is not None or not sys.stdout.isatty())


def _write(records: Iterator[PageRecord], fmt: OutputFormat, stream: TextIO) -> Counter[str]:
    """Write every record in the format, report problems on stderr; count the outcomes."""
    head = list(islice(records, 2))  # whether there are several pages decides the layout
    writer = _Writer(fmt, stream, many=len(head) > 1)
    counts: Counter[str] = Counter()
    for record in chain(head, records):
        counts[record.status] += 1
        _report(record)
        writer.page(record)
    writer.close()
    return counts


def _report(record: PageRecord) -> None:
    """A failed page's error, or an empty page's warnings, one line each on stderr."""
    if record.error is not None:
        _note(record.source, record.error)
    for warning in record.warnings:
        _note(record.source, f"warning: {warning}")


def _note(source: str, message: str) -> None:
    # sys.stderr as it is now: under a progress display, rich's proxy prints above it.
    print(f"declutter: {_printable(source)}: {_printable(message)}", file=sys.stderr, flush=True)


def _printable(text: str) -> str:
    """Text for one terminal line: newlines, escape sequences and other unprintables as \\x.. escapes.

    File names and WARC headers may hold anything; printed raw they could
    break the line or drive the terminal.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escaped(c) for c in text)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class _Writer:
    """Writes records in one output format; json is a list, whatever the number of pages."""

    def __init__(self, fmt: OutputFormat, stream: TextIO, *, many: bool) -> None:
        self.fmt, self.stream, self.many = fmt, stream, many
        self.written = 0

    def page(self, record: PageRecord) -> None:
        """Write one page's record."""
        if self.fmt is OutputFormat.JSONL:
            self._echo(json.dumps(record.to_dict(), ensure_ascii=False))
        elif self.fmt is OutputFormat.JSON:
            self._json(record)
        elif record.error is not None:
            return  # text, markdown and lines: the error is on stderr only
        elif self.fmt is OutputFormat.LINES:
            self._lines(record)
        else:
            self._body(record)
        self.written += 1

    def close(self) -> None:
        """Finish the output (close the json list)."""
        if self.fmt is OutputFormat.JSON:
            self._echo("\n]" if self.written else "[]")

    def _echo(self, text: str, *, nl: bool = True) -> None:
        try:
            typer.echo(text, file=self.stream, nl=nl)
        except BrokenPipeError:
            raise
        except OSError as exc:  # a full disk, an I/O error: one line, not a traceback
            raise _OutputError() from exc

    def _json(self, record: PageRecord) -> None:
        # The same bytes as json.dumps(list, indent=2), one record at a time.
        text = json.dumps(record.to_dict(), ensure_ascii=False, indent=2)
        opening = "[\n" if not self.written else ",\n"
        self._echo(opening + "\n".join("  " + row for row in text.split("\n")), nl=False)

    def _lines(self, record: PageRecord) -> None:
        rows = []
        for line in record.lines or ():
            row = line_dict(line)
            if self.many:
                row["source"] = record.source
            rows.append(json.dumps(row, ensure_ascii=False))
        if rows:
            self._echo("\n".join(rows))

    def _body(self, record: PageRecord) -> None:
        if self.fmt is OutputFormat.MARKDOWN:
            paragraphs = [p for p in record.text.split("\n") if p]
            body = "\n\n".join(([f"# {record.title}"] if record.title else []) + paragraphs)
        else:
            body = record.text
        self._echo(f"==> {_printable(record.source)} <==\n{body}\n" if self.many else body)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[PageRecord], None]]:
    """A progress display on stderr (pages done, failed, elapsed), or a no-op.

    It advances as pages are processed (``declutter_many``'s on_record), so
    with --site-memory it shows the first pass too.
    """
    if not enabled:
        yield lambda record: None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.completed} pages"),
               TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("declutter", total=None, failed=0)
        failed = 0

        def advance(record: PageRecord) -> None:
            nonlocal failed
            failed += record.error is not None
            progress.update(task, advance=1, failed=failed)

        yield advance


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
