"""imports.normalise: the values of hand-kept sheets made clean before validation."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from imports import normalise

D = datetime.date


@pytest.mark.parametrize("value, expected", [
    (13800138000.0, "13800138000"),
    (13800138000, "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("  华联超市 ", "华联超市"),
    ("ＡＢＣ１２３", "ABC123"),
    (120.5, "120.5"),
    (True, "是"),
    (False, "否"),
    (D(2016, 5, 6), "2016-05-06"),
    (datetime.datetime(2016, 5, 6, 8, 30), "2016-05-06"),
])
def test_text(value, expected):
    assert normalise.text(value) == expected


@pytest.mark.parametrize("value", [
    42496, 42496.0, 42496.75, "42496", D(2016, 5, 6), datetime.datetime(2016, 5, 6, 23, 59),
    "2016.5.6", "2016-05-06", "2016/5/6", "2016年5月6日", "2016年5月6号", "２０１６年５月６日", " 2016.05.06 ",
    "2016-05-06 08:30", "2016-05-06T00:00:00", "2016-05-06T00:00:00.000", "20160506", 20160506,
])
def test_dates(value):
    assert normalise.date(value) == D(2016, 5, 6)


def test_excel_serial_edges():
    assert normalise.date(1) == D(1900, 1, 1)
    assert normalise.date(59) == D(1900, 2, 28)
    assert normalise.date(61) == D(1900, 3, 1)  # after Excel's phantom 1900-02-29 (serial 60)
    with pytest.raises(ValidationError):
        normalise.date(60)
    assert normalise.date(2958465) == D(9999, 12, 31)


@pytest.mark.parametrize("value", ["2016.13.1", "2016.2.30", "abc", "5/6/2016", "16.5.6", 0, -5, 2958466, float("nan"), "", "2016年5月"])
def test_not_dates(value):
    with pytest.raises(ValidationError) as caught:
        normalise.date(value)
    assert caught.value.code == "date"


@pytest.mark.parametrize("value", [2016, "2016", 1999.0])
def test_a_year_is_not_taken_for_a_serial(value):
    """2016 as a serial is 1905-07-08: a year typed alone must be an error, not a wrong date."""
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        normalise.date(value)
    with translation.override("en"):
        assert "is a year, not a date" in caught.value.messages[0]


@pytest.mark.parametrize("value, expected", [
    (120.5, Decimal("120.50")),
    (3, Decimal("3.00")),
    ("120.5㎡", Decimal("120.50")),
    ("120.5 平方米", Decimal("120.50")),
    ("１２０．５", Decimal("120.50")),
    ("1,234.56", Decimal("1234.56")),
    ("1，234", Decimal("1234.00")),
    ("50万元", Decimal("50.00")),  # without a unit a trailing 万元 is dropped (fields kept in 万元)
    ("0.005", Decimal("0.00")),
])
def test_decimals(value, expected):
    assert normalise.decimal(value) == expected


@pytest.mark.parametrize("value, unit, expected", [
    ("3万元", "元", Decimal("30000.00")),
    ("３万", "元", Decimal("30000.00")),
    ("1.5万", "元", Decimal("15000.00")),
    ("1,500元", "元", Decimal("1500.00")),
    (1500, "元", Decimal("1500.00")),
    ("50万元", "万元", Decimal("50.00")),
    ("500000元", "万元", Decimal("50.00")),
    ("50", "万元", Decimal("50.00")),
])
def test_decimals_in_the_fields_unit(value, unit, expected):
    assert normalise.decimal(value, unit) == expected


@pytest.mark.parametrize("value", ["abc", "nan", "NaN", "inf", "-Infinity", float("nan"), float("inf"), "约100", "1e999999", "3万"])
def test_not_numbers(value):
    with pytest.raises(ValidationError) as caught:
        normalise.decimal(value)
    assert caught.value.code == "number"


def test_integer():
    assert normalise.integer("12") == 12
    assert normalise.integer(12.0) == 12
    assert normalise.integer("１２") == 12
    assert normalise.integer(7) == 7
    with pytest.raises(ValidationError) as caught:
        normalise.integer("12.5")
    assert caught.value.code == "integer"


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("√", True), ("Y", True), ("yes", True), (1, True), (1.0, True), (True, True), ("有", True),
    ("否", False), ("×", False), ("N", False), ("no", False), (0, False), ("无", False), (False, False),
])
def test_booleans(value, expected):
    assert normalise.boolean(value) is expected


def test_not_a_boolean():
    with pytest.raises(ValidationError) as caught:
        normalise.boolean("也许")
    assert caught.value.code == "boolean"


def test_choices():
    lookup = normalise.choice_lookup([("A", "A"), ("VIP", "A"), ("重要客户", "B"), ("C", "C"), ("黄金 客户", "C")])
    assert normalise.choice("a", lookup) == "A"
    assert normalise.choice("Ｃ", lookup) == "C"
    assert normalise.choice(" vip ", lookup) == "A"
    assert normalise.choice("重要客户", lookup) == "B"
    assert normalise.choice("黄金客户", lookup) == "C"
    assert normalise.choice("黄金　客户", lookup) == "C"  # ideographic space
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        normalise.choice("Z", lookup, "Customer tier")
    with translation.override("en"):
        assert caught.value.messages == ["“Z” is not one of the choices for Customer tier."]


def test_memoised_cleans_each_value_once_and_raises_a_remembered_refusal_afresh():
    from imports.normalise import memoised

    calls = []

    def clean(value):
        calls.append(value)
        if value == "bad":
            raise ValidationError("no", code="x")
        return value.upper()

    cached = memoised(clean)
    assert [cached("a"), cached("a")] == ["A", "A"]
    depths = []
    for _ in range(3):
        with pytest.raises(ValidationError) as caught:
            cached("bad")
        depth, tb = 0, caught.value.__traceback__
        while tb:
            depth, tb = depth + 1, tb.tb_next
        depths.append(depth)
    assert calls == ["a", "bad"]
    assert depths[0] == depths[2]  # the remembered error does not carry every earlier raise's frames
    assert memoised(len)(["an", "unhashable", "cell"]) == 3
