"""The web app under attack (issue 15): sign-in throttling, one hash per sign-in whoever asks, scrypt off the event
loop, server-side sessions (logout and a password change end them), HSTS and Secure cookies over HTTPS, huge ids,
no server paths or reviewer names for anonymous readers, an upload with a corrupt file, `ogi serve` on a busy port,
and a small schemathesis run over the OpenAPI document (the longer one is bench/bench_api_fuzz.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import re
import socket
import warnings
import zipfile

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette's notice about its test client's HTTP library
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from ogi.corpus import Corpus
from ogi.corpus import accounts as accounts_module
from ogi.corpus.accounts import Throttle
from ogi.serve import Settings, create_app

from .test_serve_api import ADMIN, REVIEWER, generated, login, make_app, upload

WRONG = "not-the-password"


def sign_in_form(client: TestClient, name: str, password: str):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token}, follow_redirects=False)


def test_thirty_wrong_passwords_answer_429_and_others_sign_in(tmp_path):
    app = make_app(tmp_path)
    client = TestClient(app)
    statuses = [sign_in_form(client, REVIEWER[0], WRONG).status_code for _ in range(30)]
    limit = Throttle().per_pair
    assert statuses[:limit] == [401] * limit and set(statuses[limit:]) == {429}
    refused = sign_in_form(client, *REVIEWER)  # the right password too: the guesser must not learn it is right
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text and int(refused.headers["Retry-After"]) > 0
    basic = client.get("/api/me", auth=REVIEWER)  # scripts' credentials are throttled alike
    assert basic.status_code == 429 and basic.json()["status"] == 429
    other = TestClient(app)  # another user, from the same address: unaffected
    assert sign_in_form(other, *ADMIN).status_code == 303
    assert other.get("/api/me").json()["user"]["name"] == ADMIN[0]
    elsewhere = TestClient(app, client=("192.0.2.7", 40000))  # the reviewer from another address: unaffected
    assert sign_in_form(elsewhere, *REVIEWER).status_code == 303


def test_guessing_many_names_from_one_address_is_throttled(tmp_path):
    app = make_app(tmp_path)
    app.state.accounts.throttle = Throttle(per_address=5)
    client = TestClient(app)
    statuses = [sign_in_form(client, f"user{i}", WRONG).status_code for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    assert sign_in_form(TestClient(app, client=("192.0.2.8", 40000)), *REVIEWER).status_code == 303


def test_unknown_and_known_names_take_the_same_hash_path(tmp_path, monkeypatch):
    """Timing is not asserted (a shared machine is noisy): both answers cost exactly one scrypt each."""
    accounts = Corpus(str(tmp_path / "c.db")).accounts
    accounts.add("known", "the-password")
    accounts.check("nobody", "warm-up")  # the dummy hash is made once per process
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(accounts_module.hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    for name in ("known", "nobody"):
        calls.clear()
        assert accounts.sign_in(name, WRONG, "198.51.100.1") is None
        assert len(calls) == 1, name
    calls.clear()
    assert accounts.sign_in("known", "the-password", "198.51.100.1")["name"] == "known" and len(calls) == 1


def test_password_hashing_runs_off_the_event_loop(tmp_path, monkeypatch):
    app = make_app(tmp_path)
    seen = []

    def spying(real):
        def spy(*args):
            try:
                asyncio.get_running_loop()
                seen.append((real.__name__, "event loop"))
            except RuntimeError:
                seen.append((real.__name__, "thread"))
            return real(*args)

        return spy

    for name in ("check_password", "hash_password"):
        monkeypatch.setattr(accounts_module, name, spying(getattr(accounts_module, name)))
    client = TestClient(app)
    sign_in_form(client, *REVIEWER)  # the form
    token = client.get("/api/me").json()["csrf_token"]
    client.post("/logout", data={"csrf_token": token})
    # Basic credentials checked by an async gate, then a new account's password hashed
    assert (
        TestClient(app).post("/api/users", data={"name": "x", "password": "password12"}, auth=ADMIN).status_code == 201
    )
    assert {where for _, where in seen} == {"thread"}
    assert {name for name, _ in seen} == {"check_password", "hash_password"}


def test_a_logged_out_cookie_is_refused(tmp_path):
    app = make_app(tmp_path)
    client = TestClient(app)
    token = login(client, *REVIEWER)
    copied = client.cookies.get("ogi_session")
    thief = TestClient(app, cookies={"ogi_session": copied})
    assert thief.get("/api/me").json()["user"]["name"] == REVIEWER[0]  # a live session's cookie works anywhere
    client.post("/logout", data={"csrf_token": token})
    assert thief.get("/api/me").json()["user"] is None
    r = upload(thief, token, "x.txt", generated(2021)[1].encode())
    assert r.status_code == 401
    assert "ogi_session" not in client.cookies


def test_a_password_change_ends_the_other_sessions(tmp_path):
    app = make_app(tmp_path)
    laptop, phone = TestClient(app), TestClient(app)
    token = login(laptop, *REVIEWER)
    login(phone, *REVIEWER)
    wrong = laptop.post(
        "/api/password", data={"current": WRONG, "new": "new-password-1"}, headers={"X-CSRF-Token": token}
    )
    assert wrong.status_code == 422 and phone.get("/api/me").json()["user"] is not None
    r = laptop.post(
        "/api/password",
        data={"current": REVIEWER[1], "new": "new-password-1"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200 and r.json()["changed"]
    assert phone.get("/api/me").json()["user"] is None  # the other session ended
    assert laptop.get("/api/me").json()["user"]["name"] == REVIEWER[0]  # the one that changed it goes on
    assert sign_in_form(TestClient(app), *REVIEWER).status_code == 401
    assert sign_in_form(TestClient(app), REVIEWER[0], "new-password-1").status_code == 303
    app.state.accounts.add(REVIEWER[0], "reset-by-admin", "reviewer", replace=True)  # an admin's reset ends all
    assert laptop.get("/api/me").json()["user"] is None


def test_hsts_and_secure_cookies_over_https_only(tmp_path):
    app = make_app(tmp_path)
    plain = TestClient(app)
    login(plain, *REVIEWER)
    assert "Strict-Transport-Security" not in plain.get("/reports").headers
    secure = TestClient(app, base_url="https://testserver")
    r = sign_in_form(secure, *REVIEWER)
    assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
    assert secure.get("/reports").headers["Strict-Transport-Security"].startswith("max-age=")
    (tmp_path / "b").mkdir()
    always = TestClient(make_app(tmp_path / "b", secure_cookies=True))  # the operator's choice, behind a TLS proxy
    assert "secure" in sign_in_form(always, *REVIEWER).headers["set-cookie"].lower()


HUGE = ["18446744073709551616", "9223372036854775808", "99999999999999999999999999", "-1", "0", "abc", "1e3", "²"]
ID_ROUTES = [
    "/reports/{}",
    "/api/reports/{}",
    "/export/reports/{}.csv",
    "/api/reports/{}/source",
    "/reports/{}/original",
    "/organs/{}",
    "/api/organs/{}",
    "/export/organs/{}.xlsx",
]
QUERY_ROUTES = ["/api/reports?year={}", "/api/reports?page={}", "/api/dashboard?year={}", "/api/coverage?year={}"]


@pytest.mark.parametrize("value", HUGE)
def test_huge_and_malformed_integers_answer_404_or_422(tmp_path, db_url, value):
    app = create_app(db_url, Settings())
    app.state.accounts.add(*REVIEWER, "reviewer")
    client = TestClient(app, raise_server_exceptions=False)
    for route in ID_ROUTES + QUERY_ROUTES:
        r = client.get(route.format(value))
        assert r.status_code in (200, 404, 422), (route, value, r.status_code)
    for route in ("/api/findings/{}/review", "/api/reports/{}/cells"):
        r = client.post(route.format(value), data={"status": "confirmed", "key": "t3.new.natural"}, auth=REVIEWER)
        assert r.status_code in (404, 422), (route, value, r.status_code)
    app.state.corpus.close()


def test_ids_at_and_past_the_id_columns_range(tmp_path, db_url):
    """Ids are INTEGER columns (32 bits on PostgreSQL): the largest is simply absent, one more is refused."""
    app = create_app(db_url, Settings())
    client = TestClient(app, raise_server_exceptions=False)
    for route in ("/api/reports/{}", "/api/organs/{}", "/reports/{}/original"):
        assert client.get(route.format(2**31 - 1)).status_code == 404
        assert client.get(route.format(2**31)).status_code == 422
    app.state.corpus.close()


def test_anonymous_readers_see_no_server_paths_or_reviewer_names(tmp_path):
    app = make_app(tmp_path)
    folder = tmp_path / "秘密的服务器目录"
    folder.mkdir()
    report = folder / "会宁县财政局2021年报告.txt"
    report.write_text(generated(2021)[1], encoding="utf-8")
    broken = folder / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 broken")
    from ogi.corpus.ingest import ingest

    ingest(app.state.corpus, [str(report), str(broken)], workers=1, progress=False)
    report_id = app.state.corpus.reports()[0].id
    reviewer = TestClient(app)
    token = login(reviewer, *REVIEWER)
    key = "t3.new.natural"
    assert (
        reviewer.post(
            f"/api/reports/{report_id}/cells", data={"key": key, "value": "1"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 200
    )
    finding = reviewer.get(f"/api/reports/{report_id}").json()["findings"][0]
    reviewer.post(
        f"/api/findings/{finding['id']}/review",
        data={"status": "confirmed", "comment": "请单位核实"},
        headers={"X-CSRF-Token": token},
    )
    signed_in = reviewer.get(f"/api/reports/{report_id}").json()
    assert signed_in["corrections"][0]["who"] == REVIEWER[0]
    assert any(f["reviewer"] == REVIEWER[0] for f in signed_in["findings"])

    anonymous = TestClient(app)
    pages = [
        "/api/reports",
        "/reports",
        f"/api/reports/{report_id}",
        f"/reports/{report_id}",
        f"/export/reports/{report_id}.csv?table=findings",
        "/api/failures",
        "/failures",
        "/export/reports.csv",
    ]
    for page in pages:
        text = anonymous.get(page).text
        assert str(folder) not in text and "秘密的服务器目录" not in text, page
        assert f'"{REVIEWER[0]}"' not in text and f">{REVIEWER[0]}<" not in text, page
    data = anonymous.get(f"/api/reports/{report_id}").json()
    assert data["report"]["source"] == data["meta"]["source"] == report.name
    assert anonymous.get("/api/reports").json()["reports"][0]["source"] == report.name
    assert anonymous.get("/api/failures").json()["failures"][0]["source"] == "broken.pdf"
    assert {f["reviewer"] for f in data["findings"] if f["reviewer"]} == {"审核员"}
    assert {f["comment"] for f in data["findings"] if f["comment"]} == {"请单位核实"}
    assert data["corrections"][0]["who"] == "审核员"


def corrupt_xlsx() -> bytes:
    """A workbook whose cell points past the shared-string table (openpyxl raised IndexError on it: issue 15)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "政府信息公开工作年度报告"
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="A1" t="inlineStr"><is>.*?</is></c>', b'<c r="A1" t="s"><v>7</v></c>', data)
            zout.writestr(item, data)
    return out.getvalue()


def test_upload_with_a_corrupt_file_stores_the_others_and_records_it(tmp_path, monkeypatch):
    app = make_app(tmp_path, max_upload_mb=2, max_request_mb=10)
    client = TestClient(app, raise_server_exceptions=False)
    token = login(client, *REVIEWER)
    files = [
        ("files", ("a2021.txt", generated(2021, 1)[1].encode(), "text/plain")),
        ("files", ("bad.xlsx", corrupt_xlsx(), "application/octet-stream")),
        ("files", ("crash.txt", generated(2022, 3)[1].encode(), "text/plain")),
        ("files", ("b2022.txt", generated(2022, 2)[1].encode(), "text/plain")),
    ]
    import ogi.serve.upload as upload_module

    real_parse = upload_module.parse

    def parse(data, name):  # any exception a reader library might raise, not only the one known today
        if name == "crash.txt":
            raise RuntimeError("Failed to load page")
        return real_parse(data, name)

    monkeypatch.setattr(upload_module, "parse", parse)
    # The patched parser runs here, not in a parser process (which would import the real one).
    monkeypatch.setattr(upload_module, "parse_in_child", lambda data, name: upload_module.parse_file((data, name)))
    r = client.post("/api/upload", files=files, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    body = r.json()
    by_name = {x["name"]: x for x in body["results"]}
    assert (body["added"], body["failed"]) == (2, 2)
    assert by_name["a2021.txt"]["ok"] and by_name["b2022.txt"]["ok"]
    assert {by_name["a2021.txt"]["year"], by_name["b2022.txt"]["year"]} == {2021, 2022}
    for bad in ("bad.xlsx", "crash.txt"):
        assert not by_name[bad]["ok"] and by_name[bad]["status"] == 422 and by_name[bad]["error"]
    assert "RuntimeError" in by_name["crash.txt"]["error"]
    failures = {f["source"]: f for f in client.get("/api/failures").json()["failures"]}
    assert set(failures) == {"bad.xlsx", "crash.txt"}
    assert client.get("/api/reports").json()["total"] == 2


def test_an_upload_is_parsed_in_a_child_under_the_time_limit(tmp_path, monkeypatch):
    """A file that outlasts the per-file budget is stopped in its parser process and recorded; the server
    answers for it and goes on (its parser here never finishes, under a budget of half a second)."""
    import queue

    import ogi.serve.upload as upload_module
    from ogi.pool import Limits
    from tests.hostile import parse_forever

    app = make_app(tmp_path)
    client = TestClient(app)
    token = login(client, *REVIEWER)
    files = [("files", ("slow.txt", generated(2021, 1)[1].encode(), "text/plain"))]
    # Parser threads and pools of this test's own, whatever earlier tests left in the shared ones.
    monkeypatch.setattr(upload_module, "_jobs", queue.Queue())
    monkeypatch.setattr(upload_module, "_parsers", [])
    monkeypatch.setattr(upload_module, "parse_file", parse_forever)  # the test's own parser threads use it
    monkeypatch.setattr(upload_module, "UPLOAD_LIMITS", Limits(seconds=0.5))
    r = client.post("/api/upload", files=files, headers={"X-CSRF-Token": token})
    (result,) = r.json()["results"]
    assert not result["ok"] and "解析超时" in result["error"]
    assert [f["source"] for f in client.get("/api/failures").json()["failures"]] == ["slow.txt"]
    monkeypatch.undo()
    files = [("files", ("fine.txt", generated(2021, 2)[1].encode(), "text/plain"))]
    (result,) = client.post("/api/upload", files=files, headers={"X-CSRF-Token": token}).json()["results"]
    assert result["ok"] and result["year"] == 2021


def test_too_many_files_in_one_request_says_what_to_do(tmp_path):
    app = make_app(tmp_path, max_files=3)
    client = TestClient(app)
    token = login(client, *REVIEWER)
    files = [("files", (f"{i}.txt", b"x", "text/plain")) for i in range(4)]
    r = client.post("/api/upload", files=files, headers={"X-CSRF-Token": token})
    assert r.status_code == 413 and "最多上传 3 个文件（本次 4 个）" in r.json()["error"]
    page = client.get("/upload").text
    assert "webkitdirectory" in page and "文件夹" in page


def test_serve_on_a_busy_port_says_so_before_any_url(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from ogi.cli import app as cli

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn must not start on a busy port"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "b.db"), "--port", str(port)])
    assert r.exit_code == 2
    assert f"端口 {port} 已被占用" in r.output and "http://" not in r.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_workers_start_uvicorn_with_the_app_factory(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from ogi.cli import app as cli
    from ogi.serve.app import SERVE_ENV, from_environment

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(kw, target=target))
    monkeypatch.delenv(SERVE_ENV, raising=False)
    db = str(tmp_path / "w.db")
    args = ["serve", "--db", db, "--port", str(free_port()), "--workers", "3", "--read-only", "--proxy-headers"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert (seen["target"], seen["factory"], seen["workers"]) == ("ogi.serve.app:from_environment", True, 3)
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "127.0.0.1"
    assert json.loads(os.environ[SERVE_ENV])["db"] == db
    worker_app = from_environment()
    assert worker_app.state.settings.read_only
    worker_app.state.corpus.close()


def test_proxy_headers_are_off_unless_asked(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from ogi.cli import app as cli

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: seen.update(kw))
    assert CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "p.db"), "--port", str(free_port())]).exit_code == 0
    assert seen["proxy_headers"] is False  # X-Forwarded-Proto/For from anyone would fake HTTPS and addresses


def test_schemathesis_finds_no_server_error(tmp_path):
    """Few examples per operation (CI on 2 cores); bench/bench_api_fuzz.py runs many more."""
    schemathesis = pytest.importorskip("schemathesis")
    from schemathesis import GenerationMode

    app = make_app(tmp_path)
    client = TestClient(app)
    login(client, *REVIEWER)
    upload(client, client.get("/api/me").json()["csrf_token"], "gen.txt", generated(2021)[1].encode())
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list = []
    for operation in schema.get_all_operations():
        for mode, examples in ((GenerationMode.POSITIVE, 3), (GenerationMode.NEGATIVE, 2)):
            fuzz_operation(operation.ok(), mode, failures, max_examples=examples)
    assert failures == []


def fuzz_operation(operation, mode, failures: list, max_examples: int) -> None:
    """Call one API operation with schemathesis's cases of ``mode`` (valid or invalid by the schema), signed in
    as an administrator; note any 5xx."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable

    @settings(
        max_examples=max_examples,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        try:
            response = case.call(auth=ADMIN)
        except Exception as exc:  # raised through the ASGI transport: a 500 to a real client
            failures.append((operation.label, case.path_parameters, case.query, repr(exc)))
            return
        if response.status_code >= 500:
            failures.append((operation.label, case.path_parameters, case.query, response.status_code))

    with contextlib.suppress(Unsatisfiable):  # an operation without parameters has no invalid request to make
        check()


def test_sessions_and_throttle_kept_in_the_corpus(corpus):
    """The same rules on SQLite and PostgreSQL (every worker of `ogi serve --workers N` reads them there)."""
    accounts = corpus.accounts
    accounts.throttle = Throttle(per_pair=3, per_account=5)
    accounts.add("rev", "password-1")
    assert [accounts.sign_in("rev", WRONG, "198.51.100.1") for _ in range(3)] == [None] * 3
    with pytest.raises(accounts_module.TooManyAttempts) as refused:
        accounts.sign_in("rev", "password-1", "198.51.100.1")
    assert 0 < refused.value.retry_after <= 15 * 60 + 1
    assert accounts.sign_in("rev", "password-1", "198.51.100.2")["name"] == "rev"  # another address
    assert [accounts.sign_in("rev", WRONG, "198.51.100.3") for _ in range(2)] == [None] * 2
    with pytest.raises(accounts_module.TooManyAttempts):  # 5 failures from any addresses: the account waits
        accounts.sign_in("rev", "password-1", "198.51.100.4")
    kept, _ = accounts.start_session("rev", 1)
    ended, _ = accounts.start_session("rev", 1)
    assert accounts.session(ended)["name"] == "rev"
    accounts.set_password("rev", "password-2", keep_session=kept)
    assert accounts.session(ended) is None and accounts.session(kept)["name"] == "rev"
    accounts.end_session(kept)
    assert accounts.session(kept) is None
    expired, _ = accounts.start_session("rev", -1)
    assert accounts.session(expired) is None


def test_invalid_form_fields_answer_422_in_json(tmp_path):
    """Found by schemathesis: a text where a file is expected made a validation error the JSON could not hold."""
    client = TestClient(make_app(tmp_path), raise_server_exceptions=False)
    r = client.post("/api/organs/import", files=[("file", (None, "{}"))], auth=ADMIN)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    assert "{}" not in json.dumps(r.json()["detail"])  # what was sent is not echoed
