"""Seeds the holiday table from chinesecalendar for the years around today that it knows."""
from django.db import migrations


def seed(apps, schema_editor):
    from datetime import date, timedelta

    import chinese_calendar

    CalendarDay = apps.get_model("crm", "CalendarDay")
    rows = []
    for year in (2025, 2026):
        day = date(year, 1, 1)
        while day.year == year:
            try:
                workday = chinese_calendar.is_workday(day)
            except NotImplementedError:
                break
            if workday != (day.weekday() < 5):
                _holiday, name = chinese_calendar.get_holiday_detail(day)
                rows.append(CalendarDay(date=day, is_workday=workday, name=name or ("调休上班" if workday else "")))
            day += timedelta(days=1)
    CalendarDay.objects.using(schema_editor.connection.alias).bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("crm", "0003_calendar_days")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
