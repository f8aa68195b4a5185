"""The reviewer's campaign in a real browser (issue 13): Playwright driving Debian's Chromium against uvicorn on
127.0.0.1, with the harness of test_serve_browser.py.

A reviewer confirms a finding with a comment, corrects a cell, and finds the comment kept on the finding that
still stands and shown as resolved on the one the correction fixed; dismisses an info item without a form and
keeps the place on the page; sends a report back (退回整改) and sees the count change; downloads a 审核意见书
and finds the confirmed finding in the DOCX; exports the filtered corpus's workbook and reads it back; corrects
an organ name and a year and sees the list and the coverage follow.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from ogi.audit import audit
from ogi.serve import Settings, create_app

from .builders import record
from .conftest import serving
from .test_serve_browser import ARGS, CHROMIUM, TIMEOUT, USER, expect, sync_api

# 本年新收 1, nothing carried out: 表三 does not balance in the 自然人 and the 总计 column (T3-BALANCE twice);
# a blank 予以公开 cell gives info items (identities not checked, a blank cell).
UNBALANCED = {"t3.new.natural": 1, "t3.new.total": 1, "t3.granted.legal": None}
NATURAL = "t3.new.natural t3.carried_in.natural t3.total.natural t3.carried_out.natural"
TOTAL = "t3.new.total t3.carried_in.total t3.total.total t3.carried_out.total"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("campaign")
    app = create_app(str(folder / "web.db"), Settings())
    app.state.accounts.add(*USER, "reviewer")
    if not all(app.state.vendor.values()):
        pytest.skip("front-end packages missing: run npm ci")
    corpus = app.state.corpus
    ids = {}
    for organ in ("浙江省丽水市缙云县财政局", "浙江省丽水市缙云县教育局", "浙江省丽水市缙云县公安局"):
        ids[organ] = corpus.add(record(organ, 2023, UNBALANCED)).id
    misread = record("浙江省丽水市缙云上县交通运输局", 2032, {}, sha="misread")  # OCR: county and year wrong
    misread.findings = audit(misread)
    ids["misread"] = corpus.add(misread).id
    with serving(app) as base:
        yield base, ids, corpus, folder


@pytest.fixture(scope="module")
def page(site):
    base = site[0]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True)
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        page.goto(f"{base}/login?next=/reports")
        page.fill("input[name=name]", USER[0])
        page.fill("input[name=password]", USER[1])
        page.click("form.login button[type=submit]")
        page.wait_for_url(f"{base}/reports")
        yield page
        browser.close()


def _finding(page, keys: str):
    return page.locator(f"ol.findings:not(.resolved) li[data-keys='{keys}']")


def test_a_comment_outlives_the_correction_of_a_cell(site, page):
    base, ids = site[0], site[1]
    page.goto(f"{base}/reports/{ids['浙江省丽水市缙云县财政局']}")
    for keys, comment in ((NATURAL, "请单位核实"), (TOTAL, "总计列也不平")):
        item = _finding(page, keys)
        item.locator("input[name=comment]").fill(comment)
        item.locator("button[value=confirmed]").click()
        expect(_finding(page, keys).locator(".badge.confirmed")).to_have_text("已确认")
    # 自然人 column's 总计 corrected to 1: that column balances, the 总计 column still does not.
    page.locator("td[id='cell-t3.total.natural']").click()
    expect(page.locator("section#correct.docked")).to_be_visible()  # the form comes to the reviewer
    assert page.locator("#correct-key").input_value() == "t3.total.natural"
    page.fill("#correct-value", "1")
    page.click("#correct-form button[type=submit]")
    expect(page.locator("#audit-log tbody tr")).to_have_count(1)
    still = _finding(page, TOTAL)
    expect(still.locator(".badge.confirmed")).to_have_text("已确认")
    assert "总计列也不平" in still.inner_text()
    resolved = page.locator("ol.findings.resolved li")
    expect(resolved).to_have_count(1)
    assert "已因更正而解决" in resolved.inner_text() and "请单位核实" in resolved.inner_text()
    page.screenshot(path=str(site[3] / "report.png"), full_page=False)


def test_an_info_item_is_dismissed_in_place(site, page):
    base, ids = site[0], site[1]
    page.goto(f"{base}/reports/{ids['浙江省丽水市缙云县教育局']}")
    info = page.locator("ol.findings li.sev-info").first
    assert info.locator("input[name=comment]").is_hidden()  # no comment box to fill: two buttons
    info.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    assert before > 200
    finding_id = info.get_attribute("id")
    info.locator("button[value=dismissed]").click()
    swapped = page.locator(f"li[id='{finding_id}']")
    expect(swapped).to_have_class(re.compile(r"\bstatus-dismissed\b"))
    assert "不成立" in swapped.inner_text()
    assert abs(page.evaluate("window.scrollY") - before) < 50  # no reload to the top


def test_returning_a_report_changes_the_count(site, page):
    base, ids = site[0], site[1]
    page.goto(f"{base}/reports?organ=缙云县")
    pending = int(page.locator("#pending-left").inner_text())
    page.goto(f"{base}/reports/{ids['浙江省丽水市缙云县公安局']}")
    page.fill("#status input[name=comment]", "表三不平，请整改后重新发布")
    page.click("#status button[value=returned]")
    expect(page.locator("#report-status")).to_have_text("退回整改")
    page.goto(f"{base}/reports?organ=缙云县")
    assert int(page.locator("#pending-left").inner_text()) == pending - 1
    assert "退回整改 1" in page.locator("#review-counts").inner_text()


def test_download_a_letter_with_the_confirmed_finding(site, page):
    base, ids = site[0], site[1]
    page.goto(f"{base}/reports/{ids['浙江省丽水市缙云县财政局']}")
    with page.expect_download() as event:
        page.click("text=审核意见书 DOCX")
    import docx

    document = docx.Document(event.value.path())
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for row in document.tables[0].rows for c in row.cells]
    assert "浙江省丽水市缙云县财政局：" in text
    # The still-standing confirmed finding, in plain words: table, row, column, the two sides, the comment.
    assert any("表三 · 一、本年新收政府信息公开申请数量 · 总计" in c for c in cells)
    assert "本年新收+上年结转 1，总计+结转下年度 0" in cells and "总计列也不平" in cells
    assert not any("请单位核实" in c for c in cells)  # resolved by the correction: not in the letter


def test_export_the_filtered_corpus(site, page):
    base = site[0]
    page.goto(f"{base}/reports?organ=缙云县")
    shown = int(page.locator("h1 small").inner_text().strip("共 份"))
    with page.expect_download() as event:
        page.click("text=汇总表 XLSX")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(event.value.path().read_bytes()))
    assert book.sheetnames == ["报告", "审核发现", "汇总"]
    assert book["报告"].max_row - 1 == shown == 3
    labels = [row[6] for row in book["审核发现"].iter_rows(min_row=2, values_only=True)]
    assert any("表三·一、本年新收政府信息公开申请数量·总计" in (x or "") for x in labels)
    assert not any(row[3] == "提示" for row in book["审核发现"].iter_rows(min_row=2, values_only=True))
    assert book["报告"].column_dimensions["B"].width >= 20
    with page.expect_download() as event:
        page.click("text=审核意见书 ZIP")
    assert len(zipfile.ZipFile(io.BytesIO(event.value.path().read_bytes())).namelist()) == 3


def test_correct_organ_and_year_and_the_lists_follow(site, page):
    base, ids = site[0], site[1]
    page.goto(f"{base}/coverage?year=2023&county=缙云县")
    assert "交通运输局" not in page.locator("main").inner_text()
    page.goto(f"{base}/reports/{ids['misread']}")
    page.click("#meta summary")
    page.select_option("#meta-field", "organ")
    page.fill("#meta-value", "浙江省丽水市缙云县交通运输局")
    page.click("#meta button[type=submit]")
    expect(page.locator("h1")).to_contain_text("浙江省丽水市缙云县交通运输局")
    page.click("#meta summary")
    page.select_option("#meta-field", "year")
    page.fill("#meta-value", "2023")
    page.click("#meta button[type=submit]")
    expect(page.locator("h1 small")).to_contain_text("2023年度")
    assert page.locator("#meta-log tbody tr").count() == 2
    page.goto(f"{base}/reports?year=2023&county=缙云县")
    assert "共 4 份" in page.locator("h1").inner_text()
    page.goto(f"{base}/coverage?year=2023&county=缙云县")
    assert "缙云上县" not in page.locator("main").inner_text()
    assert "交通运输局" in page.locator("main").inner_text()
