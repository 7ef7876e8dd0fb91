"""Development: `make run`. DEBUG on unless the environment says otherwise."""
import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F401,F403

# Without AUDIT_CHAIN_KEY the chain is keyed from SECRET_KEY (base.py): fine for a laptop, refused in production.
