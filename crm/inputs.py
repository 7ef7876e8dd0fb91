"""Untrusted input from the query string and from `next`: shaped in one place, so no page answers a bad value with a 500."""
from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

MAX_ID = 2**31 - 1  # the largest primary key or number a query may carry (a PostgreSQL integer)
MAX_PAGE = 10_000  # beyond this no one is paging by hand; the offset stays far from the database's limits


def positive_int(value, *, maximum: int = MAX_ID) -> int | None:
    """An id or count typed in a URL: plain ASCII digits within range, else None (never '²', '1e3' or 10**20)."""
    value = (value or "").strip() if isinstance(value, str) else value
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= maximum else None
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= maximum else None


def page_number(value) -> int:
    """The page a list was asked for, clamped to 1..MAX_PAGE whatever was typed."""
    return min(positive_int(value, maximum=10**9) or 1, MAX_PAGE)


class QueryForm(forms.Form):
    """A page's query-string parameters: values that do not fit are dropped and named in a message."""

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else {}, **kwargs)

    @property
    def values(self) -> dict:
        """Cleaned values of the parameters that were valid (and given); the rest are ignored."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "", [])}

    def warn(self, request) -> None:
        self.is_valid()
        if self.errors:
            labels = "、".join(str(self.fields[name].label or name) for name in self.errors if name in self.fields)
            messages.warning(request, _("Some search conditions were not understood and were ignored: %(names)s")
                             % {"names": labels})


def safe_next(request, default="home", *args, **kwargs):
    """Every `next` redirect: to `next` only if it stays on this site (else the home page); without one, to `default`."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if not url:
        return redirect(default, *args, **kwargs)
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                               require_https=request.is_secure()):
        return HttpResponseRedirect(url)  # never redirect(url): "abc" would be taken for a URL name
    return redirect("home")


def form_errors(form) -> str:
    """A bound form's errors as one line for a message: "label: error; label: error"."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}：{' '.join(errors)}" if label else " ".join(errors))
    return "；".join(parts)


class RefuseNulBytesMiddleware:
    """A NUL byte is in no name, code or note anyone types; PostgreSQL refuses it in text with an error,
    so a request carrying one in its query string or form is answered 400 before any view reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import HttpResponseBadRequest

        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or self._in_form(request):
            return HttpResponseBadRequest(_("The request contains a NUL character; remove it and try again."))
        return self.get_response(request)

    @staticmethod
    def _in_form(request) -> bool:
        if request.method != "POST" or request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return False
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists())


class StaffChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows by id that refuses ids no database column can hold (Django's own field
    sends 10**20 to an `IN (...)` query, where SQLite and PostgreSQL fail with an error, not a message)."""

    def _check_values(self, value):
        for pk in value:
            if positive_int(pk) is None:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                            params={"pk": pk})
        return super()._check_values(value)
