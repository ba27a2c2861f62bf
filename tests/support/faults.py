"""Faults the tests provoke for real: a TCP relay to PostgreSQL that stops, a private redis-server
that is killed and restarted, a data source's row held so that an ingest stays in flight."""

import contextlib
import socket
import subprocess
import threading

from django.db import connection, transaction

from synctasks.models import DataSource
from tests.support.stack import free_port, wait_for
from uploads.models import Upload


class Relay:
    """A TCP relay on its own port to PostgreSQL: stopping it closes every relayed connection and
    refuses new ones (the database is gone for the server); starting it again brings it back."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self._listener = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self):
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class PrivateRedis:
    """A redis-server of this test alone, on a free port: killed and started again at will."""

    def __init__(self, log_dir):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_dir = log_dir
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.log_dir / f"redis-{self.starts}.log", "wb")  # noqa: SIM115 (kept by the process)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, timeout=10, what="the private redis-server")

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self):
        self.process.kill()
        self.process.wait(10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()


def blocked_on_the_source_row() -> bool:
    """Whether a backend waits on a data source's row lock (an ingest marking its source finished)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE \"synctasks_datasource\"%%'"
        )
        return cursor.fetchone()[0] > 0


class RowHolder:
    """Holds the data source's row from another connection: an ingest writes its rows, then waits on
    it to mark the source finished, so that it is in flight for as long as the test needs."""

    def __init__(self, source_id):
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(source_id,))

    def _hold(self, source_id):
        with transaction.atomic():
            DataSource.objects.select_for_update().get(pk=source_id)
            self.locked.set()
            self.release.wait(90)
        connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def rows(first_day: int) -> bytes:
    """Three features' timeseries rows of one day of January 2021."""
    return b"feature,parameter,timestamp,value\n" + b"".join(
        b"F%d,p,2021-01-%02dT00:00:00Z,%d\n" % (f, d, f * 100 + d) for f in range(3) for d in (first_day,)
    )


def status_of(upload: Upload) -> str:
    return Upload.objects.get(pk=upload.pk).sync_status
