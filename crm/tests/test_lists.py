"""The one list helper: search, filters and pages over rows the caller already restricted."""
import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from crm.lists import ListQuery, choices, list_page

pytestmark = pytest.mark.django_db


class PeopleQuery(ListQuery):
    active = forms.ChoiceField(label="active", required=False, choices=choices([("1", "yes"), ("0", "no")]))


def _get(**params):
    request = RequestFactory().get("/people/", params)
    request.session, request._messages = {}, None
    request._messages = FallbackStorage(request)
    return request


def _page(**params):
    people = get_user_model().objects.order_by("username")
    return list_page(_get(**params), people, PeopleQuery, search_fields=("username", "first_name"),
                     filters={"active": lambda qs, v: qs.filter(is_active=v == "1")}, per_page=10)


@pytest.fixture
def people(db):
    User = get_user_model()
    User.objects.bulk_create([User(username=f"p{i:03d}", first_name="张" if i % 2 else "李", is_active=i % 5 != 0)
                              for i in range(250)])


def test_pages_count_and_keep_the_query(people):
    first = _page()
    assert (first.count, first.page.paginator.num_pages, len(first.rows)) == (250, 25, 10)
    last = _page(page="25")
    assert [u.username for u in last.rows][-1] == "p249"
    searched = _page(q="张", active="1", page="2")
    assert searched.count == 100  # odd numbers (125) less the multiples of five among them (25)
    assert searched.page.number == 2 and searched.querystring == "q=%E5%BC%A0&active=1"
    assert searched.filtered and not first.filtered


@pytest.mark.parametrize("page", ["0", "-1", "abc", "²", "10000000000000", "999"])
def test_a_page_out_of_range_or_garbage_is_the_nearest_page(people, page):
    assert _page(page=page).page.number in (1, 25)


def test_a_filter_value_that_fits_no_choice_is_ignored_and_named(people):
    request = _get(active="maybe")
    page = list_page(request, get_user_model().objects.order_by("pk"), PeopleQuery, per_page=10,
                     filters={"active": "is_active"})
    assert page.count == 250
    assert [str(m) for m in request._messages] and "active" in str(list(request._messages)[0])


def test_every_word_of_a_search_must_match(people):
    assert [u.username for u in _page(q="p24 张").rows] == ["p241", "p243", "p245", "p247", "p249"]


def test_choices_start_with_all_never_dashes():
    assert choices([("a", "A")])[0][0] == ""
    assert str(choices([("a", "A")])[0][1]) in ("全部", "All")
