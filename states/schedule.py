"""When the service must act by itself: window closings, reminders, publicity and bans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from states.calendar import WorkingCalendar
from states.notice import Notice
from states.process import EXPIRY_WINDOW, states_after
from states.status import Status
from states.values import Event

# Each reminder to applicants and reviewers, and the window whose close it warns of.
REMINDER_WINDOW = {"reminder_personal_closing": "personal", "reminder_review_closing": "review",
                   "reminder_paper_checklist": "paper"}
# Message kinds that are not events: an import or an amendment leaves a draft.
LEAVES_A_DRAFT = ("import", "amend")


@dataclass(frozen=True)
class Moment:
    at: datetime
    what: str  # expire_personal, reminder_paper_checklist, ...
    campaign: str


def expiring_states(window_key: str) -> list[Status]:
    """The states a window's closing expires (drafted and returned for the personal window, ...)."""
    return [state for state, key in EXPIRY_WINDOW.items() if key == window_key]


def deadline_of(kind: str) -> str | None:
    """What a message of ``kind`` names as the deadline (a key of its context): a started
    publicity, its completion; a reminder, the close of the window it warns of; after an
    event, the close of the window that bounds the work the case now waits for."""
    if kind == Event.START_PUBLICITY:
        return "publicity_completes"
    windows: set[str | None]
    if kind in REMINDER_WINDOW:
        windows = {REMINDER_WINDOW[kind]}
    elif kind in LEAVES_A_DRAFT:
        windows = {EXPIRY_WINDOW[Status.DRAFTED]}
    elif kind in Event.__members__.values():
        windows = {EXPIRY_WINDOW.get(state) for state in states_after(Event(kind))}
    else:
        return None
    window = windows.pop() if len(windows) == 1 else None
    return f"{window}_closes" if window else None


def reminder_times(notice: Notice) -> dict[str, datetime]:
    """When each of a campaign's reminders is due (an UnknownCalendarYear may be raised)."""
    review = notice.review.closes
    day = review.date()
    calendar = WorkingCalendar(notice.calendar)
    for _ in range(notice.remind_review_working_days_before):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    times = {
        "personal": notice.personal.closes - timedelta(days=notice.remind_personal_days_before),
        "review": datetime.combine(day, review.timetz()),
        "paper": notice.paper.opens,  # the checklist, as the paper window opens
    }
    return {kind: times[window] for kind, window in REMINDER_WINDOW.items()}


def campaign_moments(notice: Notice) -> list[Moment]:
    moments = [Moment(w.first_late_second, f"expire_{key}", notice.code) for key, w in notice.windows.items()]
    moments += [Moment(at, kind, notice.code) for kind, at in reminder_times(notice).items()]
    return sorted(moments, key=lambda m: m.at)
