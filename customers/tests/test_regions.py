import pytest
from django.urls import reverse

from customers.regions import current_divisions, region_label, search_regions


def test_current_divisions_exclude_abolished_ones():
    codes = dict(current_divisions())
    assert codes["310104"] == "上海市 徐汇区"
    assert codes["440604"] == "广东省 佛山市 禅城区"
    assert "130124" not in codes  # 栾城县, abolished in 2014
    assert len(codes) > 2800


def test_search_by_name_or_code_prefix():
    assert search_regions("徐汇") == [("310104", "上海市 徐汇区")]
    assert all(code.startswith("4406") for code, _ in search_regions("4406"))
    assert search_regions("") == []
    assert region_label("999999") == "999999"


@pytest.mark.django_db
def test_region_picker_endpoint(client, make_user):
    client.force_login(make_user())
    page = client.get(reverse("customers:regions"), {"admin_region": "禅城"}).content.decode()
    assert '<option value="440604">广东省 佛山市 禅城区</option>' in page
