"""Wake-ups across processes: one announces that something ended, one waiting for it wakes (Redis pub/sub)."""

import logging
import threading
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

_clients: dict[str, object] = {}
_lock = threading.Lock()


def _redis_url() -> str | None:
    url = settings.CELERY_BROKER_URL
    return url if url.startswith(("redis://", "rediss://")) else None


def _client():
    url = _redis_url()
    if url is None:
        return None
    with _lock:
        if url not in _clients:
            import redis

            # Short timeouts: a Redis that is away costs a wait its wake-ups (it falls back to
            # looking), never a request its answer.
            _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        return _clients[url]


def _channel(name: str) -> str:
    # Pub/sub channels are shared by all of a Redis server's databases: the database number keeps
    # the wake-ups of two deployments (or test runs) on one server apart.
    db = (urlsplit(_redis_url() or "").path or "/0").strip("/") or "0"
    return f"nexus:{db}:{name}"


def wakeup_send(name: str) -> None:
    """Wakes whoever waits for `name` (best effort: a waiter also looks for itself now and then)."""
    client = _client()
    if client is None:
        return
    try:
        client.publish(_channel(name), b"1")
    except Exception:
        logger.warning("could not send the wake-up %s", name, exc_info=True)


class Waiter:
    """Subscribed to `name` from its creation (so that a wake-up sent between a look and the wait is
    not missed); `wait(timeout)` returns True when woken, False when the time passed. Without Redis
    (the embedded run) it only sleeps, and the caller looks again."""

    def __init__(self, name: str):
        self._pubsub = None
        self._sleeper = threading.Event()
        client = _client()
        if client is None:
            return
        try:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(_channel(name))
            self._pubsub = pubsub
        except Exception:
            logger.warning("could not wait for the wake-up %s; looking instead", name, exc_info=True)

    @property
    def woken_by_redis(self) -> bool:
        return self._pubsub is not None

    def wait(self, timeout: float) -> bool:
        if self._pubsub is None:
            self._sleeper.wait(timeout)
            return False
        try:
            return self._pubsub.get_message(timeout=timeout) is not None
        except Exception:
            logger.warning("the wake-up subscription failed; looking instead", exc_info=True)
            self.close()
            self._sleeper.wait(timeout)
            return False

    def close(self) -> None:
        if self._pubsub is not None:
            try:
                self._pubsub.close()
            except Exception:
                logger.debug("closing a wake-up subscription failed", exc_info=True)
            self._pubsub = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
