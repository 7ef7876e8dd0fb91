"""Development: `make run`. DEBUG on unless the environment says otherwise."""
import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F401,F403

if not os.environ.get("AUDIT_CHAIN_KEY"):
    import warnings

    warnings.warn("AUDIT_CHAIN_KEY is not set: the audit chain is keyed with a key derived from SECRET_KEY.", stacklevel=1)
