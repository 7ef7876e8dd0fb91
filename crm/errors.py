"""Domain errors: one base class, so one view helper turns every refused action into a message."""
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refused action: a stable `code` for callers and tests, a message rendered in the active language.

    Pass a lazy string (gettext_lazy) and the values separately, so the message is translated when
    shown, not when raised: ``DomainError("customer.locked", _("%(name)s is locked."), name=c.name)``.
    """

    code: str = "refused"

    def __init__(self, code: str | None = None, message: str | Promise | None = None, **params: Any):
        self.code = code or type(self).code
        self._message = message if message is not None else _("This action is not allowed.")
        self.params: Mapping[str, Any] = params
        super().__init__(self.code)

    @property
    def message(self) -> str:
        text = str(self._message)
        return text % {k: str(v) if isinstance(v, Promise) else v for k, v in self.params.items()} if self.params else text

    def __str__(self) -> str:
        return self.message


class TransitionNotAllowed(DomainError):
    """The workflow map has no such move from the current state."""

    code = "workflow.not_allowed"


class ActionForbidden(DomainError, PermissionDenied):
    """The actor may not do this; also a PermissionDenied, so if nobody catches it Django answers 403, not 500."""

    code = "forbidden"


class AppError(DomainError):
    """An app's refusal raised with its message alone, as the services do: ``CustomerError(_("..."))``.

    Code first works too (``CustomerError("customer.locked", _("..."))``); without one the class's code stands.
    `args` keeps the message, so the error survives pickling (Celery) as itself and not as its code.
    """

    def __init__(self, *args: Any, **params: Any):
        if "code" in params or "message" in params:
            args = (params.pop("code", None), params.pop("message", None), *args)
        if len(args) == 1:
            super().__init__(None, args[0], **params)
        else:
            super().__init__(*args, **params)
        self.args = (self._message,) if len(args) <= 1 else (self.code, self._message)
