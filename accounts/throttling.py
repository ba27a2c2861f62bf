"""The throttling identity: DRF rate limits per API token and per anonymous client address, counted on
the shared cache, and let through (with one logged warning) while that cache is down."""

import logging
import threading
import time

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken

logger = logging.getLogger("nexus.throttling")

# A cache that does not answer is not asked again for this long (each try may cost a connect timeout).
RETRY_CACHE_SECONDS = 5.0
# What a cache that is down raises: Django's RedisCache lets redis-py's errors through, a socket its own.
CACHE_ERRORS = (RedisError, OSError)


class _CacheOutage:
    """Whether the cache is known to be down in this process: a warning when an outage is first seen,
    a line when the cache answers again, and no request waits on it in between."""

    def __init__(self):
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0

    def skipping(self) -> bool:
        return self.down_since is not None and time.monotonic() < self.retry_at

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.retry_at = time.monotonic() + RETRY_CACHE_SECONDS
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        logger.warning(
            "Rate limits are not enforced: their cache is unavailable (%s: %s); retrying every %g s",
            type(exc).__name__,
            str(exc).strip(),
            RETRY_CACHE_SECONDS,
        )

    def answered(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            down_since, self.down_since = self.down_since, None
        if down_since is not None:
            seconds = time.monotonic() - down_since
            logger.info("Rate limits are enforced again: their cache answered after %.0f s", seconds)


OUTAGE = _CacheOutage()


class _FailOpenThrottle(SimpleRateThrottle):
    """DRF's rate throttle with its rate read from a setting at each request (an operator or a test
    changes it in one spot; `off` or empty disables it), failing open while its cache is down."""

    rate_setting: str

    def __init__(self):
        # DRF reads the rate here, from its THROTTLE_RATES; ours comes from get_rate() at each request.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self):
        rate = (getattr(settings, self.rate_setting) or "").strip()
        return None if rate.lower() in ("", "off") else rate

    def allow_request(self, request, view):
        if self.rate is None or self.get_cache_key(request, view) is None or OUTAGE.skipping():
            return True
        try:
            allowed = super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            # Throttling protects the service; refusing every request because its counter is gone
            # would be the outage it protects against.
            OUTAGE.failed(exc)
            return True
        OUTAGE.answered()
        return allowed


class TokenRateThrottle(_FailOpenThrottle):
    """Requests per API token (each token counted apart, even two of one user); a session's user (the
    admin's browsable API) per user."""

    scope = "token"
    rate_setting = "NEXUS_THROTTLE_TOKEN_RATE"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonRateThrottle(_FailOpenThrottle):
    """Requests without credentials, per client address (REMOTE_ADDR, or X-Forwarded-For's entry
    NEXUS_THROTTLE_PROXIES proxies back when that many trusted proxies stand in front)."""

    scope = "anon"
    rate_setting = "NEXUS_THROTTLE_ANON_RATE"

    def get_cache_key(self, request, view):
        if request.user is not None and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
