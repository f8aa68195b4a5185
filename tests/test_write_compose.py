"""The 编制 page (issue #11 item 4) over HTTP and in a real browser: a writer, limited to their organs,
starts from last year's report, sees a broken identity marked as they type, fills table 3 from a register,
saves (history: who, when), downloads the DOCX and publishes into the corpus, where reviewers list it."""

from __future__ import annotations

import csv
import random
import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette's notice about its test client's HTTP library
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from ogi.corpus import Corpus
from ogi.pipeline import parse
from ogi.render.sample import make_record
from ogi.serve import Settings, create_app
from ogi.write.tally import COLUMNS

from .conftest import serving

ORGAN = "会宁县财政局"
WRITER = ("writer1", "writer-pass-1")


def corpus_with_last_year(folder: Path):
    """A corpus holding the organ's 2024 report, a writer allowed to write for it, and a reviewer."""
    db = str(folder / "web.db")
    previous = make_record(random.Random(1), "2021", 2024, ORGAN)
    out = previous.cells["t3.carried_out.natural"]
    previous.cells["t3.carried_out.total"].value += 2 - out.value  # the row still adds up
    out.value = 2
    with Corpus(db) as corpus:
        corpus.add(previous)
        corpus.accounts.add(*WRITER, "writer")
        corpus.accounts.add("rev", "reviewer-pass", "reviewer")
        corpus.drafts.grant(WRITER[0], ORGAN)
    return db, previous


def register_csv(path: Path) -> dict[str, int]:
    """Three cases of 2025 and one carried in from 2024; returns the table-3 cells they make."""
    rows = [
        ("A1", "2024-12-20", "自然人", "2025-01-06", "予以公开"),
        ("A2", "2025-03-03", "自然人", "2025-03-10", "无法提供/本机关不掌握相关政府信息"),
        ("A3", "2025-05-06", "商业企业", "2025-05-20", "部分公开"),
        ("A4", "2025-12-22", "自然人", "", ""),
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows([list(r) + ["", "", ""] for r in rows])
    return {
        "t3.new.natural": 2,
        "t3.carried_in.natural": 1,
        "t3.granted.natural": 1,
        "t3.carried_out.natural": 1,
        "t3.partial.commercial": 1,
        "t3.new.total": 3,
        "t3.total.total": 3,
    }


def sign_in(client: TestClient, name: str, password: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/compose"})
    return client.get("/api/me").json()["csrf_token"]


def test_writer_is_limited_to_their_organs_and_reviewers_are_not_writers(tmp_path):
    db, previous = corpus_with_last_year(tmp_path)
    client = TestClient(create_app(db, Settings()))
    assert client.get("/compose", follow_redirects=False).status_code in (302, 303, 401)
    csrf = sign_in(client, *WRITER)
    page = client.get("/compose/edit", params={"organ": ORGAN, "year": 2025})
    assert page.status_code == 200
    assert re.search(r'name="t3.carried_in.natural" value="2"', page.text)  # last year's 结转下年度
    assert "2024年度报告" in page.text
    assert client.get("/compose/edit", params={"organ": "兰溪市财政局", "year": 2025}).status_code == 403
    form = {"csrf_token": csrf, "template": "2021", "organ": "兰溪市财政局", "year": "2025"}
    assert client.post("/compose/save", data=form).status_code == 403
    reviewer = TestClient(create_app(db, Settings()))
    sign_in(reviewer, "rev", "reviewer-pass")
    assert reviewer.get("/compose/edit", params={"organ": "兰溪市财政局", "year": 2025}).status_code == 200


def test_check_save_history_download_publish_over_http(tmp_path):
    db, _ = corpus_with_last_year(tmp_path)
    client = TestClient(create_app(db, Settings()))
    csrf = sign_in(client, *WRITER)
    form = {
        "csrf_token": csrf,
        "template": "2021",
        "organ": ORGAN,
        "year": "2025",
        "t3.new.natural": "9",
        "t3.carried_in.natural": "2",
        "t3.total.natural": "3",
        "t3.carried_out.natural": "0",
    }
    checks = client.post("/compose/check", data=form, headers={"X-CSRF-Token": csrf})
    assert "[T3-BALANCE] 表三“自然人”列：应为 <b>11</b>，实为 <b>3</b>" in checks.text
    assert '#compose-form input[name="t3.new.natural"]' in checks.text
    assert client.post("/compose/save", data=form, follow_redirects=False).status_code == 303
    refused = client.post("/compose/publish", data={"csrf_token": csrf, "organ": ORGAN, "year": "2025"})
    assert refused.status_code == 422 and "勾稽关系" in refused.text
    form["t3.total.natural"] = "11"
    client.post("/compose/save", data=form)
    page = client.get("/compose/edit", params={"organ": ORGAN, "year": 2025})
    assert page.text.count(f"· {WRITER[0]}") == 2  # two saves in the history
    docx = client.get("/compose/download", params={"organ": ORGAN, "year": 2025, "fmt": "docx"})
    back = parse(docx.content, "r.docx")
    assert (back.value("t3.new.natural"), back.value("t3.total.natural")) == (9, 11)
    published = client.post(
        "/compose/publish", data={"csrf_token": csrf, "organ": ORGAN, "year": "2025"}, follow_redirects=False
    )
    assert published.status_code == 303
    with Corpus(db) as corpus:
        rows = corpus.reports(organ=ORGAN, year=2025)
        assert [(r.file_kind, r.year) for r in rows] == [("authored", 2025)]
        assert corpus.get(rows[0].id).value("t3.new.natural") == 9


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)")
def test_browser_writer_composes_and_publishes(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    db, _ = corpus_with_last_year(tmp_path)
    app = create_app(db, Settings())
    if not all(app.state.vendor.values()):
        pytest.skip("front-end packages missing: run npm ci")
    register = tmp_path / "台账.csv"
    expected = register_csv(register)
    with serving(app) as base, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True, locale="zh-CN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(f"{base}/login?next=/compose")
        page.fill("input[name=name]", WRITER[0])
        page.fill("input[name=password]", WRITER[1])
        page.click("form.login button[type=submit]")
        page.wait_for_url(f"{base}/compose")
        page.fill("#compose-year", "2025")
        page.click(".compose-pick button[type=submit]")
        page.wait_for_url(re.compile(r".*/compose/edit.*"))
        carried_in = page.locator('input[name="t3.carried_in.natural"]')
        expect(carried_in).to_have_value("2")  # prefilled from last year
        page.fill('input[name="t3.new.natural"]', "3")
        page.fill('input[name="t3.total.natural"]', "5")
        page.fill('input[name="t3.carried_out.natural"]', "0")
        expect(page.locator("#checks-ok")).to_be_visible()
        page.fill('input[name="t3.new.natural"]', "4")  # 4 + 2 ≠ 5 + 0
        expect(page.locator('#checks li[data-rule="T3-BALANCE"]')).to_contain_text("应为 6，实为 5")
        marked = page.locator('input[name="t3.new.natural"]')
        expect(marked).to_have_css("background-color", "rgb(248, 203, 173)")
        page.fill('input[name="t3.new.natural"]', "3")  # fixed
        expect(page.locator("#checks-ok")).to_be_visible()
        page.set_input_files("#register-file", str(register))
        page.click("#register-upload")
        expect(page.locator("#compose-message")).to_contain_text("计入 4 件")
        for key, value in expected.items():
            expect(page.locator(f'input[name="{key}"]')).to_have_value(str(value))
        page.fill('textarea[name="s5"]', "一是政策解读形式较为单一。下一步将丰富解读形式。")
        page.click("#compose-save")
        expect(page.locator("#compose-message")).to_contain_text("已保存草稿")
        expect(page.locator(".compose-history li")).to_contain_text(WRITER[0])
        with page.expect_download() as download:
            page.click("#download-docx")
        docx = Path(download.value.path()).read_bytes()
        back = parse(docx, "r.docx")
        assert {k: back.value(k) for k in expected} == expected
        page.click("#compose-publish")
        page.wait_for_url(re.compile(r".*/reports/\d+"))
        page.goto(f"{base}/reports")
        expect(page.locator("body")).to_contain_text(ORGAN)
        expect(page.locator("body")).to_contain_text("2025")
        browser.close()
