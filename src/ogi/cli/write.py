"""``ogi template | tally``: the writer's commands (编制, issue #11), each one call into ``ogi.write``.

    ogi template --year 2025 --organ NAME -o 年报.xlsx    the template, prefilled from last year's report
    ogi template --from FILE -o 年报.xlsx                 every cell from a record JSON or any report file
    ogi template --register -o 台账.xlsx                  an empty case register with drop-down lists
    ogi tally 台账.xlsx --year 2025 [--format json]       the register → table 3, and per-case findings

openpyxl and the corpus are imported inside the commands, so ``ogi parse`` does not pay for them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.table import Table

from ..forms import T3_COLUMNS, T3_ROWS, label_of
from ..model import OgiError
from .app import EXIT_FINDINGS, EXIT_OK, app, console, errors, exit_on_error


def _corpus_previous(db: str | None, organ: str, year: int):
    """Last year's report of the organ in the corpus, if there is a corpus at all (none is ever created here)."""
    # the corpus (SQLAlchemy) and openpyxl load only when a template is asked for, never for `ogi parse`
    from ..corpus.database import DEFAULT_DB
    from ..write import previous_report  # see above

    where = db or os.environ.get("OGI_DB") or DEFAULT_DB
    if "://" not in where and not Path(where).exists():
        return None
    return previous_report(where, organ, year)


@app.command("template")
def template_command(
    output: Path = typer.Option(..., "--output", "-o", help="输出的 XLSX 文件"),
    template: str | None = typer.Option(None, "--template", help="报告格式：2019 或 2021（默认按年度）"),
    year: int | None = typer.Option(None, "--year", help="报告年度"),
    organ: str | None = typer.Option(None, "--organ", help="机关名称"),
    source: Path | None = typer.Option(
        None, "--from", help="从记录 JSON 或任一 ogi 能读的报告文件预填全部单元格（如上年报告、待更正的报告）"
    ),
    register: bool = typer.Option(False, "--register", help="生成空白的依申请公开台账（带下拉选项），而非年报模板"),
    db: str | None = typer.Option(None, "--db", help="语料库（默认 $OGI_DB 或 ./ogi.db）：从中取上年报告预填"),
    prefill: bool = typer.Option(True, "--prefill/--no-prefill", help="是否用语料库中的上年报告预填"),
) -> None:
    """生成年度报告的 Excel 编制模板（官方表格版式、数据校验、勾稽关系核对公式、六部分正文）。"""
    with exit_on_error():
        if register:
            from ..write.tally import build_register  # openpyxl: only when this command runs

            _save(output, build_register("2019" if template == "2019" else "2021"))
            return
        # openpyxl: only when this command runs
        from ..write import load_record, new_draft
        from ..write.template import build_template  # openpyxl, as above

        record = load_record(source) if source is not None else None
        year = year or (record.meta.year if record is not None else None)
        organ = organ or (record.meta.organ if record is not None else None)
        if year is None or not organ:
            raise OgiError("ogi template", "请用 --year 和 --organ 指定报告年度和机关名称（或用 --from 给出报告）")
        previous = _corpus_previous(db, organ, year) if record is None and prefill else None
        draft = new_draft(
            template,
            year,
            organ,
            previous=previous,
            source=record,
            source_name=str(source or ""),
        )
        _save(output, build_template(draft))
        if record is not None:
            errors.print(f"已从 {source} 预填 {len(draft.prefills)} 个单元格")
        elif previous is not None:
            errors.print(f"已从语料库中 {organ} {year - 1} 年度报告预填 {len(draft.prefills)} 个单元格（见批注）")
        elif prefill:
            errors.print(f"语料库中没有 {organ} {year - 1} 年度报告，模板未预填")


def _save(output: Path, data: bytes) -> None:
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise OgiError(str(output), f"无法写入：{exc.strerror or exc}") from None
    errors.print(f"已生成 {output}")


@app.command("tally")
def tally_command(
    register: Path = typer.Argument(..., help="依申请公开台账：CSV 或 XLSX（ogi template --register 生成的格式）"),
    year: int = typer.Option(..., "--year", help="报告年度"),
    template: str | None = typer.Option(None, "--template", help="报告格式：2019 或 2021（默认按年度）"),
    output_format: str = typer.Option("table", "--format", "-f", help="输出：table（表格）或 json（表三单元格）"),
    into: Path | None = typer.Option(None, "--into", help="把统计结果填入此年报模板的表三（原文件中其他内容不变）"),
) -> None:
    """把依申请公开台账统计为表三，并逐件检查答复期限、日期先后、类别与编号。"""
    from ..write.tally import CASE_RULES, read_register, tally  # the calendar: only when this command runs

    with exit_on_error():
        if template not in (None, "2019", "2021"):
            raise OgiError("--template", f"格式应为 2019 或 2021，而不是 {template}")
        if output_format not in ("table", "json"):
            raise OgiError("--format", f"不支持的输出 {output_format}；可选：table、json")
        try:
            data = register.read_bytes()
        except OSError as exc:
            raise OgiError(str(register), f"无法读取：{exc.strerror or exc}") from None
        result = tally(read_register(data, str(register)), year, template)  # type: ignore[arg-type]
        if into is not None:
            _fill_into(into, result.cells, f"由台账 {register.name} 统计（{year}年度）")
    if output_format == "json":
        print(json.dumps(result.cells, ensure_ascii=False))  # plain stdout: for pipes, no Rich wrapping
    else:
        _print_tally(result)
    for f in result.findings:
        errors.print(f"  • 第 {f.line} 行 [{f.number or '无编号'}] {CASE_RULES[f.rule]}：{f.message}")
    errors.print(f"计入表三 {result.counted} 件；未计入 {result.left_out} 件；逐件发现 {len(result.findings)} 条")
    if result.fees:
        errors.print(f"本年答复的申请共收取信息处理费 {result.fees} 元（第六部分应予说明）")
    raise typer.Exit(EXIT_FINDINGS if result.findings else EXIT_OK)


def _fill_into(path: Path, cells: dict[str, int], note: str) -> None:
    from ..write.workbook import fill  # openpyxl: only when a template is filled

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OgiError(str(path), f"无法读取：{exc.strerror or exc}") from None
    try:
        filled = fill(data, dict(cells), note)
    except OgiError as exc:
        raise OgiError(str(path), exc.problem) from None
    _save(path, filled)


def _print_tally(result) -> None:
    table = Table(title=f"表三 收到和处理政府信息公开申请情况（{result.year}年度，{result.template}版）")
    table.add_column("行")
    for column in T3_COLUMNS:
        table.add_column(column.label, justify="right")
    for row in T3_ROWS[result.template]:
        label = label_of(f"t3.{row.key}.total").split("·")[1]
        table.add_row(label, *(str(result.cells[f"t3.{row.key}.{c.key}"]) for c in T3_COLUMNS))
    console.print(table)


@app.command("writer")
def writer_command(
    name: str = typer.Argument(..., help="编写人账号（ogi user add 名称 --role writer 创建）"),
    organs: list[str] = typer.Argument(..., help="允许其编写报告的机关（可多个）"),
    db: str | None = typer.Option(None, "--db", envvar="OGI_DB", help="语料库（默认 ./ogi.db）"),
) -> None:
    """允许编写人账号编写某些机关的年度报告（网页“编制”）。"""
    from ..corpus import Corpus  # SQLAlchemy: only when this command runs

    with exit_on_error(), Corpus(db) as corpus:
        account = corpus.accounts.get(name)
        if account is None:
            raise OgiError(name, "没有这个账号（先用 ogi user add 名称 --role writer 创建）")
        for organ in organs:
            corpus.drafts.grant(name, organ)
        console.print(f"{name} 可编写：{'、'.join(corpus.drafts.organs_of(name))}")
