"""The test suite: same as base, with a fast password hasher and no real mail."""
from .base import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEBUG = False

# A throwaway app that registers contributions and runs a workflow, for crm's own tests.
INSTALLED_APPS = [*INSTALLED_APPS, "crm.tests.workflow_app"]  # noqa: F405
