import re

from django import template

register = template.Library()
HAN = re.compile(r"[\u4e00-\u9fff]")


@register.filter
def display_name(user) -> str:
    """Chinese names read family name first with no space (张伟); others as Django does."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if HAN.search(first + last):
        return f"{last}{first}" or user.get_username()
    return user.get_full_name() or user.get_username()
