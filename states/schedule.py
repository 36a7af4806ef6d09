"""When the service must act by itself: window closings, reminders, publicity and bans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from states.calendar import WorkingCalendar
from states.notice import Notice
from states.process import EXPIRY_WINDOW
from states.status import Status

REMINDERS = ("reminder_personal_closing", "reminder_review_closing", "reminder_paper_checklist")


@dataclass(frozen=True)
class Moment:
    at: datetime
    what: str  # expire_personal, reminder_paper_checklist, ...
    campaign: str


def expiring_states(window_key: str) -> list[Status]:
    """The states a window's closing expires (drafted and returned for the personal window, ...)."""
    return [state for state, key in EXPIRY_WINDOW.items() if key == window_key]


def reminder_times(notice: Notice) -> dict[str, datetime]:
    """When each of a campaign's reminders is due (an UnknownCalendarYear may be raised)."""
    review = notice.review.closes
    day = review.date()
    calendar = WorkingCalendar(notice.calendar)
    for _ in range(notice.remind_review_working_days_before):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return {
        "reminder_personal_closing":
            notice.personal.closes - timedelta(days=notice.remind_personal_days_before),
        "reminder_review_closing": datetime.combine(day, review.timetz()),
        "reminder_paper_checklist": notice.paper.opens,
    }


def campaign_moments(notice: Notice) -> list[Moment]:
    moments = [Moment(w.first_late_second, f"expire_{key}", notice.code) for key, w in notice.windows.items()]
    moments += [Moment(at, kind, notice.code) for kind, at in reminder_times(notice).items()]
    return sorted(moments, key=lambda m: m.at)
