"""The ``ogi`` Typer app and what its commands share: the two consoles, the exit codes, one error line, CSV out.

Each command module (parse, corpus, render, serve, demo) imports ``app`` from here and registers on it.
Exit codes are bits, so a run that met both gives 3: 0 ok, 1 error findings, 2 a file unreadable or the
command could not run.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import typer
from rich.console import Console

from ..export.tables import write_csv
from ..model import OgiError

# The parser's own words, in Chinese. Typer ships its own copy of Click (typer._click) with the English
# written in: the help panels read typer.rich_utils's strings (meant to be set), and the rest is translated
# at the four places Typer shows it — the usage prefix, the --help option, the type tags, an error's text.
RICH_STRINGS = {
    "DEPRECATED_STRING": "（已弃用）",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已中止。",
    "RICH_HELP": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}
USAGE_ZH = "用法："
HELP_ZH = "显示本帮助并退出。"
# Typer's type tags in help (<str>, <list[str]> …); a flag (<bool>) shows none.
TYPE_ZH = {
    "str": "文本",
    "int": "整数",
    "float": "数",
    "path": "路径",
    "list[str]": "文本…",
    "list[int]": "整数…",
    "int range": "整数",
    "float range": "数",
}
# Error texts of typer._click, pattern → Chinese (first match wins; the rest is kept as written).
ERRORS_ZH = (
    (re.compile(r"^Missing argument (.+)\.$"), r"缺少参数 \1。"),
    (re.compile(r"^Missing option (.+)\.$"), r"缺少选项 \1。"),
    (re.compile(r"^Missing (?:parameter|\w+) (.+)\.$"), r"缺少 \1。"),
    (re.compile(r"^Invalid value for (.+?): (.*)$", re.S), r"\1 的值无效：\2"),
    (re.compile(r"^Invalid value: (.*)$", re.S), r"值无效：\1"),
    (re.compile(r"^No such option: (.+?)(?: Did you mean (.+)\?)?$"), r"没有这个选项：\1"),
    (re.compile(r"^No such command '(.+)'\.(?: Did you mean (.+)\?)?$"), r"没有 “\1” 这个命令。"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), r"多余的参数：\1"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), r"选项 '\1' 需要一个值。"),
    (re.compile(r"^Option '(.+)' does not take a value\.$"), r"选项 '\1' 不带值。"),
    (re.compile(r"^(.+) is not one of (.+)\.$"), r"\1 不是可选值 \2 之一。"),
)
_SUGGESTION = re.compile(r"Did you mean (.+)\?")
# Pydantic's words when an option's value does not convert (typer validates with it).
VALUE_ZH = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数",
    "bool_parsing": "应为是或否",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}",
    "less_than": "应小于 {lt}",
}


def chinese_error(text: str) -> str:
    """One of Typer's (Click's) error texts in Chinese; a suggestion ("Did you mean …") is kept."""
    for pattern, zh in ERRORS_ZH:
        if m := pattern.match(text):
            told = m.expand(zh)
            if suggestion := _SUGGESTION.search(text):
                told += f"是否要用 {suggestion.group(1)}？"
            return told
    return text


def _value_error(exc) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    told = VALUE_ZH.get(first.get("type", ""))
    return told.format(**first.get("ctx", {})) if told else str(first["msg"])


def _type_tag(original):
    def display_type_rich(self, ctx):
        tag = original(self, ctx)
        if not tag or tag == "<bool>":
            return None
        name = tag.strip("<>")
        return f"<{TYPE_ZH[name]}>" if name in TYPE_ZH else tag

    display_type_rich.ogi = True  # type: ignore[attr-defined]
    return display_type_rich


def speak_chinese() -> None:
    """Typer's own words in Chinese (idempotent)."""
    from typer import _click, _coercion, core, rich_utils

    for name, text in RICH_STRINGS.items():
        setattr(rich_utils, name, text)
    for cls in (core._TyperParameter, core.TyperOption):
        if "display_type_rich" in vars(cls) and not getattr(cls.display_type_rich, "ogi", False):
            cls.display_type_rich = _type_tag(cls.display_type_rich)  # type: ignore[method-assign]
    _coercion.get_error_msg = _value_error
    formatter = _click.formatting.HelpFormatter
    if not getattr(formatter.write_usage, "ogi", False):
        write_usage = formatter.write_usage

        def chinese_usage(self, prog, args="", prefix=None):
            args = args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")
            write_usage(self, prog, args, USAGE_ZH if prefix is None else prefix)

        chinese_usage.ogi = True  # type: ignore[attr-defined]
        formatter.write_usage = chinese_usage  # type: ignore[method-assign]
    command = _click.core.Command
    if not getattr(command.get_help_option, "ogi", False):
        get_help_option = command.get_help_option

        def chinese_help(self, ctx):
            option = get_help_option(self, ctx)
            if option is not None:
                option.help = HELP_ZH
            return option

        chinese_help.ogi = True  # type: ignore[attr-defined]
        command.get_help_option = chinese_help  # type: ignore[method-assign]
    if not getattr(rich_utils.rich_format_error, "ogi", False):
        format_error = rich_utils.rich_format_error

        def chinese_format_error(self):
            told = chinese_error(self.format_message())
            self.format_message = lambda: told
            format_error(self)

        chinese_format_error.ogi = True  # type: ignore[attr-defined]
        rich_utils.rich_format_error = chinese_format_error


speak_chinese()

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
