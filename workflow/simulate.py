"""`chuding simulate`: a whole campaign replayed on a simulated clock, in seconds.

Operators' actions go through the same handlers as the `chuding` commands, and between
them the service's sweeps run at every moment its schedule names — the same code the
background service runs; only the clock is simulated. The result is the timeline: which
case moved when, and why.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from states.clock import BEIJING
from states.refusals import Refused
from states.values import Event
from workflow.errors import Conflict
from workflow.reads.cases import case_for
from workflow.runtime.schedule import upcoming
from workflow.usecases.events import run_event
from workflow.usecases.importer import import_applications
from workflow.usecases.operators import register_operator
from workflow.usecases.setup import initialise
from workflow.usecases.sweeps import catch_up

if TYPE_CHECKING:
    import sqlalchemy as sa

    from workflow.store.materials import MaterialStore

ADMIN = "sim-admin"
ROLES = {  # scenario name -> (login, role)
    "clerk": ("sim-clerk", "applicant_clerk"),
    "reviewer": ("sim-reviewer", "county_reviewer"),
    "paper": ("sim-paper", "county_clerk"),
    "approver": ("sim-approver", "county_approver"),
}


@dataclass
class Timeline:
    lines: list[str] = field(default_factory=list)  # "time  case N ...", in time order
    refusals: int = 0
    final: Counter[str] = field(default_factory=Counter)


def _at(text: str) -> datetime:
    instant = datetime.fromisoformat(text)
    return instant if instant.tzinfo else instant.replace(tzinfo=BEIJING)


def _ticks(engine: sa.Engine, after: datetime, until: datetime) -> None:
    """Run the service's sweep at each moment of its schedule in (after, until]."""
    while True:
        due = [m.at for m in upcoming(engine, after) if after < m.at <= until]
        if not due:
            return
        after = min(due)
        catch_up(engine, after)


def run(engine: sa.Engine, notice_file: Path, scenario: dict[str, Any], until: datetime | None = None,
        store: MaterialStore | None = None) -> Timeline:
    """Replay ``scenario`` on ``engine`` (an empty database), seeded as staff would seed it:
    `init` with an administrator, who registers the staff; the clerk imports and uploads
    each applicant's files, the unit its publicity scans (placeholders, kept in ``store``;
    without one, nobody's files are uploaded)."""
    timeline = Timeline()
    start = _at(scenario["start"])
    initialise(engine, None, [notice_file], ADMIN, "模拟管理员")
    for login, role in ROLES.values():
        register_operator(engine, ADMIN, login, login, role, None)
    clerk = ROLES["clerk"][0]
    records = scenario["applications"]
    created = import_applications(engine, json.dumps(records, ensure_ascii=False), "scenario", clerk, start).created
    for unit in sorted({r["unit"]["code"] for r in records}):
        register_operator(engine, ADMIN, f"sim-unit-{unit}", f"{unit} 操作员", "unit_operator", unit)
    if store is not None:
        for case in created:
            _placeholders(engine, store, clerk, case, "applicant", start)
    now = start
    for action in sorted(scenario["actions"], key=lambda a: _at(a["at"])):
        at = _at(action["at"])
        # Moments strictly before the action: at a tie the operator acts first, as a
        # command racing the sweep to the same second may.
        _ticks(engine, now, at - timedelta(microseconds=1))
        now = at
        if store is not None and action["event"] == Event.CLOSE_PUBLICITY:  # the unit posted its scans
            _placeholders(engine, store, _who(action), created[action["case"] - 1], "unit", at)
        _act_on(engine, created[action["case"] - 1], action, timeline)
    _ticks(engine, now - timedelta(microseconds=1), until or now + timedelta(days=366 * 4))
    end = until or now + timedelta(days=366 * 4)
    reports = [case_for(engine, ADMIN, case, end) for case in created]
    timeline.lines += [_history_line(report, h) for report in reports for h in report["history"]]
    timeline.lines.sort(key=lambda line: (line[:19], int(line[26:29])))
    timeline.final.update(report["state"] for report in reports)
    return timeline


def _placeholders(engine: sa.Engine, store: MaterialStore, who: str, case: int, provider: str,
                  at: datetime) -> None:
    """A placeholder scan in each needed slot of ``provider``'s still empty (as many pages
    as the slot needs; a 一寸 photo for the photo), uploaded as ``who`` would; a slot
    that may not be changed now is left as it is, as a person would find it."""
    from workflow.usecases.materials import Upload, add_materials, materials_for

    for slot in materials_for(engine, who, case)["slots"]:
        if slot["needed"] and slot["provider"] == provider and not slot["files"] and slot["open"]:
            add_materials(engine, store, who, case, slot["slot"],
                          [Upload(f"{slot['slot']}-示例", _placeholder(slot["pages"], slot["photo"]))], at)


def _placeholder(pages: int, photo: bool) -> bytes:
    import io

    out = io.BytesIO()
    if photo:
        from PIL import Image

        Image.new("RGB", (295, 413), (70, 130, 200)).save(out, "JPEG")
    else:
        from pypdf import PdfWriter

        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(width=595, height=842)
        writer.write(out)
    return out.getvalue()


def _who(action: dict[str, Any]) -> str:
    return ROLES.get(action["as"], (f"sim-unit-{action['as']}", ""))[0]


def _act_on(engine: sa.Engine, case: int, action: dict[str, Any], timeline: Timeline) -> None:
    """One staff action as its command would run it; a refusal is a line of the timeline."""
    at = _at(action["at"])
    who = _who(action)
    said = {k: v for k, v in action.items() if k in ("reason", "opinion", "upheld", "form_code")}
    if "items" in action:
        said["items"] = frozenset(action["items"])
    if action["event"] == Event.RECEIVE_PAPER and "form_code" not in said:
        from workflow.documents.review_form import printed_code

        said["form_code"] = printed_code(engine, case) or ""  # the clerk types the code on the form
    try:
        run_event(engine, case, Event(action["event"]), who, at, **said)
    except (Refused, Conflict) as err:
        timeline.refusals += 1
        # Each reason with its field and rule, as the command would print it.
        reasons = "; ".join(str(r) for r in err.refusals) if isinstance(err, Refused) else str(err)
        timeline.lines.append(f"{at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}  case {case:<3} "
                              f"{action['event']} by {who} REFUSED: {reasons}")


def _history_line(report: dict[str, Any], h: dict[str, Any]) -> str:
    return (f"{h['effective_at'].astimezone(BEIJING):%Y-%m-%d %H:%M:%S}  case {report['case']:<3} {report['name']:<6} "
            f"{h['event']:<19} {h['from_state'] or '—':>14} → {h['to_state']:<14} by {h['actor']}"
            + (f"  ({h['reason']})" if h["reason"] else ""))


def sample_scenario(template: dict[str, Any], commitment: str, opinion: str,
                    paper_items: list[str]) -> dict[str, Any]:
    """Applicants covering the interesting cases of the 2024 campaign, and what staff do."""
    return {"start": "2024-09-27T10:00:00+08:00", "applications": _sample_people(template, commitment),
            "actions": _sample_actions(template["unit"]["code"], opinion, paper_items)}


def _sample_people(template: dict[str, Any], commitment: str) -> list[dict[str, Any]]:
    from states.idnumber import check_character

    def person(n: int, name: str, **changes: Any) -> dict[str, Any]:
        record = copy.deepcopy(template)
        first17 = f"652822199{n % 10}0{(n % 9) + 1}1{n % 10}0{n:02d}"[:17]
        record["applicant"] = {"id_number": first17 + check_character(first17), "name": name,
                               "email": f"applicant{n}@example.cn", "phone": f"1380000{n:04d}"}
        record["commitment_text"] = commitment
        record.update(changes)
        return record

    master = [{**template["educations"][0], "level": "硕士研究生"}]
    return [
        person(1, "艾力"),  # the whole way to confirmed
        person(2, "古丽", educations=master),  # a master: refused, then expires
        person(3, "王磊"),  # submits a second late
        person(4, "李娜"),  # returned, corrected, resubmitted, confirmed
        person(5, "张伟"),  # objection dismissed, confirmed
        person(6, "马晓"),  # objection upheld: the unit rejects
        person(7, "阿布都"),  # confirmed, then fraud: revoked and banned
        person(8, "刘洋"),  # withdraws
        person(9, "赵静"),  # approved but the paper file never comes: expires
        person(10, "孙悦"),  # never submits: expires
    ]


def _act(at: str, who: str, event: str, case: int, **said: Any) -> dict[str, Any]:
    return {"at": f"2024-{at}+08:00", "as": who, "event": event, "case": case, **said}


def _to_publicity(unit: str, case: int, day: int) -> list[dict[str, Any]]:
    return [_act(f"10-{day:02d}T10:00:00", "clerk", "submit", case),
            _act(f"10-{day:02d}T11:00:00", "reviewer", "start_review", case),
            _act(f"10-{day:02d}T11:30:00", "reviewer", "approve_online", case),
            _act(f"10-{day:02d}T15:00:00", unit, "start_publicity", case)]


def _to_confirmed(unit: str, case: int, close_day: int, opinion: str, items: list[str]) -> list[dict[str, Any]]:
    return [_act(f"10-{close_day:02d}T09:00:00", unit, "close_publicity", case, opinion=opinion),
            _act("10-25T10:00:00", "paper", "receive_paper", case, items=items),
            _act("11-04T10:00:00", "approver", "confirm", case)]


def _sample_actions(unit: str, opinion: str, items: list[str]) -> list[dict[str, Any]]:
    def confirmed(case: int, close_day: int) -> list[dict[str, Any]]:
        return _to_confirmed(unit, case, close_day, opinion, items)

    return [
        *_to_publicity(unit, 1, 8), *confirmed(1, 14),  # publicity counts the working Saturday 10-12
        _act("10-09T10:00:00", "clerk", "submit", 2),
        _act("10-30T18:00:01", "clerk", "submit", 3),
        _act("10-09T10:00:00", "clerk", "submit", 4),
        _act("10-10T10:00:00", "reviewer", "start_review", 4),
        _act("10-10T11:00:00", "reviewer", "return_for_correction", 4, reason="学信网备案表已过有效期"),
        _act("10-11T10:00:00", "clerk", "submit", 4),
        *[a for a in _to_publicity(unit, 4, 14) if a["event"] != "submit"], *confirmed(4, 21),
        *_to_publicity(unit, 5, 9),
        _act("10-10T10:00:00", unit, "record_objection", 5, reason="反映其工作年限不足"),
        _act("10-11T10:00:00", unit, "resolve_objection", 5, reason="经核实，工作年限符合要求", upheld=False),
        *confirmed(5, 17),
        *_to_publicity(unit, 6, 9),
        _act("10-10T10:00:00", unit, "record_objection", 6, reason="反映其学历证书系伪造"),
        _act("10-12T10:00:00", unit, "resolve_objection", 6, reason="经核实，异议成立", upheld=True),
        _act("10-12T11:00:00", unit, "reject", 6, reason="公示异议成立"),
        *_to_publicity(unit, 7, 8), *confirmed(7, 15),
        _act("12-02T10:00:00", "approver", "report_fraud", 7, reason="学信网备案表系伪造"),
        _act("10-09T10:00:00", "clerk", "submit", 8),
        _act("10-12T10:00:00", "clerk", "withdraw", 8, reason="本人申请撤回"),
        *_to_publicity(unit, 9, 10),
    ]
