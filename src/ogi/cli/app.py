"""The ``ogi`` Typer app and what its commands share: the two consoles, the exit codes, one error line, CSV out.

Each command module (parse, corpus, render, serve, demo) imports ``app`` from here and registers on it.
Exit codes are bits, so a run that met both gives 3: 0 ok, 1 error findings, 2 a file unreadable or the
command could not run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import typer
from rich.console import Console

from ..export.tables import write_csv
from ..model import OgiError

app = typer.Typer(
    name="ogi",
    help="政府信息公开工作年度报告：读取、审核、入库、展示与编制 (open-government-information annual reports)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl+C


def report_error(exc: OgiError) -> None:
    """One red line on stderr naming the file (or option) and the problem."""
    errors.print(f"[red]✗ {exc.source}[/red]：{exc.problem}", soft_wrap=True)  # one line, whatever the width


@contextmanager
def exit_on_error() -> Iterator[None]:
    """An OgiError inside ends the command with its one line and exit status 2, never a traceback."""
    try:
        yield
    except OgiError as exc:
        report_error(exc)
        raise typer.Exit(EXIT_UNREADABLE) from None


def print_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A table as CSV on stdout (formula-safe, as every CSV of ogi: ``export.tables``)."""
    write_csv(sys.stdout, columns, rows, lineterminator="\n")
