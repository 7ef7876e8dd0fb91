from .registry import navigation_menus
from .roles import role_label, user_role_codes


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    menus = navigation_menus(user)
    return {
        "nav_menus": menus,
        "nav_items": [entry for _menu, entries in menus for entry in entries],
        "user_roles": [role_label(code) for code in sorted(user_role_codes(user))],
    }
