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


def app_errors():
    from confidentiality.archive import ArchiveError
    from confidentiality.retention import RetentionError
    from confidentiality.services import DataRequestError
    from customers.services import CustomerError, DuplicatesNeedAcknowledgement
    from imports.readers import ImportFileError
    from imports.services import ImportRefused
    from service.pool import PoolError
    from service.records import RecordError
    from service.services import ServiceError

    return [CustomerError, DuplicatesNeedAcknowledgement, DataRequestError, ArchiveError, RetentionError,
            ImportRefused, ImportFileError, ServiceError, PoolError, RecordError]


@pytest.mark.parametrize("cls", app_errors(), ids=lambda c: c.__name__)
def test_every_apps_error_is_a_domain_error_raised_with_its_message_alone(cls):
    """One base class, so run_action turns any app's refusal into a message; old call sites keep working."""
    import pickle

    error = cls([]) if cls.__name__ == "DuplicatesNeedAcknowledgement" else cls(_("This action is not allowed."))
    assert isinstance(error, DomainError) and "." in error.code
    with translation.override("zh-hans"):
        assert str(error) == error.message == "不允许执行此操作。" or cls.__name__ == "DuplicatesNeedAcknowledgement"
    again = pickle.loads(pickle.dumps(error))  # Celery results carry errors pickled
    assert type(again) is type(error) and str(again) == str(error) and again.code == error.code


def test_an_app_error_may_also_be_raised_code_first():
    from customers.services import CustomerError

    error = CustomerError("customers.locked", _("%(name)s is locked."), name="华东五金")
    assert (error.code, str(error)) == ("customers.locked", "华东五金 is locked.")
    assert CustomerError("只有一句").code == "customers.refused"
