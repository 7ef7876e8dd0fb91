from datetime import date

import pytest

from crm.models import CalendarDay
from crm.workdays import add_working_days, is_workday, seed_from_library

pytestmark = pytest.mark.django_db


def test_friday_before_qingming_counts_past_the_holiday():
    # 2026-04-03 is a Friday; 4–6 April are the Qingming holiday.
    assert add_working_days(date(2026, 4, 3), 2) == date(2026, 4, 8)


def test_adjusted_working_sunday_counts():
    # Sunday 2026-09-20 is a working day (调休) before the Mid-Autumn holiday.
    assert is_workday(date(2026, 9, 20))
    assert add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)


def test_an_unannounced_year_falls_back_to_the_table_then_weekends():
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)  # plain weekends in 2027
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 5)


def test_the_table_is_seeded_and_overrides_the_library():
    assert CalendarDay.objects.filter(date=date(2026, 10, 1), is_workday=False).exists()  # from the migration
    CalendarDay.objects.update_or_create(date=date(2026, 4, 6), defaults={"is_workday": True, "name": "公司上班"})
    assert add_working_days(date(2026, 4, 3), 2) == date(2026, 4, 7)
    assert seed_from_library(2027) == 0
