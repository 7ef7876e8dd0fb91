import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers import validators as v
from customers.tests.factories import VALID_ID, VALID_USCC, with_check_digit


@pytest.mark.parametrize(
    "raw, expected",
    [("１３８ 0013-8000", "13800138000"), ("13800138000.0", "13800138000"), (" 11010519491231002x ", "11010519491231002X")],
)
def test_numbers_are_normalised_before_validation(raw, expected):
    assert v.normalise_number(raw) == expected


@pytest.mark.parametrize("good", ["13800138000", "19912345678"])
def test_valid_mobiles(good):
    v.validate_mobile(good)


@pytest.mark.parametrize("bad", ["12800138000", "1380013800", "138001380001", "2380013800a"])
def test_invalid_mobiles(bad):
    with pytest.raises(ValidationError):
        v.validate_mobile(bad)


@pytest.mark.parametrize("number", [VALID_ID, "310104198807150019", "310101200002290023"])
def test_real_valid_id_numbers_pass(number):
    v.validate_id_number(number)


# Issued with the code in force at registration, years after birth: Pudong dates from 1992, Nanshan from 1990.
PUDONG_1985 = with_check_digit("31011519850101001")
NANSHAN_1975 = with_check_digit("44030519750315002")


@pytest.mark.parametrize("number", [PUDONG_1985, NANSHAN_1975, with_check_digit("11010219800101001")])
def test_a_county_counts_whatever_the_years_of_its_code(number):
    v.validate_id_number(number)
    assert v.id_number_warning(number) == ""


def test_an_unknown_county_in_a_known_prefecture_passes_with_a_warning():
    number = with_check_digit("31019919850101001")  # Shanghai's districts (3101xx), no county 99
    v.validate_id_number(number)
    with translation.override("zh-hans"):
        assert "310199" in v.id_number_warning(number)


@pytest.mark.parametrize(
    "number, code, words",
    [
        ("11010519491231002Y", "id_format", "X"),
        ("110105194912310021", "id_checksum", "校验"),
        (with_check_digit("11010519491331002"), "id_birth_date", "出生日期"),  # month 13
        (with_check_digit("11010519850230001"), "id_birth_date", "出生日期"),  # 30 February
        (with_check_digit("11010518991231001"), "id_birth_date", "出生日期"),  # before 1900
        (with_check_digit("11010521000101001"), "id_birth_date", "晚于今天"),  # in the future
        (with_check_digit("99010519491231002"), "id_region", "省份"),  # no such province
        (with_check_digit("44990019491231002"), "id_region", "地市"),  # Guangdong, no prefecture 99
        ("1101051949123100", "id_length", "18"),
    ],
)
def test_invalid_id_numbers_say_why_in_chinese(number, code, words):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as excinfo:
            v.validate_id_number(number)
        assert excinfo.value.code == code
        assert words in excinfo.value.messages[0]


def test_id_number_gender():
    assert v.id_number_gender(VALID_ID) == "female"


def test_uscc_check_character():
    v.validate_uscc(VALID_USCC)
    with pytest.raises(ValidationError) as excinfo:
        v.validate_uscc(VALID_USCC[:-1] + "P")
    assert excinfo.value.code == "uscc_checksum"
    with pytest.raises(ValidationError):
        v.validate_uscc("91110108MA01KPGA")


def test_region_codes_come_from_the_division_table():
    v.validate_region("310101")
    assert v.region_names("440604")["county"] == "禅城区"
    with pytest.raises(ValidationError):
        v.validate_region("999999")


def test_messages_switch_to_english():
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            v.validate_mobile("123")
        assert "mobile number" in excinfo.value.messages[0]


def test_a_future_birth_date_is_refused_after_many_past_ones_and_today_passes():
    """The validator asks the clock only for a date after the last day it gave; that must never let one by."""
    import datetime

    today = datetime.date.today()  # the server's day (Asia/Shanghai), as the validator reads it
    for year in (1950, 1985, 2001):
        v.validate_id_number(with_check_digit(f"310115{year}0101001"))
    v.validate_id_number(with_check_digit(f"310115{today:%Y%m%d}001"))
    tomorrow = today + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        v.validate_id_number(with_check_digit(f"310115{tomorrow:%Y%m%d}001"))
    assert caught.value.code == "id_birth_date"
