"""The adapter over ``transitions``: the process table (``states.process``) as one machine,
built once, and the domain's answers about a case — may this command happen
(``decide``), and what is open to it, until when, and what blocks it (``prospects``).

The machine never holds a case. A command is run on a small plain object
(``_Attempt``) through ``MACHINE.events[name].trigger``; the single condition on every
transition runs the event's window check and guard and keeps *all* their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from transitions import Machine, MachineError
from transitions.core import EventData

from states.guards import typed_text_refusals
from states.process import BOUNDED_BY, EVENT_ROLES, PROCESS
from states.refusals import Refusal, Refused
from states.status import Status
from states.values import SERVICE_ACTOR, Case, Command, Event, Role

__all__ = ["CHECKLIST_EVENTS", "MACHINE", "Prospect", "actor_refusals", "allowed_events", "deadline", "decide",
           "prospects", "refusals_of", "sources"]


def refusals_of(case: Case, cmd: Command) -> list[Refusal]:
    """Every reason the case itself gives against ``cmd``: its event's window, then its guard."""
    step = PROCESS[cmd.event]
    found: list[Refusal] = []
    if step.window:
        refusal = case.notice.windows[step.window].refusal(cmd.now)
        found += [refusal] if refusal else []
    return found + step.guard(case, cmd)


@dataclass
class _Attempt:
    """The plain object the machine moves; it lives for one command only."""

    state: str
    case: Case
    command: Command
    refusals: list[Refusal] = field(default_factory=list)


def _guards_pass(event_data: EventData) -> bool:
    attempt = cast(_Attempt, event_data.model)
    attempt.refusals = refusals_of(attempt.case, attempt.command)
    return not attempt.refusals


def _transitions() -> list[dict[str, object]]:
    """The table's moves in the machine's terms (plain state names: transitions names
    enum members by their NAME)."""
    return [
        {"trigger": event.value, "source": [s.value for s in Status if s in sources],
         "dest": None if target is None else target.value, "conditions": _guards_pass}
        for event, step in PROCESS.items() for sources, target in step.moves
    ]


MACHINE = Machine(
    model=None, states=[s.value for s in Status], transitions=_transitions(),
    initial=None, auto_transitions=False, send_event=True,
)


def actor_refusals(case: Case, cmd: Command) -> list[Refusal]:
    found = []
    if cmd.actor.role not in EVENT_ROLES[cmd.event]:
        allowed = "、".join(sorted(EVENT_ROLES[cmd.event]))
        found.append(Refusal(
            "role.not_allowed", f"角色 {cmd.actor.role} 不能执行 {cmd.event}（可执行：{allowed}）", "operator"
        ))
    if cmd.actor.role is Role.UNIT_OPERATOR and cmd.actor.unit_code != case.unit.code:
        found.append(Refusal(
            "role.other_unit", f"单位操作员只能处理本单位（{cmd.actor.unit_code}）的申报", "operator"
        ))
    return found


def sources(event: Event) -> frozenset[Status]:
    return frozenset(s for sources_, _ in PROCESS[event].moves for s in sources_)


def decide(case: Case, cmd: Command) -> Status:
    """The state ``cmd`` leads ``case`` to, or ``Refused`` with every reason it may not."""
    found = actor_refusals(case, cmd) + typed_text_refusals(cmd)
    if case.state not in sources(cmd.event):
        found.append(Refusal(
            "state.not_allowed", f"{case.state.label}（{case.state}）状态下不能执行 {cmd.event}", "state"
        ))
        raise Refused(found)
    attempt = _Attempt(case.state.value, case, cmd)
    try:
        moved = MACHINE.events[cmd.event].trigger(attempt)
    except MachineError as err:  # only if the table and ``sources`` ever disagree
        raise Refused([*found, Refusal("state.not_allowed", str(err), "state")]) from err
    if found or not moved:
        raise Refused(found + attempt.refusals)
    return Status(attempt.state)


def allowed_events(case: Case, actor_roles: frozenset[Role] | None = None) -> list[Event]:
    """Events whose source includes the case's state (guards not run)."""
    return [
        e for e in Event
        if case.state in sources(e) and (actor_roles is None or EVENT_ROLES[e] & actor_roles)
    ]


def deadline(case: Case, event: Event) -> datetime | None:
    """Until when ``event`` can be done, where a window bounds it."""
    window = BOUNDED_BY.get(event)
    return case.notice.windows[window].closes if window else None


# The events whose guards list what the application still lacks (its materials).
CHECKLIST_EVENTS = (Event.SUBMIT, Event.RECEIVE_PAPER)
# Reasons that are about what the person types with the event, not about the case.
TYPED_INPUT_RULES = frozenset({"reason.missing", "publicity.opinion", "objection.outcome", "paper.missing",
                               "paper.form_code"})


@dataclass(frozen=True)
class Prospect:
    """An event open to a case: who may cause it, until when, what the case still lacks
    for it (``missing``, every reason) and what blocks it now (``blocked_by``, without
    what the person types with it)."""

    event: Event
    roles: frozenset[Role]
    until: datetime | None
    missing: tuple[Refusal, ...]
    planned: bool

    @property
    def blocked_by(self) -> tuple[Refusal, ...]:
        return tuple(r for r in self.missing if r.rule not in TYPED_INPUT_RULES)


def prospects(case: Case, now: datetime) -> list[Prospect]:
    """What may happen to ``case`` from its state, each with what stands in its way at ``now``."""
    return [
        Prospect(event, EVENT_ROLES[event], deadline(case, event),
                 tuple(refusals_of(case, Command(event, SERVICE_ACTOR, now))), PROCESS[event].planned)
        for event in allowed_events(case)
    ]
