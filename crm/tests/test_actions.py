import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from crm.actions import refuse_form, run_action
from crm.errors import DomainError, TransitionNotAllowed


@pytest.fixture
def request_():
    request = RequestFactory().post("/customers/7/approve/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def said(request) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(request)]


def test_success_says_so_and_redirects(request_):
    response = run_action(request_, lambda *, n: n * 2, n=21, success=lambda r: f"got {r}", redirect_to=lambda r: f"/r/{r}/")
    assert (response.status_code, response.url) == (302, "/r/42/")
    assert said(request_) == [("success", "got 42")]


def test_a_domain_error_becomes_a_message_in_the_users_language_not_a_500(request_):
    def refuse(**kwargs):
        raise TransitionNotAllowed(None, _("This %(what)s is %(state)s and cannot be moved to %(target)s."),
                                   what=_("customer"), state="已批准", target="草稿")

    with translation.override("zh-hans"):
        response = run_action(request_, refuse, success="never", redirect_to="/customers/7/")
    assert response.url == "/customers/7/"
    assert said(request_) == [("error", "该客户当前为“已批准”，不能变更为“草稿”。")]


def test_the_error_code_is_tagged_and_error_to_wins(request_):
    def refuse():
        raise DomainError("customer.locked", _("This action is not allowed."))

    response = run_action(request_, refuse, redirect_to=lambda r: "/unused/", error_to="/back/")
    assert response.url == "/back/"
    assert [m.extra_tags for m in get_messages(request_)] == ["code-customer.locked"]


def test_a_validation_error_gives_each_of_its_messages_and_returns_to_this_page(request_):
    def refuse():
        raise ValidationError(["渠道无效", "结果无效"])

    response = run_action(request_, refuse, redirect_to=lambda r: f"/new/{r.pk}/")
    assert response.url == "/customers/7/approve/"
    assert said(request_) == [("error", "渠道无效"), ("error", "结果无效")]


def test_other_exceptions_are_bugs_and_are_not_swallowed(request_):
    with pytest.raises(ZeroDivisionError):
        run_action(request_, lambda: 1 / 0, redirect_to="/")


class ChannelForm(forms.Form):
    channel = forms.ChoiceField(label=_("customer"), choices=[("phone", "phone")])
    note = forms.CharField(max_length=3, required=False)

    def clean(self):
        raise ValidationError("整体无效")


def test_an_invalid_form_is_refused_field_by_field(request_):
    form = ChannelForm({"channel": "fax", "note": "toolong"})
    with translation.override("zh-hans"):
        response = refuse_form(request_, form, "/customers/7/")
    assert response.url == "/customers/7/"
    lines = [m for _level, m in said(request_)]
    assert lines[0].startswith("客户：") and "fax" in lines[0]
    assert "整体无效" in lines and len(lines) == 3
