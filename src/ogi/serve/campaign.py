"""The review campaign's downloads: the whole filtered corpus as the office head's workbook
(``export.campaign``), a report's 审核意见书 as DOCX or PDF, and a selection's letters as one ZIP
(``export.letter``)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ..export.campaign import campaign_xlsx
from ..export.letter import letter_docx, letter_of, letter_pdf, letters_zip
from ..model import InvalidInput
from .exports import DOCX, XLSX, download
from .session import CorpusDep, HTTPProblem, User, reader
from .web import FiltersDep, Id

router = APIRouter()


def _due(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("due", f"整改期限应写作 2025-03-31，而不是 {text!r}") from None


@router.get(
    "/export/campaign.xlsx",
    summary="审核汇总表：筛选出的全部报告（非仅本页）、审核发现、按地区和状态汇总",
    tags=["导出"],
)
def campaign(
    corpus: CorpusDep,
    f: FiltersDep,
    infos: bool = Query(False, description="审核发现表包括提示"),
    _user: User | None = Depends(reader),
) -> Response:
    return download(campaign_xlsx(corpus, f, infos=infos), XLSX, f"ogi-审核汇总-{dt.date.today().isoformat()}.xlsx")


@router.get(
    "/reports/{report_id}/letter.{fmt}", summary="一份报告的审核意见书（DOCX 或 PDF），列出已确认的问题", tags=["导出"]
)
def letter(
    corpus: CorpusDep,
    report_id: Id,
    fmt: str,
    due: str | None = Query(None, description="整改期限，如 2025-03-31；默认 15 天后"),
    _user: User | None = Depends(reader),
) -> Response:
    if fmt not in ("docx", "pdf"):
        raise HTTPProblem(404, f"审核意见书只有 docx 和 pdf 两种格式，没有 {fmt}")
    content = letter_of(corpus, report_id, _due(due))
    if fmt == "pdf":
        return download(letter_pdf(content), "application/pdf", f"{content.file_name}.pdf")
    return download(letter_docx(content), DOCX, f"{content.file_name}.docx")


@router.get("/export/letters.zip", summary="筛选出的报告的审核意见书（DOCX），打包为一个 ZIP", tags=["导出"])
def letters(
    corpus: CorpusDep,
    f: FiltersDep,
    due: str | None = Query(None, description="整改期限，如 2025-03-31；默认 15 天后"),
    _user: User | None = Depends(reader),
) -> Response:
    return download(
        letters_zip(corpus, f, _due(due)), "application/zip", f"ogi-审核意见书-{dt.date.today().isoformat()}.zip"
    )
