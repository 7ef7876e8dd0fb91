from .navigation import navigation_for
from .roles import role_label, user_role_codes


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": navigation_for(user),
        "user_roles": [role_label(code) for code in sorted(user_role_codes(user))],
    }
