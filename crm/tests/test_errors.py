import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from crm.errors import ActionForbidden, DomainError, TransitionNotAllowed


def test_message_is_translated_when_shown_not_when_raised():
    with translation.override("en"):
        error = DomainError("x.locked", _("This %(what)s is %(state)s and cannot be moved to %(target)s."),
                            what=_("customer"), state="A", target="B")
    with translation.override("zh-hans"):
        assert str(error) == "该客户当前为“A”，不能变更为“B”。"
    with translation.override("en"):
        assert str(error) == "This customer is A and cannot be moved to B."
    assert error.code == "x.locked"


def test_subclasses_carry_their_code_and_a_default_message():
    assert TransitionNotAllowed().code == "workflow.not_allowed"
    with translation.override("zh-hans"):
        assert str(DomainError()) == "不允许执行此操作。"


def test_forbidden_is_also_permission_denied_so_an_uncaught_one_is_a_403():
    assert isinstance(ActionForbidden(), PermissionDenied)
    with pytest.raises(PermissionDenied):
        raise ActionForbidden("forbidden", _("This action is not allowed."))
