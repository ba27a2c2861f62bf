"""kombu's Redis transport, with one fix: closing a channel after its connection is gone fails as a
connection error (which kombu and Celery handle) instead of an AttributeError that ends the worker.

When Redis goes away while a late-acknowledged task runs, Celery's consumer closes the broken
connection; closing its channel restores the unacknowledged messages, which builds a new Redis
client from the transport's connection details, by then cleared (`Transport.client` is None):
`AttributeError: 'NoneType' object has no attribute 'hostname'` escapes kombu's
`ignore_errors` (it ignores connection errors only) and the worker exits with "Unrecoverable
error" (seen with kombu 5.7.0 and celery 5.7.0, the newest releases). The restore could not reach
Redis anyway; its messages stay in Redis's unacked set and are restored after the visibility
timeout, and the ingests' own requeue does not depend on them.
"""

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise kombu_redis.redis.exceptions.ConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
