"""Working days by the Chinese calendar: the admin-edited CalendarDay table first, then
chinesecalendar for the years it knows, then plain weekends, so a deadline in a year nobody has
announced yet is still computed instead of crashing (chinesecalendar 1.11 stops at 2026)."""
from datetime import date, timedelta

import chinese_calendar

from .models import CalendarDay


def _overrides(start: date, end: date) -> dict[date, bool]:
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))


def _library_or_weekend(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def is_workday(day: date) -> bool:
    override = _overrides(day, day)
    return override[day] if day in override else _library_or_weekend(day)


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (the day of receipt does not count)."""
    window_end = start + timedelta(days=days * 3 + 30)
    overrides = _overrides(start, window_end)
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if current > window_end:
            window_end = current + timedelta(days=60)
            overrides.update(_overrides(current, window_end))
        counted += overrides[current] if current in overrides else _library_or_weekend(current)
    return current


def seed_from_library(year: int) -> int:
    """Copies the library's deviations from the weekend rule for `year` into CalendarDay."""
    day, created = date(year, 1, 1), 0
    while day.year == year:
        try:
            workday = chinese_calendar.is_workday(day)
        except NotImplementedError:
            return created
        if workday != (day.weekday() < 5):
            _holiday, name = chinese_calendar.get_holiday_detail(day)
            name = chinese_calendar.Holiday(name).chinese if name else ""  # 春节, not Spring Festival
            _obj, made = CalendarDay.objects.get_or_create(
                date=day, defaults={"is_workday": workday, "name": name or ("调休上班" if workday else "")}
            )
            created += made
        day += timedelta(days=1)
    return created
