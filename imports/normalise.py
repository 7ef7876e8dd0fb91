"""Turning what a hand-kept sheet holds into clean values, before the forms' validators see them.

Excel stores a phone typed as a number as `13800138000.0`, a date as a serial (`42496`) or as text
(`2016.5.6`, `2016年5月6日`), digits in full width (`１３８`), and yes/no as `是`, `√` or `Y`."""
import datetime
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Serial 61 is 1900-03-01: Excel counts a 1900-02-29 that never was (serial 60), so from March 1900
# on the day count starts at 1899-12-30, and before it at 1899-12-31 (serial 1 is 1900-01-01).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
DATE_TEXT = re.compile(
    r"(\d{4})\s*[-./年\\]\s*(\d{1,2})\s*[-./月\\]\s*(\d{1,2})\s*[日号]?(?:[ T]*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
)
COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
NUMBER_NOISE = re.compile(r"[,，\s]|(?:平方米|平米|㎡|m2|万元|元|人民币|rmb|cny|年|个|人|家|次)$", re.I)
TRUE_WORDS = frozenset({"是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "对", "已安装", "安装", "t"})
FALSE_WORDS = frozenset({"否", "无", "没有", "n", "no", "false", "0", "×", "✗", "x", "未安装", "不是", "f"})


def text(value) -> str:
    """Any cell as text: NFKC (full-width → half-width), trimmed; 13800138000.0 → 13800138000."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()[:10]
    return unicodedata.normalize("NFKC", str(value)).strip()


YEARS = range(1900, 2101)  # a number in this range in a date column is a year someone typed, not a serial


def date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValidationError(_("%(value)s is not a date."), code="date", params={"value": value})
        if value == int(value) and 19000101 <= value <= 99991231:  # 20160506 typed as a number
            return date(str(int(value)))
        return _serial(value)
    raw = text(value)
    if re.fullmatch(r"\d{4,5}(?:\.\d+)?", raw) and not COMPACT_DATE.fullmatch(raw):
        return _serial(float(raw))
    match = DATE_TEXT.fullmatch(raw) or COMPACT_DATE.fullmatch(raw)
    if match:
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise ValidationError(_("“%(value)s” is not a date; write it as 2016-05-06."), code="date", params={"value": raw[:40]})


def _serial(number: float) -> datetime.date:
    if number == int(number) and int(number) in YEARS:
        raise ValidationError(_("%(value)s is a year, not a date; write the whole date, e.g. 2016-05-06."), code="date",
                              params={"value": int(number)})
    if not 1 <= number < 2958466:  # 9999-12-31
        raise ValidationError(_("%(value)s is not a date."), code="date", params={"value": number})
    days = int(number)
    if days == 60:
        raise ValidationError(_("%(value)s is not a date."), code="date", params={"value": number})
    return EXCEL_EPOCH + datetime.timedelta(days=days if days > 60 else days + 1)


TEN_THOUSAND = re.compile(r"^(.*?)\s*万(?:元|人民币)?$")
YUAN = re.compile(r"^(.*?)\s*(?:元|人民币)$")


def decimal(value, unit: str = "") -> Decimal:
    """`1,234.5`, `120.5㎡`, `５０万元` → Decimal with 2 places. NaN and infinity are not numbers
    (a NaN would fail every later comparison with an exception, not a message).

    `unit` is the unit the field is kept in, for amounts written with theirs: with `元`, `3万元` is
    30000.00; with `万元`, `300000元` is 30.00. Without a unit a trailing `万元` or `元` is dropped."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raw, scale = repr(value), 1
    else:
        raw, scale = text(value), Decimal(1)
        if unit == "元" and (match := TEN_THOUSAND.match(raw.replace(",", "").replace("，", ""))):
            raw, scale = match[1], Decimal(10000)
        elif unit == "万元" and not TEN_THOUSAND.match(raw) and (match := YUAN.match(raw)):
            raw, scale = match[1], Decimal("0.0001")
        raw = NUMBER_NOISE.sub("", raw)
    try:
        number = Decimal(raw)
        if not number.is_finite():
            raise InvalidOperation
        return (number * scale).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number."), code="number", params={"value": text(value)[:40]})


def integer(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = decimal(value)
    if number != number.to_integral_value():
        raise ValidationError(_("“%(value)s” is not a whole number."), code="integer", params={"value": text(value)[:40]})
    return int(number)


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise ValidationError(_("“%(value)s” is not yes or no (是/否)."), code="boolean", params={"value": raw[:40]})


def choice_key(value) -> str:
    """How a choice cell is compared: half-width, lower case, no spaces (`来 电` and `来电` are one value)."""
    return re.sub(r"[\s　]+", "", text(value).lower())


def choice_lookup(pairs) -> dict[str, str]:
    """{normalised spelling: choice code} from (spelling, code) pairs; codes and labels included by the caller."""
    return {choice_key(spelling): code for spelling, code in pairs if spelling}


def choice(value, lookup: dict[str, str], label: str = "") -> str:
    found = lookup.get(choice_key(value))
    if found is None:
        raise ValidationError(
            _("“%(value)s” is not one of the choices for %(field)s."), code="choice",
            params={"value": text(value)[:40], "field": label},
        )
    return found


def memoised(fn, limit: int = 50_000):
    """`fn` run once per distinct cell (its type and value), for columns with few distinct values (choices,
    dates, amounts); a refusal is remembered too. The remembered refusal is raised without the traceback
    of its last raise: a re-raised exception keeps every earlier traceback, and with it every frame's rows."""
    cache: dict = {}

    def cached(value):
        key = (value.__class__, value)
        try:
            hit = cache.get(key)
        except TypeError:  # an unhashable cell
            return fn(value)
        if hit is None:
            try:
                hit = (True, fn(value))
            except ValidationError as exc:
                hit = (False, exc)
            if len(cache) < limit:
                cache[key] = hit
        if hit[0]:
            return hit[1]
        raise hit[1].with_traceback(None)

    return cached


def field_checker(field):
    """A model field's own validators as one call that returns the value. A length limit is checked inline
    and its validator runs only when the value is too long; then all run in their order, so the message
    is the one the field itself would give first."""
    from django.core.validators import MaxLengthValidator

    validators = list(field.validators)
    limits = [v.limit_value for v in validators if isinstance(v, MaxLengthValidator) and isinstance(v.limit_value, int)]
    others = [v for v in validators if not (isinstance(v, MaxLengthValidator) and isinstance(v.limit_value, int))]
    limit = min(limits, default=None)

    def check(value):
        if limit is not None and len(value) > limit:
            for validator in validators:
                validator(value)
        for validator in others:
            validator(value)
        return value

    return check
