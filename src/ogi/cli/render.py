"""``ogi render``: a report → the official document; a generated sample → a report as found in the wild.

The source is a record (``ogi parse --format json`` output), a filled template (``ogi template``), or any
report file ogi reads. Its html, docx and pdf are the official document (``render/official.py``); a sample
(--sample) is written as real reports are, for tests: text (five layouts), Word-pasted or clean HTML,
DOCX, PDF or a scanned PDF (``ogi.render.RENDERERS``). A report whose figures break a table identity
(T3-BALANCE, T3-TOTAL, T3-COLUMNS, T4-TOTAL) is not written unless --draft (marked 草稿) or --force: the
command lists each broken identity in Chinese (where, expected, found) and exits with status 1.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import typer

from ..audit import audit
from ..forms import label_of
from ..model import Finding, OgiError, Record, Severity
from ..rules import IDENTITIES
from .app import EXIT_FINDINGS, EXIT_UNREADABLE, app, errors, report_error

IDENTITY_RULES = tuple(i.rule for i in IDENTITIES)


def broken_identities(record: Record) -> list[Finding]:
    """The table identities the record breaks: such a report is not published without --force."""
    return [f for f in audit(record) if f.rule in IDENTITY_RULES and f.severity is Severity.error]


def _load(source: str) -> Record:
    if source != "-":
        from ..write import load_record  # a record JSON, a filled template or any report file

        return load_record(source)
    name = "<stdin>"
    try:
        data = json.loads(sys.stdin.read())
    except FileNotFoundError:
        raise OgiError(name, "文件不存在") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OgiError(name, f"无法读取：{exc}") from None
    except json.JSONDecodeError as exc:
        raise OgiError(name, f"不是有效的 JSON（第 {exc.lineno} 行）") from None
    return Record.from_contract(data, name)


def _sample(
    seed: int, template: str | None, year: int | None, organ: str | None, blanks: float, rule: str | None
) -> Record:
    from ..render.sample import INJECTABLE, inject, make_record, random_organ, template_for  # see render_command

    rng = random.Random(seed)
    if template not in (None, "2019", "2021"):
        raise OgiError("--template", f"格式应为 2019 或 2021，而不是 {template}")
    year = year or (rng.randint(2019, 2020) if template == "2019" else rng.randint(2021, 2024))
    record = make_record(rng, template or template_for(year), year, organ or random_organ(rng), blanks=blanks)
    if rule:
        if rule not in INJECTABLE:
            raise OgiError("--inject", f"不能注入的规则 {rule}；可选：{'、'.join(INJECTABLE)}")
        try:
            record, _ = inject(record, rule, rng)
        except ValueError as exc:
            raise OgiError("--inject", str(exc)) from None
    return record


@app.command("render")
def render_command(
    source: str | None = typer.Argument(
        None,
        help="填好的年报模板（ogi template）、记录 JSON（ogi parse --format json 的输出）或任一报告文件，"
        "- 表示标准输入的 JSON；用 --sample 时省略",
    ),
    to: str = typer.Option("text", "--to", "-t", help="输出：text、html、docx、pdf、scan（扫描件式 PDF）"),
    output: Path | None = typer.Option(None, "--output", "-o", help="输出文件；text/html 默认输出到屏幕"),
    layout: str = typer.Option("pipe", "--layout", help="文本版式：pipe、pipe_cells、blank_lines、tabs、spaces"),
    traditional: bool = typer.Option(False, "--traditional", help="文本转为繁体（OpenCC s2t）"),
    pinyin: bool = typer.Option(False, "--pinyin", help="模拟镜像站在汉字后插入拼音"),
    word: bool = typer.Option(True, "--word/--clean", help="HTML：Word 粘贴的网页，或规范的官方版式"),
    misaligned: bool = typer.Option(False, "--misaligned", help="HTML：数据行的合并单元格与表头不对齐"),
    encoding: str = typer.Option("utf-8", "--encoding", help="HTML 编码：utf-8、gbk、gb2312、gb18030"),
    sample: bool = typer.Option(False, "--sample", help="不读记录，随机生成一份样例报告"),
    template: str | None = typer.Option(None, "--template", help="样例格式：2019 或 2021"),
    year: int | None = typer.Option(None, "--year", help="样例报告年度"),
    organ: str | None = typer.Option(None, "--organ", help="样例机关名称"),
    blanks: float = typer.Option(0.0, "--blanks", help="样例中留空的零值单元格比例（0–1）"),
    inject_rule: str | None = typer.Option(None, "--inject", help="样例中故意违反的规则，如 T3-BALANCE"),
    seed: int | None = typer.Option(None, "--seed", help="随机种子（样例内容与版式细节）"),
    force: bool = typer.Option(False, "--force", help="表格不满足勾稽关系时仍然生成"),
    draft: bool = typer.Option(False, "--draft", help="生成标有“草稿”的文档，表格不满足勾稽关系时也生成"),
) -> None:
    """把年报模板、报告记录或报告文件生成为正式文档（公文格式 Word、PDF、网页），或生成随机样例。"""
    # The renderers (with the sample generator, about 20 ms): only when this command runs, not for `ogi parse`.
    from ..render import RENDERERS, RenderOptions

    options = RenderOptions(
        layout=layout,
        traditional=traditional,
        pinyin=pinyin,
        word_pasted=word,
        misaligned=misaligned,
        encoding=encoding,
        seed=seed,
        official=not sample,
        draft=draft,
    )
    try:
        if to not in RENDERERS:
            raise OgiError("--to", f"不支持的输出 {to}；可选：{'、'.join(RENDERERS)}")
        if sample == (source is not None):
            raise OgiError("ogi render", "请给出一个记录 JSON 文件，或使用 --sample 生成样例（二者选一）")
        if RENDERERS[to].binary and output is None:
            raise OgiError("--output", f"{to} 是二进制格式，请用 -o 指定输出文件")
        if sample:
            sample_seed = seed if seed is not None else random.randrange(2**31)
            record = _sample(sample_seed, template, year, organ, blanks, inject_rule)
        else:
            record = _load(source)
        _refuse_broken(record, force or draft)
        data = RENDERERS[to].write(record, options)
    except OgiError as exc:
        report_error(exc)
        raise typer.Exit(EXIT_UNREADABLE) from None
    except ValueError as exc:  # an unknown layout or encoding
        errors.print(f"[red]✗ 参数错误[/red]：{exc}")
        raise typer.Exit(EXIT_UNREADABLE) from None
    _write(data, output)


def _refuse_broken(record: Record, force: bool) -> None:
    broken = broken_identities(record)
    if broken and not force:
        errors.print("[red]拒绝生成：表格数据不满足勾稽关系（生成草稿请加 --draft）：[/red]")
        for f in broken:
            where = f.message.split("：", 1)[0]
            cells = "、".join(label_of(k) for k in f.keys[:2]) + ("等" if len(f.keys) > 2 else "")
            errors.print(f"  • [{f.rule}] {where}：应为 {f.expected}，实为 {f.found}（单元格：{cells}）")
        raise typer.Exit(EXIT_FINDINGS)


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        errors.print(f"已生成 {output}（{len(data)} 字节）")
