"""imports.headers: finding the header row and proposing the column mapping (customer aliases)."""
import pytest

from imports.headers import HeaderMatcher, column_letter, normalise_header, signature
from imports.resources import get_resource


@pytest.fixture(scope="module")
def matcher():
    return HeaderMatcher(get_resource("customers").columns())


def test_header_is_found_under_title_rows(matcher):
    rows = [
        (1, ["2016年上海分公司客户名单"]),
        (2, ["制表人：张伟", None, None, "制表日期：2016-06-01"]),
        (4, ["客户名称", "手机", "身份证号", "客户等级", "建档日期"]),
        (5, ["华联超市", 13800138000, "11010519491231002X", "A", 42496]),
    ]
    number, headers = matcher.find_header(rows)
    assert number == 4
    assert headers[0] == "客户名称"


def test_no_header_among_data_or_titles(matcher):
    rows = [(1, ["2016年客户名单"]), (2, ["华联超市", 13800138000]), (3, ["好德", "13900139000"])]
    assert matcher.find_header(rows) is None


def test_one_matching_title_is_not_a_header(matcher):
    """A row must name at least two fields; a lone `客户名称` over a list is not a header row."""
    assert matcher.find_header([(1, ["客户名称"]), (2, ["华联超市"])]) is None


@pytest.mark.parametrize("header, code", [
    ("手机号码*", "mobile"),
    ("营业面积（㎡）", "business_area"),
    ("ＱＱ号", "qq"),
    ("qq号码", "qq"),
    (" 客户名称 ", "name"),
    ("客户名称（全称）", "name"),
    ("身份证号", "id_number"),
    ("建档日期", "registered_on"),
    ("行政区域", "admin_region"),
    ("客户经理", "account_manager"),
    ("客户等级", "tier"),
    ("客户代码", "customer_code"),
    ("统一社会信用代码", "unified_social_credit_code"),
    ("Mobile phone", "mobile"),  # the English label too
    ("mobile", "mobile"),  # and the field code
])
def test_aliases(matcher, header, code):
    assert matcher.match(header) == code


@pytest.mark.parametrize("header", ["备注", "", None, "序号", "客户经理电话"])
def test_headers_that_name_no_field(matcher, header):
    assert matcher.match(header) is None


def test_contact_phone_goes_to_the_landline_when_the_mobile_is_taken(matcher):
    assert matcher.propose(["客户名称", "手机", "联系电话"]) == {0: "name", 1: "mobile", 2: "landline"}


def test_contact_phone_is_the_mobile_when_there_is_no_mobile_column(matcher):
    assert matcher.propose(["客户名称", "联系电话"]) == {0: "name", 1: "mobile"}


def test_contact_phone_left_of_the_mobile_column_does_not_take_the_mobile(matcher):
    """The ambiguous header used to win because it came first, leaving `手机` unmapped."""
    assert matcher.propose(["联系电话", "客户名称", "手机"]) == {0: "landline", 1: "name", 2: "mobile"}


def test_a_field_named_twice_is_taken_once(matcher):
    assert matcher.propose(["客户名称", "店铺名称", "手机"]) == {0: "name", 2: "mobile"}


def test_managers_phone_column_is_not_the_account_manager(matcher):
    assert matcher.propose(["客户名称", "客户经理电话", "客户经理"]) == {0: "name", 2: "account_manager"}


def test_the_legacy_header_row(matcher):
    headers = ["客户名称", "手机", "身份证号", "客户等级", "建档日期", "行政区域", "客户经理", "联系电话"]
    assert matcher.propose(headers) == {
        0: "name", 1: "mobile", 2: "id_number", 3: "tier", 4: "registered_on", 5: "admin_region",
        6: "account_manager", 7: "landline",
    }


def test_normalise_header():
    assert normalise_header("ＱＱ号码*") == "qq号码"
    assert normalise_header(" 手机 号码：") == "手机号码"
    assert normalise_header(None) == ""
    assert normalise_header(13800138000) == "13800138000"


def test_signature_ignores_marks_and_width():
    assert signature(["客户名称", "手机号码*"]) == signature(["客户名称 ", "手机号码"])
    assert signature(["客户名称", "手机"]) != signature(["手机", "客户名称"])


@pytest.mark.parametrize("index, letters", [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")])
def test_column_letter(index, letters):
    assert column_letter(index) == letters
