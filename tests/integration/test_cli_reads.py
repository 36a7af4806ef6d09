"""The command line reads as the pages do: through the use cases that take the acting
person, with their scoping and masking. Run in this process (typer's runner) on both
databases: the commands, their options and their output, without a process each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.support.helpers import bj, engineer, teacher
from tests.support.world import UNIT_OF, World
from workflow.cli import app
from workflow.usecases.operators import disable_operator

NOW = "2024-10-09T10:00:00+08:00"
PHONES = ("13800000001", "13800000002")
EMAILS = ("ali@example.cn", "guli@example.cn")


class Reader:
    def __init__(self, url: str, tmp: Path):
        self.url, self.tmp = url, tmp

    def __call__(self, login: str, *args: str, code: int = 0) -> Any:
        done = CliRunner().invoke(app, ["--db", self.url, "--as", login, *args, "--json"],
                                  env={"CHUDING_NOW": NOW, "CHUDING_MAIL_DIR": str(self.tmp / "mail"),
                                       "CHUDING_SMS_DIR": str(self.tmp / "sms")})
        assert done.exit_code == code, (login, args, done.output)
        return json.loads(done.stdout)


@pytest.fixture
def read(engine: sa.Engine, tmp_path: Path) -> Reader:
    world = World(engine)
    records = [engineer(), teacher()]
    for record, phone, email in zip(records, PHONES, EMAILS, strict=True):
        record["applicant"].update(phone=phone, email=email)
    world.import_(records)
    return Reader(engine.url.render_as_string(hide_password=False), tmp_path)


def _unit_of(read: Reader, case: int) -> str:
    return str(read("admin", "show", str(case))["unit"])


def test_a_unit_operator_reads_only_their_own_unit(read: Reader, engine: sa.Engine, tmp_path: Path) -> None:
    from states.values import Event
    from workflow.usecases.events import run_event

    theirs = {_unit_of(read, case): case for case in (1, 2)}
    water, school = UNIT_OF["LT-SL-01"], UNIT_OF["LT-ED-07"]
    run_event(engine, theirs["LT-SL-01"], Event.REPORT_FRAUD, "approver", bj(2024, 10, 9, 9), reason="伪造证书")
    # Another unit's case does not exist for them, as it does not for an event.
    refused = read(school, "show", str(theirs["LT-SL-01"]), code=1)
    assert refused["reasons"][0]["message"] == read(school, "show", "99", code=1)["reasons"][0]["message"] \
        .replace("99", str(theirs["LT-SL-01"]))
    assert read(water, "show", str(theirs["LT-SL-01"]))["case"] == theirs["LT-SL-01"]
    assert [c["case"] for c in read(school, "list")] == [theirs["LT-ED-07"]]
    assert [c["case"] for c in read(school, "list", "--unit", "LT-SL-01")] == [theirs["LT-ED-07"]]
    assert read(school, "bans", "list") == []
    assert [b["case"] for b in read(water, "bans", "list")] == [theirs["LT-SL-01"]]
    assert [c["cases"] for c in read(school, "status")["cases"]] == [1]
    assert sum(c["cases"] for c in read("admin", "status")["cases"]) == 2
    assert read(school, "export", "cases", str(tmp_path / "mine.xlsx"))["cases"] == 1
    # What only the bureau's staff keep is refused to a unit, as its page is.
    for args in (["operator", "list"], ["unit", "list"], ["outbox", "list"], ["outbox", "show", "1"],
                 ["template", str(tmp_path / "t.xlsx")]):
        read(school, *args, code=1)
    assert not (tmp_path / "t.xlsx").exists()


def test_the_outbox_masks_every_recipient_for_every_role_that_reads_it(read: Reader) -> None:
    for login in ("paper", "admin"):
        listed = read(login, "outbox", "list")
        assert listed and {m["channel"] for m in listed} == {"email", "sms"}
        shown = [read(login, "outbox", "show", str(m["id"])) for m in listed]
        text = json.dumps([listed, shown], ensure_ascii=False)
        for secret in (*PHONES, *EMAILS):
            assert secret not in text, (login, secret)
        assert "138****0001" in text and "a***@example.cn" in text


@pytest.mark.parametrize("login", ["nobody", "reviewer"])
def test_an_unknown_or_disabled_login_reads_nothing(read: Reader, engine: sa.Engine, tmp_path: Path,
                                                    login: str) -> None:
    disable_operator(engine, "admin", "reviewer")
    for args in (["list"], ["show", "1"], ["status"], ["bans", "list"], ["operator", "list"], ["unit", "list"],
                 ["outbox", "list"], ["outbox", "show", "1"], ["template", str(tmp_path / "t.xlsx")],
                 ["export", "cases", str(tmp_path / "e.xlsx")]):
        refused = read(login, *args, code=1)
        assert refused["reasons"][0]["rule"] == "operator.unknown", args
    assert not (tmp_path / "t.xlsx").exists() and not (tmp_path / "e.xlsx").exists()
