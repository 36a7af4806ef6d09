"""The pages against people who are not staff: body sizes before the session, errors and a
busy database as Chinese pages with every header, the login form's signed token, the
administrators' pause list, and who gets the import form."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.support.helpers import ID_A
from tests.support.web import GOOD, csrf, log_in
from workflow.store.tables import AUDIT
from workflow.web.limits import FORM_BYTES, STRANGER_BYTES
from workflow.web.security import HEADERS


class Counted:
    """A request body that says how much of it was read."""

    # A file part's head, so that a multipart parser reads on into the file.
    HEAD = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n'

    def __init__(self, total: int, chunk: int = 64 * 1024):
        self.total, self.chunk, self.sent = total, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        yield self.HEAD
        while self.sent < self.total:
            self.sent += self.chunk
            yield b"x" * self.chunk


def _post_streamed(app: object, path: str, body: Counted, cookie: str = "") -> int:
    """A POST sent to the application as a server would pass it on, chunk by chunk with no
    Content-Length (chunked), so that what the application reads is what ``body`` counts."""
    import anyio

    chunks = iter(body)
    status: list[int] = []

    async def receive() -> dict[str, object]:
        chunk = next(chunks, b"")
        return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            status.append(int(message["status"]))  # type: ignore[call-overload]

    headers = [(b"content-type", b"multipart/form-data; boundary=x"), (b"transfer-encoding", b"chunked")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    anyio.run(app, scope, receive, send)  # type: ignore[arg-type]
    return status[0]


def _headers_all_there(response) -> None:  # type: ignore[no-untyped-def]
    for name in HEADERS:
        assert name.lower() in response.headers, name


def test_a_stranger_s_large_body_is_refused_before_it_is_read(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    declared = client.post("/import", content=b"x" * 10, headers={"content-length": str(400 * 1024 * 1024)})
    assert declared.status_code == 413 and "过大" in declared.text
    _headers_all_there(declared)
    for path in ("/import", "/login", "/cases/1/submit"):
        body = Counted(200 * 1024 * 1024)
        assert _post_streamed(client.app, path, body) == 413, path
        assert body.sent <= STRANGER_BYTES + body.chunk, (path, body.sent)  # stopped at the stranger's limit


def test_a_made_up_session_cookie_gets_no_more_than_a_stranger(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    body = Counted(30 * 1024 * 1024)
    assert _post_streamed(client.app, "/import", body, "chuding_session=made-up") == 413
    assert body.sent <= STRANGER_BYTES + body.chunk


def test_a_logged_in_form_is_limited_to_a_form_s_size_and_an_import_to_its_file_s(site) -> None:  # type: ignore[no-untyped-def]
    from workflow.web.limits import FILE_ROUTES

    [import_bytes] = [limit for pattern, limit in FILE_ROUTES if pattern.fullmatch("/import")]
    _, client = site
    token = log_in(client, "reviewer")
    big = client.post("/cases/1/start_review", data={"csrf": token, "reason": "长" * FORM_BYTES})
    assert big.status_code == 413
    clerk = TestClient(client.app, follow_redirects=False)
    log_in(clerk, "clerk")
    body = Counted(import_bytes + 2 * 1024 * 1024)  # the file and its zip of scans, and more
    session = f"chuding_session={clerk.cookies['chuding_session']}"
    assert _post_streamed(client.app, "/import", body, session) == 413
    assert import_bytes - 128 * 1024 <= body.sent <= import_bytes + 128 * 1024


def test_an_unexpected_error_is_a_chinese_page_with_an_incident_number_in_the_log(
        site, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    import workflow.reads.work

    _, client = site
    log_in(client, "reviewer")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"a bug that mentions {ID_A}")

    monkeypatch.setattr(workflow.reads.work, "my_work", broken)
    with caplog.at_level(logging.ERROR, logger="chuding.web"):
        page = client.get("/")
    assert page.status_code == 500 and "服务器出错" in page.text and "Traceback" not in page.text
    _headers_all_there(page)
    incident = re.search(r"事件编号 ([0-9A-F]{8})", page.text)
    assert incident is not None and incident.group(1) in caplog.text
    assert ID_A not in caplog.text and "RuntimeError" in caplog.text


def test_a_busy_database_is_a_503_with_retry_after_and_nothing_changed(db_url: str, engine: sa.Engine,
                                                                        site) -> None:  # type: ignore[no-untyped-def]
    """A real lock held by another writer, past a short busy wait (SQLite's write lock;
    PostgreSQL's row lock with a lock timeout)."""
    from tests.support.world import World  # noqa: F401 - the site's world is loaded
    from workflow.runtime.bootstrap import bootstrap
    from workflow.runtime.settings import Settings
    from workflow.web import create_app

    world, _ = site
    postgres = engine.dialect.name == "postgresql"
    app = create_app(bootstrap(Settings(database_url=db_url, now="2024-10-09T10:00:00+08:00", sqlite_busy_ms=200)))
    if postgres:
        def short_waits(dbapi: object, _: object) -> None:
            dbapi.execute("SET lock_timeout = '200ms'")  # type: ignore[attr-defined]
            dbapi.commit()  # type: ignore[attr-defined]  # kept past the pool's rollback

        sa.event.listen(app.state.engine, "connect", short_waits)
        app.state.engine.dispose()  # the connections start-up opened: new ones wait briefly
    with TestClient(app, follow_redirects=False) as client:
        token = log_in(client, "clerk")
        holder = engine.connect()
        try:
            if postgres:
                holder.exec_driver_sql("BEGIN")
                holder.exec_driver_sql("SELECT id FROM operator FOR UPDATE")
            else:
                holder.exec_driver_sql("BEGIN IMMEDIATE")
            answer = client.post("/cases/1/submit", data={"csrf": token})
        finally:
            holder.rollback()
            holder.close()
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert "系统正忙" in answer.text and "未作任何更改" in answer.text
        _headers_all_there(answer)
        assert world.state(1) == "drafted"
    app.state.engine.dispose()


def test_the_login_form_s_token_is_signed_by_the_site_and_bound_to_its_cookie(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    token = csrf(client.get("/login").text)
    nonce, issued, _ = token.split(".")
    forged = f"{nonce}.{issued}.{'0' * 64}"
    assert client.post("/login", data={"login": "clerk", "password": GOOD, "csrf": forged}).status_code == 403
    planted = TestClient(client.app, follow_redirects=False)
    planted.cookies.set("chuding_login_csrf", "planted-by-a-sibling")
    assert planted.post("/login", data={"login": "clerk", "password": GOOD, "csrf": token}).status_code == 403
    assert client.post("/login", data={"login": "clerk", "password": GOOD, "csrf": token}).status_code == 303


def test_a_refused_login_looks_the_same_whatever_the_reason(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    answers = set()
    for login in ("clerk", "nobody-at-all"):
        for _ in range(7):
            page = client.post("/login", data={"login": login, "password": "not it at all",
                                               "csrf": csrf(client.get("/login").text)})
            answers.add((page.status_code, re.sub(r'name="csrf" value="[^"]+"', "", page.text)))
    assert len(answers) == 1


def test_an_administrator_sees_and_lifts_a_pause_from_the_page(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    for _ in range(5):
        client.post("/login", data={"login": "water", "password": "not it at all",
                                    "csrf": csrf(client.get("/login").text)})
    assert client.post("/login", data={"login": "water", "password": GOOD,
                                       "csrf": csrf(client.get("/login").text)}).status_code == 401
    from workflow.usecases.passwords import set_password

    set_password(engine, "admin", "admin", GOOD)
    admin = TestClient(client.app, follow_redirects=False)
    token = log_in(admin, "admin")
    page = admin.get("/admin").text
    assert "登录暂停" in page and "此登录名在此地址" in page and ">water<" in page
    lifted = admin.post("/admin/unblock", data={"csrf": token, "login": "water", "address": "testclient"})
    assert lifted.status_code == 303
    assert client.post("/login", data={"login": "water", "password": GOOD,
                                       "csrf": csrf(client.get("/login").text)}).status_code == 303
    with engine.connect() as conn:
        unlocks = sa.select(AUDIT.c.actor).where(AUDIT.c.action == "login.unlock")
        assert conn.execute(unlocks).scalars().all() == ["admin"]


def test_only_those_who_may_import_get_the_import_form(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    log_in(client, "water")
    page = client.get("/import")
    assert page.status_code == 403 and 'type="file"' not in page.text
    clerk = TestClient(client.app, follow_redirects=False)
    log_in(clerk, "clerk")
    assert 'type="file"' in clerk.get("/import").text


@pytest.mark.parametrize("login", ["x/../boss", "a b", "<b>", "名字", "-dash", "a" * 65])
def test_a_login_outside_the_safe_alphabet_is_refused_at_registration(engine: sa.Engine, login: str) -> None:
    from states.refusals import Refused
    from tests.support.world import World
    from workflow.usecases.operators import register_operator

    World(engine)
    with pytest.raises(Refused) as err:
        register_operator(engine, "admin", login, "某人", "county_reviewer", None)
    assert "operator.login" in {r.rule for r in err.value.refusals}


def test_a_code_from_older_data_is_one_path_segment_in_every_address(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    """Codes are a safe alphabet now, but a unit registered before may hold anything."""
    from states.values import Event
    from tests.support.helpers import bj
    from tests.support.rules import to_publicity
    from workflow.store.tables import UNITS

    world, client = site
    to_publicity(world, 1)
    world.run(1, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))  # the unit's 公示 is offered now
    with engine.begin() as conn:
        conn.execute(sa.update(UNITS).where(UNITS.c.code == "LT-SL-01").values(code="U/../x"))
    log_in(client, "reviewer")
    page = client.get("/cases/1").text
    assert "/units/U%2F..%2Fx/documents/unit_publicity" in page and "/units/U/../x/" not in page


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_x_forwarded_for_is_believed_only_from_a_named_proxy(db_url: str, engine: sa.Engine, site,  # type: ignore[no-untyped-def]
                                                            trusted: str) -> None:
    """Through a real uvicorn on a free port: the audit records the peer's own address
    unless the request came from a proxy named in CHUDING_TRUSTED_PROXIES."""
    import urllib.parse
    import urllib.request

    from tests.support.pgserver import free_port
    from workflow.runtime.bootstrap import bootstrap
    from workflow.runtime.settings import Settings
    from workflow.web.server import WebServer

    web = WebServer(bootstrap(Settings(database_url=db_url, now="2024-10-09T10:00:00+08:00",
                                       trusted_proxies=trusted)), f"127.0.0.1:{free_port()}")
    web.start()
    try:
        for _ in range(100):
            if web.server.started:
                break
            time.sleep(0.05)
        base = web.url.rstrip("/")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"{base}/login", timeout=10).read().decode()
        form = urllib.parse.urlencode({"login": "clerk", "password": "wrong, wrong, wrong",
                                       "csrf": csrf(page)}).encode()
        request = urllib.request.Request(f"{base}/login", data=form, headers={"X-Forwarded-For": "203.0.113.9"})
        try:
            opener.open(request, timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code == 401
    finally:
        web.stop()
        web.server.config.app.state.engine.dispose()
    with engine.connect() as conn:
        details = conn.execute(sa.select(AUDIT.c.details).where(AUDIT.c.action == "login.failure")).scalar_one()
    assert ('"203.0.113.9"' in details) == bool(trusted) and ('"127.0.0.1"' in details) == (not trusted)


def test_over_https_every_cookie_is_host_only(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    secure = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    page = secure.get("/login")
    assert "__Host-chuding_login_csrf=" in page.headers["set-cookie"] and "Secure" in page.headers["set-cookie"]
    done = secure.post("/login", data={"login": "clerk", "password": GOOD, "csrf": csrf(page.text)})
    assert done.status_code == 303 and "__Host-chuding_session=" in done.headers["set-cookie"]
    assert secure.get("/").status_code == 200  # the session is read back under its __Host- name
