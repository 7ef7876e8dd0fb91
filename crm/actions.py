"""One action path for POST views: form valid → one service call → a message and a redirect.

A view using it::

    @login_required
    @require_POST
    def approve(request, pk):
        form = CommentForm(request.POST)
        back = reverse("customers:detail", args=[pk])
        if not form.is_valid():
            return refuse_form(request, form, back)
        return run_action(
            request, services.approve_registration,
            actor=request.user, customer_id=pk, comment=form.cleaned_data["comment"],
            success=_("The registration is approved."), redirect_to=back,
        )
"""
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .errors import DomainError


def error_messages(error: DomainError | ValidationError) -> list[str]:
    """The user-facing lines of a refusal; ValidationError may carry several."""
    if isinstance(error, DomainError):
        return [error.message]
    return [str(m) for m in error.messages]


def run_action(
    request: HttpRequest,
    fn: Callable[..., Any],
    /,
    *args: Any,
    redirect_to: str | Callable[[Any], str],
    success: str | Promise | Callable[[Any], str] | None = None,
    error_to: str | None = None,
    **kwargs: Any,
) -> HttpResponseRedirect:
    """Calls the service; a DomainError or ValidationError becomes `messages.error` instead of a 500.

    `redirect_to` and `success` may be callables of the service's result (e.g. the new object's page);
    on a refusal the user goes to `error_to`, else to `redirect_to` if it is a plain URL, else back to this path.
    """
    try:
        result = fn(*args, **kwargs)
    except (DomainError, ValidationError) as error:
        tags = f"code-{error.code}" if isinstance(error, DomainError) else ""
        for line in error_messages(error):
            messages.error(request, line, extra_tags=tags)
        return HttpResponseRedirect(error_to or (redirect_to if isinstance(redirect_to, str) else request.path))
    if success is not None:
        messages.success(request, success(result) if callable(success) else success)
    return HttpResponseRedirect(redirect_to(result) if callable(redirect_to) else redirect_to)


def refuse_form(request: HttpRequest, form: BaseForm, redirect_to: str) -> HttpResponseRedirect:
    """An invalid form on a redirect-only POST: each error as a message, labelled with its field."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields and form.fields[field].label else ""
        for error in errors:
            messages.error(request, _("%(field)s: %(error)s") % {"field": label, "error": error} if label else str(error))
    return HttpResponseRedirect(redirect_to)
