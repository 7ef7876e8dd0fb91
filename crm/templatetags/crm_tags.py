from django import template

from crm.models import display_name as _display_name

register = template.Library()


@register.filter
def display_name(user) -> str:
    return _display_name(user)


@register.simple_tag(takes_context=True)
def render_panel(context, panel, customer):
    """A registered customer panel, rendered with its own context (plus the customer and the request's csrf)."""
    from django.template.loader import render_to_string

    return render_to_string(panel.template, {**panel.context, "customer": customer}, request=context.get("request"))
