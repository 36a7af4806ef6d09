"""The web pages over a real database: who may come in, and what each person sees."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from states.values import Event
from tests.support.helpers import ID_A, bj, engineer
from tests.support.web import GOOD, NOW, csrf, log_in
from tests.support.world import World
from workflow.runtime.bootstrap import bootstrap
from workflow.runtime.settings import Settings
from workflow.store.tables import AUDIT, SESSIONS
from workflow.usecases.passwords import set_password
from workflow.web import create_app


def test_a_page_needs_a_login_and_every_page_carries_the_security_headers(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    assert client.get("/").headers["location"] == "/login"
    page = client.get("/login")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in page.text


def test_a_login_without_its_csrf_token_is_refused_and_opens_nothing(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    client.get("/login")
    refused = client.post("/login", data={"login": "clerk", "password": GOOD, "csrf": "forged"})
    assert refused.status_code == 403
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(SESSIONS)).scalar() == 0


def test_a_wrong_password_says_so_and_the_right_one_lets_in_with_a_strict_cookie(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    form = client.get("/login")
    wrong = client.post("/login", data={"login": "clerk", "password": "nope nope nope", "csrf": csrf(form.text)})
    assert wrong.status_code == 401 and "登录名或密码不正确" in wrong.text
    form = client.get("/login")
    done = client.post("/login", data={"login": "clerk", "password": GOOD, "csrf": csrf(form.text)})
    cookie = done.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert done.headers["location"] == "/"


def test_logout_needs_the_session_s_csrf_token(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    token = log_in(client, "clerk")
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert client.get("/").status_code == 200  # still logged in
    assert client.post("/logout", data={"csrf": token}).headers["location"] == "/login"
    assert client.get("/").headers["location"] == "/login"


def test_a_password_set_by_someone_else_must_be_changed_first(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    set_password(engine, "admin", "reviewer", "given by the admin")
    form = client.get("/login")
    done = client.post("/login", data={"login": "reviewer", "password": "given by the admin", "csrf": csrf(form.text)})
    assert done.headers["location"] == "/password"
    assert client.get("/cases").headers["location"] == "/password"
    token = csrf(client.get("/password").text)
    changed = client.post("/password", data={"current": "given by the admin", "password": "my own new one",
                                             "again": "my own new one", "csrf": token})
    assert changed.headers["location"] == "/login"
    assert client.get("/").headers["location"] == "/login"  # the old session ended
    with engine.connect() as conn:
        details = conn.execute(sa.select(AUDIT.c.details).where(AUDIT.c.action == "password.change")
                               .order_by(AUDIT.c.id.desc())).scalars().first()
    assert '"testclient"' in details  # the address it came from
    log_in(client, "reviewer", "my own new one")


def test_changing_one_s_password_asks_for_the_current_one(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    """A session left open on a borrowed computer cannot take the account over."""
    _, client = site
    token = log_in(client, "clerk")
    wrong = client.post("/password", data={"current": "a guess at it", "password": "taken over now",
                                           "again": "taken over now", "csrf": token})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text
    missing = client.post("/password", data={"password": "taken over now", "again": "taken over now", "csrf": token})
    assert missing.status_code == 400 and "当前密码不正确" in missing.text
    assert client.get("/").status_code == 200  # nothing changed: the session goes on
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AUDIT)
                            .where(AUDIT.c.action == "password.change", AUDIT.c.subject == "clerk")).scalar() == 1
    log_in(client, "clerk")  # the old password still works


def test_a_unit_operator_sees_only_their_unit_s_cases(site) -> None:  # type: ignore[no-untyped-def]
    world, client = site
    log_in(client, "water")
    listed = client.get("/cases").text
    assert "LT-SL-01" in listed and "LT-ED-07" not in listed
    assert client.get("/cases/1").status_code == 200
    assert client.get("/cases/2").status_code == 404  # the school's case: not found, not forbidden
    assert client.get("/cases/99999999999").status_code == 404
    token = log_in(client, "reviewer")
    for absurd in ("99999999999", "9" * 30, "-1", "0"):  # a form on a number no case can have
        assert client.get(f"/cases/{absurd}").status_code == 404, absurd
        answer = client.post(f"/cases/{absurd}/start_review", data={"csrf": token, "version": "1"})
        assert answer.status_code == 404 and "没有这个申报" in answer.text, (absurd, answer.status_code)


def test_my_work_lists_what_the_role_can_do_with_its_deadline_and_ids_masked(site) -> None:  # type: ignore[no-untyped-def]
    world, client = site
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    log_in(client, "reviewer")
    page = client.get("/").text
    assert "可以办理 1 件" in page and 'href="/cases/1"' in page and "2024-10-31 18:00:00" in page
    assert ID_A not in page and "652822********0018" in page
    case = client.get("/cases/1").text
    assert ID_A not in case and "submit" in case
    assert "工程技术（水利工程）" in case and "本科（全日制） 新疆农业大学 水利水电工程" in case and "2023 优秀" in case


def test_a_reviewer_returns_a_case_from_its_page_with_the_same_rules_as_the_command(site) -> None:  # type: ignore[no-untyped-def]
    world, client = site
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    world.run(1, Event.START_REVIEW, "reviewer", bj(2024, 10, 8, 11))
    token = log_in(client, "reviewer")
    page = client.get("/cases/1").text
    assert 'action="/cases/1/return_for_correction"' in page and 'action="/cases/1/confirm"' not in page
    refused = client.post("/cases/1/return_for_correction", data={"csrf": token, "reason": "  "})
    assert refused.status_code == 400 and "reason.missing" in refused.text
    assert world.state(1) == "online_review"
    forged = client.post("/cases/1/return_for_correction", data={"csrf": "forged", "reason": "缺件"})
    assert forged.status_code == 403 and world.state(1) == "online_review"
    done = client.post("/cases/1/return_for_correction", data={"csrf": token, "reason": "学信网备案表过期"})
    assert done.headers["location"] == "/cases/1" and world.state(1) == "returned"
    last = world.history(1)[-1]
    assert (last.event, last.actor, last.reason) == ("return_for_correction", "reviewer", "学信网备案表过期")


def test_a_unit_operator_cannot_act_on_another_unit_s_case_even_by_address(site) -> None:  # type: ignore[no-untyped-def]
    world, client = site
    token = log_in(client, "water")
    assert client.post("/cases/2/start_publicity", data={"csrf": token}).status_code == 404
    assert client.post("/cases/1/no_such_event", data={"csrf": token}).status_code == 404


def test_the_list_filters_searches_by_name_or_number_and_pages(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    import workflow.web.pages as pages
    from tests.support.helpers import valid_id, with_id

    world, client = site
    world.import_([with_id(engineer(), valid_id(100 + i), f"申报人{i}") for i in range(5)])
    token = log_in(client, "reviewer")
    listed = client.get("/cases?state=drafted").text
    assert listed.count('href="/cases/') == 7
    bad = client.get("/cases?state=nonsense")
    assert bad.status_code == 400 and "状态：未知的状态 &#39;nonsense&#39;" in bad.text, bad.text
    found = client.post("/cases", data={"csrf": token, "q": "申报人3"}).text
    assert found.count('href="/cases/') == 1
    by_number = client.post("/cases", data={"csrf": token, "q": "2"}).text
    assert 'href="/cases/2"' in by_number
    assert client.post("/cases", data={"q": "申报人3"}).status_code == 403  # a search is a form: CSRF too
    pages.PAGE = 3
    try:
        first = client.get("/cases").text
        assert first.count('href="/cases/') == 3 and 'name="past" value="5"' in first
        second = client.post("/cases", data={"csrf": token, "past": "5"}).text
        assert [int(n) for n in re.findall(r'href="/cases/(\d+)"', second)] == [4, 3, 2]
        oldest = client.get("/cases?order=oldest&past=2").text
        assert [int(n) for n in re.findall(r'href="/cases/(\d+)"', oldest)] == [3, 4, 5]
        assert client.get("/cases?campaign=luntai-2024&state=drafted").text.count('href="/cases/') == 3
        unknown = client.get("/cases?campaign=luntai-1999")
        assert unknown.status_code == 400 and "campaign" in unknown.text
    finally:
        pages.PAGE = 50


def test_a_unit_operator_asking_for_another_unit_still_sees_only_their_own(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    log_in(client, "water")
    page = client.get("/cases?unit=LT-ED-07").text
    assert "LT-ED-07" not in page.split("<tbody>")[1] and "LT-SL-01" in page


def test_forms_offer_the_checklist_of_the_case_s_series_and_the_opinion_pre_filled(site, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.support.helpers import OPINION
    from tests.support.rules import to_publicity

    world, client = site
    for case, unit in ((1, "water"), (2, "school")):
        to_publicity(world, case)
        world.run(case, Event.START_PUBLICITY, unit, bj(2024, 10, 9))
    log_in(client, "water")
    close = client.get("/cases/1").text
    assert 'action="/cases/1/close_publicity"' in close and f'name="opinion" value="{OPINION}"' in close
    client.cookies.clear()
    for case in (1, 2):
        world.run(case, Event.CLOSE_PUBLICITY, "water" if case == 1 else "school", bj(2024, 10, 16), opinion=OPINION)
    set_password(engine, "paper", "paper", GOOD)
    log_in(client, "paper")
    engineer_form = client.get("/cases/1").text
    teacher_form = client.get("/cases/2").text
    assert engineer_form.count('name="items"') == 8 and "教师资格证书" not in engineer_form
    assert teacher_form.count('name="items"') == 12 and "教师资格证书" in teacher_form


def test_one_session_works_on_two_replicas_and_ends_on_both_when_disabled(pg_engine: sa.Engine) -> None:
    """PostgreSQL: two `serve` replicas share the sessions, so no sticky sessions are needed."""
    from workflow.usecases.operators import set_active

    World(pg_engine)
    set_password(pg_engine, "clerk", "clerk", GOOD)
    url = pg_engine.url.render_as_string(hide_password=False)
    apps = [create_app(bootstrap(Settings(database_url=url, now=NOW))) for _ in range(2)]
    with TestClient(apps[0], follow_redirects=False) as first, TestClient(apps[1], follow_redirects=False) as second:
        log_in(first, "clerk")
        second.cookies.update(first.cookies)
        assert second.get("/cases").status_code == 200  # the replica that did not log it in
        with pg_engine.begin() as conn:
            set_active(conn, "clerk", False)
        assert first.get("/").headers["location"] == "/login"
        assert second.get("/").headers["location"] == "/login"
    for app in apps:
        app.state.engine.dispose()


def test_a_search_for_any_kind_of_digit_answers_and_never_fails(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    token = log_in(client, "reviewer")
    for text in ("²", "１", "1" * 40, "<script>", "%_"):
        page = client.post("/cases", data={"csrf": token, "q": text})
        assert page.status_code == 200, (text, page.text[:200])
    for field, label in (("q", "姓名或申报编号"), ("unit", "推荐单位代码"), ("state", "状态")):
        page = client.post("/cases", data={"csrf": token, field: "a\x00b"})  # refused, naming the field
        said = f"{label}：不能含控制字符或不可见的格式字符（U+0000）"
        assert page.status_code == 400 and said in page.text, (field, page.text[:300])
    assert 'href="/cases/1"' in client.post("/cases", data={"csrf": token, "q": "１"}).text  # full-width 1
