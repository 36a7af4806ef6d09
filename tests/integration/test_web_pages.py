"""The campaign, import, outbox and administration pages, and forms filled in from a page
that has since gone stale: over a real database, through the same use cases as the CLI."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from notifications.outbox import OUTBOX
from states.values import Event
from tests.support.helpers import ID_A, bj, engineer, valid_id, with_id
from tests.support.web import GOOD, log_in
from workflow.store.tables import CASES, OPERATORS, UNITS
from workflow.usecases.passwords import set_password


def test_the_campaign_page_counts_and_draws_its_charts_scoped_to_the_unit(site) -> None:  # type: ignore[no-untyped-def]
    world, client = site
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    log_in(client, "reviewer")
    page = client.get("/campaign")
    assert page.status_code == 200
    text = page.text
    assert "共 2 件申报" in text and text.count("<svg") == 3 and "<script" not in text
    assert "LT-SL-01" in text and "LT-ED-07" in text
    assert "2024-10-08：1 件" in text  # the one submission, on its Beijing day
    for window in ("个人申报", "网上形式审核", "受理纸质材料"):  # named as the notice names them
        assert window in text, window
    client.cookies.clear()
    log_in(client, "school")
    mine = client.get("/campaign").text
    assert "共 1 件申报" in mine and "LT-SL-01" not in mine and "弄虚作假" not in mine


def test_a_form_filled_in_from_a_stale_page_is_a_conflict_and_changes_nothing(site) -> None:  # type: ignore[no-untyped-def]
    world, client = site
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    token = log_in(client, "reviewer")
    page = client.get("/cases/1").text
    version = int(page.split('name="version" value="')[1].split('"')[0])
    world.run(1, Event.START_REVIEW, "reviewer", bj(2024, 10, 9))  # someone else, meanwhile
    stale = client.post("/cases/1/start_review", data={"csrf": token, "version": str(version)})
    assert stale.status_code == 409 and "已被他人修改" in stale.text and 'href="/cases/1"' in stale.text
    assert world.state(1) == "online_review" and len(world.history(1)) == 3


def test_an_uploaded_file_is_imported_all_or_nothing_with_every_problem_named(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    token = log_in(client, "clerk")
    good = [with_id(engineer(), valid_id(300 + i), f"上传{i}") for i in range(2)]
    done = client.post("/import", data={"csrf": token},
                       files={"file": ("a.json", json.dumps(good, ensure_ascii=False).encode(), "application/json")})
    assert done.status_code == 200 and "新建 2 件" in done.text
    bad = [with_id(engineer(), valid_id(400), "好的"), {**engineer(), "unit": {}}, {"applicant": "x"}]
    refused = client.post("/import", data={"csrf": token},
                          files={"file": ("b.json", json.dumps(bad, ensure_ascii=False).encode(), "application/json")})
    assert refused.status_code == 400 and "未导入任何申报" in refused.text
    assert "第 2 条" in refused.text and "第 3 条" in refused.text and "unit" in refused.text
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CASES)).scalar() == 4
    assert client.post("/import", data={"csrf": "forged"},
                       files={"file": ("a.json", b"[]", "application/json")}).status_code == 403
    for content in (b"[{", b"\xff\xfe[", b"PK\x03\x04 not a workbook"):  # refused for the file, or for the form?
        forged = client.post("/import", data={"csrf": "forged"}, files={"file": ("a.json", content, "text/plain")})
        assert forged.status_code == 403 and "CSRF" in forged.text, (content, forged.text[:300])
    not_utf8 = client.post("/import", data={"csrf": token}, files={"file": ("c.json", b"\xff\xfe[", "text/plain")})
    assert not_utf8.status_code == 400 and "UTF-8" in not_utf8.text
    client.cookies.clear()
    reviewer = log_in(client, "reviewer")
    one = json.dumps([with_id(engineer(), valid_id(500), "审核人导入")], ensure_ascii=False).encode()
    assert client.post("/import", data={"csrf": reviewer},
                       files={"file": ("a.json", one, "application/json")}).status_code == 403


def test_dead_messages_are_shown_masked_and_sent_again_by_staff_only(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    world, client = site
    world.run(1, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    with engine.begin() as conn:
        conn.execute(sa.update(OUTBOX).values(status="dead", last_error="550 mailbox unavailable"))
        dead = conn.execute(sa.select(OUTBOX.c.id, OUTBOX.c.recipient)).all()
    log_in(client, "clerk")
    assert client.get("/outbox").status_code == 403
    client.cookies.clear()
    set_password(engine, "admin", "admin", GOOD)
    token = log_in(client, "admin")
    page = client.get("/outbox").text
    assert "550 mailbox unavailable" in page
    for _, recipient in dead:
        assert recipient not in page
    retried = client.post("/outbox/retry", data={"csrf": token, "message": [str(dead[0].id)]})
    assert retried.status_code == 303
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.select(OUTBOX.c.id, OUTBOX.c.status)).all())
    assert statuses[dead[0].id] == "pending" and all(s == "dead" for i, s in statuses.items() if i != dead[0].id)
    absurd = client.post("/outbox/retry", data={"csrf": token, "message": ["9" * 30, "-1"]})  # no such messages
    assert absurd.status_code == 303
    none_ticked = client.post("/outbox/retry", data={"csrf": token})  # the button resends the ticked ones only
    assert none_ticked.status_code == 400
    assert "请先勾选" in none_ticked.text and "550 mailbox unavailable" in none_ticked.text
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(OUTBOX.c.id, OUTBOX.c.status)).all()) == statuses


def test_an_administrator_registers_units_and_operators_and_disables_one(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    log_in(client, "reviewer")
    assert client.get("/admin").status_code == 403
    client.cookies.clear()
    set_password(engine, "admin", "admin", GOOD)
    token = log_in(client, "admin")
    unit = client.post("/admin/units", data={"csrf": token, "code": "LT-YY-02", "name": "轮台县人民医院",
                                             "level": "县级", "type": "事业单位"})
    assert unit.status_code == 303
    bad = client.post("/admin/operators", data={"csrf": token, "login": "doc", "role": "unit_operator"})
    assert bad.status_code == 400 and "unit" in bad.text  # a unit operator needs a unit: said beside the form
    added = client.post("/admin/operators", data={"csrf": token, "login": "doc", "role": "unit_operator",
                                                  "unit": "LT-YY-02", "password": "first one given"})
    assert added.status_code == 303
    with engine.connect() as conn:
        assert conn.execute(sa.select(UNITS.c.name).where(UNITS.c.code == "LT-YY-02")).scalar() == "轮台县人民医院"
        assert conn.execute(sa.select(OPERATORS.c.active).where(OPERATORS.c.login == "doc")).scalar()
    water = client.__class__(client.app, follow_redirects=False)
    log_in(water, "water")
    assert client.post("/admin/operators/disable", data={"csrf": token, "login": "water"}).status_code == 303
    assert water.get("/").headers["location"] == "/login"  # their session ended with it
    assert ID_A not in client.get("/admin").text


def test_my_work_pages_the_ready_cases_and_counts_every_waiting_one(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    from workflow.reads.work import my_work

    world, _ = site
    world.import_([with_id(engineer(), valid_id(600 + i), f"待办{i}") for i in range(3)])
    for case in (1, 2, 3):
        world.run(case, Event.SUBMIT, "clerk", bj(2024, 10, 8))
    now = bj(2024, 10, 9, 10)
    everything = my_work(engine, "reviewer", now)
    assert [r["case"] for r in everything["rows"]] == [1, 2, 3] and everything["complete"]
    assert everything["waiting"] == {"submitted": 3} and everything["rows"][0]["until"] == bj(2024, 10, 31, 18)
    first = my_work(engine, "reviewer", now, limit=2)
    assert [r["case"] for r in first["rows"]] == [1, 2] and not first["complete"] and first["total"] == 3
    clerk = my_work(engine, "clerk", now)  # cases 4 and 5 wait for their submission
    assert clerk["waiting"]["drafted"] == 2 and all(r["state"] == "drafted" for r in clerk["rows"])
    assert my_work(engine, "reviewer", bj(2024, 11, 1))["rows"] == []  # the window has closed: nothing is ready


def _routes(client) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every page and form of the site, with its parameters filled in."""
    sample = {"number": "1", "event": "start_review", "login": "water", "token": "1.1.x", "kind": "commitment",
              "code": "LT-SL-01", "slot": "id_scan", "part": "1"}
    found = []
    routes = [r for top in client.app.routes for r in getattr(getattr(top, "original_router", None), "routes", [top])]
    for route in routes:
        for method in sorted(getattr(route, "methods", None) or []):
            if method in ("GET", "POST") and not route.path.startswith("/static"):
                found.append((method, re.sub(r"{(\w+)}", lambda m: sample[m.group(1)], route.path)))
    return found


PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/status/1.1.x")}


def _fingerprint(engine: sa.Engine) -> tuple[int, ...]:
    from workflow.store.tables import AUDIT, HISTORY, UNITS

    with engine.connect() as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (HISTORY, OUTBOX, OPERATORS, UNITS, CASES, AUDIT))


def test_every_page_needs_a_login_and_every_form_its_csrf_token(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    routes = _routes(client)
    assert len(routes) >= 18 and ("POST", "/admin/units") in routes
    before = _fingerprint(engine)
    for method, path in sorted(set(routes) - PUBLIC):
        answer = client.request(method, path, data={"csrf": "x"})
        assert answer.status_code == 303 and answer.headers["location"] == "/login", (method, path)
    set_password(engine, "admin", "admin", GOOD)
    log_in(client, "admin")
    for method, path in routes:
        if method == "POST" and path not in ("/login",):
            answer = client.request(method, path, data={"reason": "x", "login": "x", "code": "X"})
            assert answer.status_code == 403, (path, answer.status_code)
    bad = client.post("/cases/1/start_review", data={"csrf": "x", "version": "one"})
    assert bad.status_code == 400 and "version" in bad.text and "<script" not in bad.text
    assert _fingerprint(engine)[:5] == before[:5]  # nothing changed (the audit only gained the login)


def test_the_import_page_takes_the_workbook_too(site, engine: sa.Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.helpers import NOTICE
    from tests.support.workbooks import filled
    from workflow.inputs.workbook import write_template

    _, client = site
    token = log_in(client, "clerk")
    assert 'href="/import/template"' in client.get("/import").text
    downloaded = client.get("/import/template")  # the page offers the template: the same as `chuding template`
    assert downloaded.status_code == 200 and downloaded.headers["content-disposition"].startswith("attachment;")
    template = tmp_path / "t.xlsx"
    template.write_bytes(downloaded.content)
    written = tmp_path / "written.xlsx"
    write_template(written, NOTICE)
    from openpyxl import load_workbook

    assert [c.value for c in load_workbook(template).active[1]] == [c.value for c in load_workbook(written).active[1]]
    data = filled([with_id(engineer(), valid_id(800), "表格导入")], template)
    done = client.post("/import", data={"csrf": token}, files={"file": ("a.xlsx", data, "application/octet-stream")})
    assert done.status_code == 303 and done.headers["location"] == "/cases/3"
    client.cookies.clear()
    log_in(client, "reviewer")  # who may not import gets no template either
    assert client.get("/import/template").status_code == 403


def test_documents_download_from_the_pages_for_those_who_may_see_them(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from docx import Document as Word

    _, client = site
    log_in(client, "water")
    page = client.get("/cases/1").text
    assert 'href="/cases/1/documents/commitment"' in page
    made = client.get("/cases/1/documents/commitment")
    assert made.status_code == 200 and "filename*=UTF-8''%E4%B8%AA" in made.headers["content-disposition"]
    assert "艾力·买买提" in "\n".join(p.text for p in Word(BytesIO(made.content)).paragraphs)
    assert client.get("/cases/2/documents/commitment").status_code == 404  # the school's case
    refused = client.get("/cases/1/documents/teacher_statement")
    assert refused.status_code == 400 and "教师系列" in refused.text
    assert client.get("/units/LT-ED-07/documents/unit_publicity").status_code == 400  # another unit
    assert client.get("/campaigns/luntai-2024/confirmed-list").status_code == 400  # county staff only


def test_a_control_character_in_an_address_is_refused_not_an_error(site) -> None:  # type: ignore[no-untyped-def]
    _, client = site
    log_in(client, "reviewer")
    for path in ("/units/A%00B/documents/unit_publicity", "/campaigns/x%00y/confirmed-list",
                 "/units/%1B[31m/documents/publicity_result"):
        answer = client.get(path)
        assert answer.status_code == 400 and "控制字符" in answer.text, (path, answer.status_code)


def test_submissions_are_counted_per_beijing_day_by_the_database(engine: sa.Engine) -> None:
    """Two submissions two minutes apart, either side of Beijing midnight: the same day in
    UTC (15:59 and 16:01), two days in Beijing, where the bureau counts them."""
    from tests.support.world import World
    from workflow.reads.overview import campaign_overview

    world = World(engine)
    first, second = world.import_([with_id(engineer(), valid_id(300 + i), f"申报人{i}") for i in range(2)]).created
    world.run(first, Event.SUBMIT, "clerk", bj(2024, 10, 8, 23, 59))
    world.run(second, Event.SUBMIT, "clerk", bj(2024, 10, 9, 0, 1))
    per_day = campaign_overview(engine, "reviewer", bj(2024, 10, 9, 12))["per_day"]
    counts = {str(d["day"]): d["count"] for d in per_day}
    assert counts["2024-10-08"] == 1 and counts["2024-10-09"] == 1 and sum(counts.values()) == 2


def test_an_upload_one_byte_over_the_limit_is_refused_and_imports_nothing(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    from workflow.inputs.import_file import MAX_FILE_BYTES

    _, client = site
    token = log_in(client, "clerk")
    with engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(CASES)).scalar()
    big = client.post("/import", data={"csrf": token},
                      files={"file": ("big.json", b"[" + b" " * (MAX_FILE_BYTES - 1) + b"]", "application/json")})
    assert big.status_code == 413 and "超过 20 MB" in big.text
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(CASES)).scalar() == before


def test_an_irreversible_decision_asks_for_a_second_explicit_step_and_nothing_happens_without_it(
        site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    """撤回, 不予确认 and 认定弄虚作假 stand apart, state their consequence and need a box
    ticked; a form sent without it (no script, or a forged one) changes nothing."""
    world, client = site
    token = log_in(client, "clerk")
    page = client.get("/cases/1").text
    assert page.index("不能撤销的办理") < page.index('id="act-withdraw"')
    assert page.index('id="act-submit"') < page.index("不能撤销的办理")  # the routine ones first
    assert "撤回后本申报即告终止，不能恢复，本年度不能再次申报。" in page
    assert 'name="understood" value="yes" required' in page.split('id="act-withdraw"')[1].split("</form>")[0]
    refused = client.post("/cases/1/withdraw", data={"csrf": token, "version": "1", "reason": "本人要求"})
    assert refused.status_code == 400 and "我已知晓后果" in refused.text
    assert world.state(1) == "drafted" and world.version(1) == 1
    done = client.post("/cases/1/withdraw", data={"csrf": token, "version": "1", "reason": "本人要求",
                                                   "understood": "yes"})
    assert done.status_code == 303 and world.state(1) == "withdrawn"


def test_the_case_page_offers_only_the_documents_that_apply_now(site, engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    """No 师德师风 for an engineer, no 评审表 before approval, no 回执 before receipt, the
    unit's 公示 only while it runs; each appears when it applies."""
    from tests.support.rules import to_publicity

    world, client = site
    log_in(client, "clerk")

    def offered(case: int) -> set[str]:
        import re

        page = client.get(f"/cases/{case}").text.split('<ul class="documents">')[1].split("</ul>")[0]
        return set(re.findall(r"/documents/(\w+)", page))

    assert offered(1) == {"commitment"}  # an engineer's drafted case
    assert offered(2) == {"commitment", "teacher_statement"}  # a teacher's
    to_publicity(world, 1)
    world.run(1, Event.START_PUBLICITY, "water", bj(2024, 10, 9, 10))
    assert offered(1) == {"review_form", "commitment", "unit_publicity"}
