"""The navigation is what the apps registered (`crm.registry`); each entry asks its app's permissions.py."""
from .registry import NavEntry, navigation_for, navigation_menus

__all__ = ["NavEntry", "navigation_for", "navigation_menus"]
