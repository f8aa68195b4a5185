"""The web app in a real browser (issue #5): Playwright driving Debian's Chromium against uvicorn on 127.0.0.1.

Upload a seed and a generated report (several files at once), see the tables and findings, dismiss a finding,
correct the cells an injected error changed and see the audit change, and see the dashboard's charts drawn.
Skips cleanly without /usr/bin/chromium (Playwright must not download a browser of its own).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")
expect = sync_api.expect

from ogi.render import inject, make_record, render_text
from ogi.serve import Settings, create_app

from .conftest import seed_path, serving

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER = ("reviewer", "reviewer-pass")
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    app = create_app(str(folder / "web.db"), Settings())
    app.state.accounts.add(*USER, "reviewer")
    if not all(app.state.vendor.values()):
        pytest.skip("front-end packages missing: run npm ci")
    with serving(app) as base:
        yield base, folder


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        context.set_default_timeout(TIMEOUT)
        yield context.new_page()
        browser.close()


@pytest.fixture(scope="module")
def uploaded(server, page):
    """Sign in, then upload seed 000 and a generated report with an injected T3-BALANCE, together."""
    base, folder = server
    record = make_record(random.Random(21), "2021", 2022, "会宁县财政局")
    broken, changed = inject(record, "T3-BALANCE", random.Random(3))
    generated = folder / "会宁县财政局_2022.txt"
    generated.write_text(render_text(broken, "pipe"), encoding="utf-8")
    page.goto(f"{base}/login?next=/upload")
    page.fill("input[name=name]", USER[0])
    page.fill("input[name=password]", USER[1])
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base}/upload")
    page.set_input_files("#upload-files", [str(seed_path("000")), str(generated)])
    expect(page.locator("#upload-list li.ok")).to_have_count(2)  # locators, not page-side eval: the CSP forbids it
    links = {a.inner_text(): a.get_attribute("href") for a in page.query_selector_all("#upload-list li.ok a")}
    seed_url = next(href for text, href in links.items() if "高新区质安办" in text)
    generated_url = next(href for text, href in links.items() if "会宁县财政局" in text)
    return base, seed_url, generated_url, record, changed


def test_upload_shows_tables_and_findings(uploaded, page):
    base, seed_url, _, _, _ = uploaded
    page.goto(base + seed_url)
    assert page.locator("#summary .headline").inner_text().startswith("发现错误 1 个、警告 1 个")
    # Seed 000 is a 2021 report in the 2019 format: 23 rows of table 3, 7 columns each, all read.
    assert page.locator("#t3 td.cell").count() == 161
    assert page.locator("#t3 th[rowspan='20']").inner_text() == "三、本年度办理结果"
    assert page.locator("#t4 td.cell").count() == 15
    rules = page.locator("ol.findings li code").all_inner_texts()
    assert set(rules) == {"FORMAT-YEAR", "FEES-STATED"}
    page.locator("#source .ln").first.wait_for()


def test_dismiss_a_finding(uploaded, page):
    base, seed_url, _, _, _ = uploaded
    page.goto(base + seed_url)
    item = page.locator("ol.findings li", has=page.locator("code", has_text="FEES-STATED"))
    item.locator("input[name=comment]").fill("第六部分另有说明")
    item.locator("button[value=dismissed]").click()
    page.locator("ol.findings li.status-dismissed").wait_for()
    item = page.locator("ol.findings li.status-dismissed")
    assert "不成立" in item.inner_text() and "第六部分另有说明" in item.inner_text()
    assert "FEES-STATED" not in page.locator("#summary").inner_text()


def test_correct_cells_and_see_the_audit_change(uploaded, page):
    base, _, generated_url, record, changed = uploaded
    page.goto(base + generated_url)
    summary = page.locator("#summary").inner_text()
    assert "T3-BALANCE" in summary and "表三" in summary
    page.locator("#summary li[data-keys]", has_text="T3-BALANCE").first.click()  # highlights the cells
    highlighted = page.eval_on_selector_all("td.cell.hl", "els => els.map(e => e.dataset.key)")
    assert set(highlighted) & set(changed)
    for key in changed:
        cell = page.locator(f"td[id='cell-{key}']")
        assert "bad" in cell.get_attribute("class")
        cell.click()  # picks the cell for the correction form and shows its source line
        assert page.locator("#correct-key").input_value() == key
        assert page.locator("#source .ln.src-hl").count() == 1
        page.fill("#correct-value", str(record.cells[key].value))
        page.fill("#correct-form input[name=comment]", "按原件更正")
        page.click("#correct-form button[type=submit]")
        expect(page.locator("#audit-log tbody tr")).to_have_count(changed.index(key) + 1)
    log = page.locator("#audit-log tbody").inner_text()
    assert log.count(USER[0]) == len(changed) and "按原件更正" in log
    assert "T3-BALANCE" not in page.locator("ol.findings").inner_text()
    for key in changed:  # expect() waits for the table's own refresh, which may land after the findings'
        cell = page.locator(f"td[id='cell-{key}']")
        expect(cell).to_have_class(re.compile(r"\bcorrected\b"))
        expect(cell).not_to_have_class(re.compile(r"\bbad\b"))


def test_dashboard_charts_are_drawn(uploaded, page):
    base = uploaded[0]
    page.goto(f"{base}/dashboard")
    expect(page.locator("[data-chart][data-drawn]")).to_have_count(5)
    for name in ("by_year", "open_rate", "correction", "rules", "regions"):
        painted = page.evaluate(
            """(id) => {
            const canvas = document.querySelector('#chart-' + id + ' canvas');
            if (!canvas || !canvas.width || !canvas.height) return 0;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return n;
        }""",
            name,
        )
        assert painted > 500, name  # axes, labels and bars: thousands of painted pixels
    link = page.locator("#chart-rules ~ figcaption a", has_text="CSV")
    assert link.get_attribute("href").endswith("table=rules")


def test_upload_a_folder(uploaded, page, tmp_path):
    """A folder picked whole (webkitdirectory): its reports are sent one by one, other files skipped and counted."""
    base = uploaded[0]
    folder = tmp_path / "收件箱"
    (folder / "二级").mkdir(parents=True)
    for i, path in enumerate((folder / "甲局_2021.txt", folder / "二级" / "乙局_2021.txt")):
        record = make_record(random.Random(40 + i), "2021", 2021, f"会宁县{'甲乙'[i]}局")
        path.write_text(render_text(record, "pipe"), encoding="utf-8")
    (folder / "照片.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    page.goto(f"{base}/upload")
    page.set_input_files("#upload-folder", str(folder))
    expect(page.locator("#upload-list li.skipped")).to_have_text(re.compile("2 个文件不是报告"))
    expect(page.locator("#upload-list li.ok")).to_have_count(2)


def test_pick_a_reading_for_an_unread_cell(server, uploaded, page):
    """An unread cell whose damaged digits allow several readings shows them among the reading problems
    (读取问题), apart from the findings; one click on a reading is a correction like any other (issue #10)."""
    from decimal import Decimal

    from ogi.audit import assess
    from ogi.corpus import Corpus
    from ogi.model import Cell, State
    from ogi.pipeline import parse

    base, folder = server
    record = make_record(random.Random(22), "2021", 2022, "会宁县民政局")
    text = render_text(record, "pipe")
    parsed = parse(text.encode(), "会宁县民政局_2022.txt")
    key, truth = "t2.normative.issued", record.cells["t2.normative.issued"].value
    wrong = truth + 10 if isinstance(truth, int) else Decimal(1)
    parsed.cells[key] = Cell(key, None, State.unreadable, raw=f"{truth}|{wrong}", candidates=[wrong, truth])
    parsed.findings, parsed.problems = assess(parsed)
    parsed.meta.sha256 = ""  # another file than the one parsed: its own id in the corpus
    corpus = Corpus(str(folder / "web.db"))
    try:
        report_id = corpus.add(parsed, (text + "\n").encode()).id
    finally:
        corpus.close()
    page.goto(f"{base}/reports/{report_id}")
    problems = page.locator("#problems")
    assert "读取问题" in problems.locator("h2").inner_text()
    assert key not in " ".join(page.locator("ol.findings li").evaluate_all("els => els.map(e => e.dataset.keys)"))
    assert key in problems.locator("ol.problems li").first.get_attribute("data-keys")
    pick = page.locator(f"li[id='pick-{key}']").get_by_role("button", name=str(truth), exact=True)
    expect(pick).to_have_count(1)
    expect(page.locator(f"li[id='pick-{key}'] button")).to_have_count(2)
    pick.click()
    expect(page.locator("#audit-log tbody tr")).to_have_count(1)
    log = page.locator("#audit-log tbody").inner_text()
    assert USER[0] in log and "从可能的读数中选定" in log
    cell = page.locator(f"td[id='cell-{key}']")
    expect(cell).to_have_class(re.compile(r"\bcorrected\b"))
    assert cell.inner_text().strip() == str(truth)
    expect(page.locator(f"li[id='pick-{key}']")).to_have_count(0)  # read now: no longer a reading problem
