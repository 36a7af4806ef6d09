"""Working days: China's statutory calendar (chinesecalendar) plus the notice's overrides."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import chinese_calendar

from states.notice import CalendarRules


class UnknownCalendarYear(LookupError):
    """A date in a year neither chinesecalendar nor the notice's config knows."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"年份 {year} 的法定节假日未知：chinesecalendar 不含该年，通知配置也未列出。"
            f" 请在通知配置的 [calendar.full_years.\"{year}\"] 中列出该年全部 days_off 和"
            f" working_days，或升级 chinesecalendar。"
        )


class WorkingCalendar:
    def __init__(self, rules: CalendarRules):
        self.rules = rules

    def is_working_day(self, day: date) -> bool:
        if day in self.rules.extra_working_days:
            return True
        if day in self.rules.extra_days_off:
            return False
        listed = self.rules.full_years.get(day.year)
        if listed is not None:
            if day in listed.working_days:
                return True
            return day.weekday() < 5 and day not in listed.days_off
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise UnknownCalendarYear(day.year) from None

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first one after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def nth_working_day(self, start: date, n: int, start_counts: bool = True) -> date:
        """The n-th working day counting from ``start`` (day 1 is ``start`` when it counts)."""
        day = self.next_working_day(start if start_counts else start + timedelta(days=1))
        for _ in range(n - 1):
            day = self.next_working_day(day + timedelta(days=1))
        return day

    def end_of_nth_working_day(
        self, start: datetime, n: int, start_counts: bool = True
    ) -> datetime:
        """24:00 of the n-th working day, in ``start``'s time zone (00:00 of the next day)."""
        last = self.nth_working_day(start.date(), n, start_counts)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=start.tzinfo)
