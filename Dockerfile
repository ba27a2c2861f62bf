# syntax=docker/dockerfile:1
# The server's one image: docker-compose.yml builds it once and runs it as web (gunicorn, the default
# command), worker, beat and the release step (bin/release). See the README, "The full stack".

# --- build: the virtualenv, made where pip's build files and caches stay behind ---
FROM python:3.11.11-slim-bookworm AS build
ENV VIRTUAL_ENV=/opt/venv \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
ENV PATH="$VIRTUAL_ENV/bin:$PATH"
RUN python -m venv "$VIRTUAL_ENV"
WORKDIR /src
# INSTALL: the locked dependencies first, each checked against its hash (a layer kept until the lock
# changes), then the server itself without resolving anything again.
COPY requirements/server.txt requirements/server.txt
RUN pip install --require-hashes --only-binary :all: -r requirements/server.txt
COPY . .
RUN pip install --no-deps .

# --- runtime: the virtualenv and the sources, run by an unprivileged user ---
FROM python:3.11.11-slim-bookworm AS runtime
ENV VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEXUS_VAR_DIR=/var/lib/nexus \
    HOST=0.0.0.0 \
    PORT=8000
ENV PATH="$VIRTUAL_ENV/bin:$PATH"
# A fixed uid (not root): volumes and orchestrators (runAsNonRoot) can rely on it. Only NEXUS_VAR_DIR
# is writable by it; the code stays root's, so a compromised process cannot change it.
RUN groupadd --system --gid 10001 nexus \
    && useradd --system --uid 10001 --gid nexus --home-dir /var/lib/nexus --shell /usr/sbin/nologin nexus \
    && mkdir -p /var/lib/nexus \
    && chown nexus:nexus /var/lib/nexus
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
USER 10001:10001
EXPOSE 8000
# Ready means the database, broker, storage and workers answer (/readyz); worker and beat
# containers override or disable this (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PORT', '8000'), timeout=8)"]
CMD ["gunicorn", "-c", "nexus_server/gunicorn_conf.py", "nexus_server.wsgi:application"]
