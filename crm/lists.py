"""One list page for every list: the query form's valid values search and filter the rows, Django's Paginator
pages them, and the template shows a count, the filters and the pages (`templates/crm/_list_*.html`).

    class ComplaintQuery(ListQuery):
        status = forms.ChoiceField(label=_("Status"), required=False, choices=choices(Complaint.Status.choices))

    page = list_page(request, Complaint.objects.filter(customer__in=visible_customers(user)), ComplaintQuery,
                     search=("number", "customer__name"), filters={"status": "status"})
    render(request, "service/complaints.html", {"list": page})

The rows come in already restricted to what the user may see; this only narrows them.
"""
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .inputs import QueryForm, page_number

PER_PAGE = 50
Filter = str | Callable[[QuerySet, object], QuerySet]  # a lookup ("status", "received_at__date__gte") or a function


def choices(pairs, *, empty=pgettext_lazy("list filter", "All")) -> list[tuple[str, str]]:
    """A filter's choices with a first "all" entry (never Django's `---------`)."""
    return [("", empty), *pairs]


class ListQuery(QueryForm):
    """The search box every list has; a page's filters are added by subclassing."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
            if isinstance(field, forms.DateField):
                field.widget.input_type = "date"
        self.fields["q"].widget.input_type = "search"


@dataclass
class ListPage:
    page: Page
    query: ListQuery
    querystring: str  # the valid search and filters, without the page, for links that keep them

    @property
    def rows(self) -> list:
        return self.page.object_list

    @property
    def count(self) -> int:
        return self.page.paginator.count

    @property
    def filtered(self) -> bool:
        return bool(self.querystring)


def search(qs: QuerySet, text: str, fields: Sequence[str]) -> QuerySet:
    """Rows where any of `fields` contains `text` (case-insensitive); each word must match somewhere."""
    for word in text.split()[:5]:
        qs = qs.filter(reduce(or_, (Q(**{f"{name}__icontains": word}) for name in fields)))
    return qs


def list_page(request, rows: QuerySet, query_class: type[ListQuery], *, search_fields: Sequence[str] = (),
              filters: Mapping[str, Filter] | None = None, per_page: int = PER_PAGE, warn: bool = True) -> ListPage:
    """Search, filter and page `rows` by the query string; values that do not fit are named in a message."""
    query = query_class(request.GET)
    if warn:
        query.warn(request)
    rows = filtered(query, rows, search_fields, filters)
    page = Paginator(rows, per_page).get_page(page_number(request.GET.get("page")))
    kept = {name: query.data.get(name) for name in query.values}
    return ListPage(page=page, query=query, querystring=urlencode(kept))


def filtered(query: ListQuery, rows: QuerySet, search_fields: Sequence[str] = (),
             filters: Mapping[str, Filter] | None = None) -> QuerySet:
    """`rows` narrowed by the query's valid search and filters (a list page, or a board over the same rows)."""
    values = query.values
    if values.get("q") and search_fields:
        rows = search(rows, values["q"], search_fields)
    for name, how in (filters or {}).items():
        if name in values:
            rows = how(rows, values[name]) if callable(how) else rows.filter(**{how: values[name]})
    return rows
