"""Kept for the callers that still import direct uploads from here: they are blobs.services' now."""

from .services.direct import *  # noqa: F403
from .services.direct import __all__  # noqa: F401
