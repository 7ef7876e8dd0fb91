import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers import validators as v
from customers.tests.factories import VALID_ID, VALID_USCC


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


@pytest.mark.parametrize(
    "number, code",
    [
        ("11010519491231002Y", "id_checksum"),
        ("110105194912310021", "id_checksum"),
        ("11010519491331002X", "id_component"),  # month 13
        ("99010519491231002X", "id_component"),  # no such region
        ("1101051949123100", "id_length"),
    ],
)
def test_invalid_id_numbers_say_why_in_chinese(number, code):
    from stdnum.cn import ric

    if code == "id_component" and number.startswith("99"):
        number = number[:-1] + ric.calc_check_digit(number)
    if code == "id_component" and "1331" in number:
        number = number[:-1] + ric.calc_check_digit(number)
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as excinfo:
            v.validate_id_number(number)
        assert excinfo.value.code == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in excinfo.value.messages[0])


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
