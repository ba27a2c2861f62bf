"""The deployable image without a Docker engine: docker-compose.yml resolved by Compose's own binary, the
Dockerfile parsed, linted and its build stage run as a script, the .dockerignore'd context, the release
step (bin/release) and the settings' refusal to start the full stack without SECRET_KEY."""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import compose
import dockerfile
import pytest
from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parent.parent
# The binary itself: the package's `docker-compose` wrapper exits 0 whatever Compose answered.
COMPOSE = Path(compose.__file__).parent / "docker-compose"
HADOLINT = Path(sys.executable).parent / "hadolint"
SERVER_SERVICES = ("migrate", "web", "worker", "beat")


def _compose_config(directory: Path, **environ) -> subprocess.CompletedProcess:
    """`docker compose config` on a copy of docker-compose.yml in `directory` (beside the .env written
    there), in an environment holding only `environ`: nothing of this process leaks into it."""
    shutil.copy(ROOT / "docker-compose.yml", directory / "docker-compose.yml")
    env = {"PATH": os.environ["PATH"], "HOME": str(directory), **environ}
    return subprocess.run(
        [str(COMPOSE), "--project-name", "nexus", "config", "--format", "json"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _resolved(directory: Path, dotenv: str, **environ) -> dict:
    (directory / ".env").write_text(dotenv)
    result = _compose_config(directory, **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


def test_compose_honours_dotenv_in_every_server_container(tmp_path):
    services = _resolved(
        tmp_path,
        "SECRET_KEY=s3cret-from-dotenv\nNEXUS_MAX_UPLOAD_BYTES=1234\nALLOWED_HOSTS=nexus.example.org\n"
        "LOG_LEVEL=WARNING\nNEXUS_SEED_DEMO=1\n",
    )
    for name in SERVER_SERVICES:
        env = services[name]["environment"]
        # .env's own variables (env_file) and its overrides of the stack's wiring (interpolation).
        assert env["SECRET_KEY"] == "s3cret-from-dotenv", name
        assert env["NEXUS_MAX_UPLOAD_BYTES"] == "1234", name
        assert env["LOG_LEVEL"] == "WARNING", name
        assert env["ALLOWED_HOSTS"] == "127.0.0.1,nexus.example.org", name
        assert env["DATABASE_URL"] == "postgres://nexus:nexus@postgres:5432/nexus", name
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0", name
    assert services["migrate"]["environment"]["NEXUS_SEED_DEMO"] == "1"


def test_compose_seeds_no_demo_data_by_default(tmp_path):
    services = _resolved(tmp_path, "SECRET_KEY=x\n")
    assert services["migrate"]["environment"]["NEXUS_SEED_DEMO"] == "0"
    assert services["web"]["environment"]["ALLOWED_HOSTS"] == "127.0.0.1,localhost,web"
    # seed_demo runs only through the release step, which reads NEXUS_SEED_DEMO (tested below).
    for name, service in services.items():
        assert "seed_demo" not in json.dumps([service.get("command"), service.get("entrypoint")]), name


def test_compose_refuses_to_start_without_a_secret_key(tmp_path):
    result = _compose_config(tmp_path)  # no .env, no SECRET_KEY
    assert result.returncode != 0
    assert "required variable SECRET_KEY is missing a value: set SECRET_KEY in .env" in result.stderr
    (tmp_path / ".env").write_text("SECRET_KEY=\n")
    assert _compose_config(tmp_path).returncode != 0
    # The environment instead of .env will do.
    (tmp_path / ".env").unlink()
    result = _compose_config(tmp_path, SECRET_KEY="from-the-shell")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["services"]["worker"]["environment"]["SECRET_KEY"] == "from-the-shell"


def test_compose_builds_one_image_migrates_once_and_checks_health(tmp_path):
    services = _resolved(tmp_path, "SECRET_KEY=x\nNEXUS_IMAGE_TAG=2026.12.1\n")
    assert set(services) == {"postgres", "redis", "minio", "createbucket", *SERVER_SERVICES}
    # One image, built once (by web) and run by the four server services.
    assert {services[name]["image"] for name in SERVER_SERVICES} == {"nexus-upload-server:2026.12.1"}
    assert {name for name, service in services.items() if "build" in service} == {"web"}
    assert services["web"]["build"] == {"context": str(tmp_path), "dockerfile": "Dockerfile"}
    # Every other image pinned to a version: a tag with digits, never latest, never a bare name.
    for name, service in services.items():
        if name not in SERVER_SERVICES:
            image, _, tag = service["image"].rpartition(":")
            assert image and "/" not in tag and re.search(r"\d", tag) and tag != "latest", service["image"]
    # The release step runs once, after its dependencies are up, before web, worker and beat start.
    migrate = services["migrate"]
    assert (migrate["command"], migrate["restart"]) == (["bin/release"], "no")
    assert {dep: cond["condition"] for dep, cond in migrate["depends_on"].items()} == {
        "postgres": "service_healthy",
        "redis": "service_healthy",
        "createbucket": "service_completed_successfully",
    }
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert services[name]["restart"] == "unless-stopped", name
    assert services["web"]["healthcheck"]["test"] == [
        "CMD",
        "python",
        "-c",
        "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=8)",
    ]
    # $$ survives interpolation: the container's shell expands $HOSTNAME, its own worker's node name.
    assert services["worker"]["healthcheck"]["test"] == [
        "CMD-SHELL",
        "celery -A nexus_server inspect ping -d celery@$$HOSTNAME --timeout 10",
    ]
    assert services["beat"]["healthcheck"] == {"disable": True}
    # Metrics: each server container's processes share a tmpfs of their own; the worker exports its pool's.
    for name in SERVER_SERVICES:
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/run/nexus-metrics", name
        assert services[name]["tmpfs"] == ["/run/nexus-metrics"], name
    worker_env = services["worker"]["environment"]
    assert (worker_env["NEXUS_WORKER_METRICS_PORT"], worker_env["NEXUS_WORKER_METRICS_ADDR"]) == ("9808", "0.0.0.0")
    assert services["worker"]["expose"] == ["9808"] and "ports" not in services["worker"]
    for name in ("postgres", "redis", "minio"):
        assert services[name]["healthcheck"]["test"], name


def _stages() -> list[list[dockerfile.Command]]:
    stages: list[list[dockerfile.Command]] = []
    for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
        if command.cmd == "FROM":
            stages.append([])
        stages[-1].append(command)
    return stages


def test_dockerfile_is_multi_stage_non_root_with_a_health_check():
    build, runtime = _stages()
    assert [stage[0].value for stage in (build, runtime)] == [
        ("python:3.11.11-slim-bookworm", "AS", "build"),
        ("python:3.11.11-slim-bookworm", "AS", "runtime"),
    ]
    # The install is from the hashed lock, then the server itself with nothing resolved again.
    installs = [c for c in build if c.cmd == "RUN" and "pip install" in c.value[0]]
    assert [c.value for c in installs] == [
        ("pip install --require-hashes --only-binary :all: -r requirements/server.txt",),
        ("pip install --no-deps .",),
    ]
    copied = [c.value for c in build if c.cmd == "COPY"]
    assert copied == [("requirements/server.txt", "requirements/server.txt"), (".", ".")]
    copies = [(c.flags, c.value) for c in runtime if c.cmd == "COPY"]
    assert copies == [(("--from=build",), ("/opt/venv", "/opt/venv")), ((), (".", "."))]
    users = [c.value for c in runtime if c.cmd == "USER"]
    assert users == [("10001:10001",)]
    assert not any(c.cmd == "USER" for c in build)
    # Nothing after USER runs as root again, and the default command serves the web process.
    assert runtime[-1].cmd == "CMD" and runtime[-1].value[0] == "gunicorn"
    (check,) = [c for c in runtime if c.cmd == "HEALTHCHECK"]
    assert check.value[:3] == ("CMD", "python", "-c") and "/readyz" in check.value[3]


def test_hadolint_finds_nothing():
    result = subprocess.run([str(HADOLINT), "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def _context(root: Path) -> set[str]:
    """The files a build of `root` sends (docker-py applies .dockerignore as the Docker CLI does)."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {path for path in exclude_paths(str(root), patterns) if (root / path).is_file()}


def test_dockerignore_keeps_state_secrets_and_venvs_out_of_the_context(tmp_path):
    for name in (
        "manage.py",
        "pyproject.toml",
        ".env.example",
        "bin/release",
        "core/__init__.py",
        "core/__pycache__/errors.cpython-311.pyc",
        "core/stray.pyc",
        "var/secret_key",
        "var/demo_token",
        "var/db.sqlite3",
        "var/test/secret_key",
        "harvest/var/x.csv",
        "nexus_server/secret_key",
        ".venv/bin/python",
        ".venv-clients/bin/python",
        ".git/config",
        ".env",
        ".env.production",
        "tests/test_x.py",
        "bench/results/x.json",
        "nexus_upload_server.egg-info/PKG-INFO",
        "tls/server.key",
        "docker-compose.yml",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert _context(tmp_path) == {"manage.py", "pyproject.toml", ".env.example", "bin/release", "core/__init__.py"}


def test_the_worktrees_context_holds_what_the_image_runs_and_no_state():
    context = _context(ROOT)
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    needed = {p for p in tracked if p.endswith(".py") and not p.startswith(("tests/", "bench/"))}
    assert needed | {"pyproject.toml", "README.md", "bin/release"} <= context
    assert not [p for p in context if p.startswith(("var/", ".venv", ".git/", "tests/")) or "__pycache__" in p]


def _expand(value: str, env: dict) -> str:
    """An ENV value as Docker reads it: quotes removed, $NAME and ${NAME} replaced."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)


def test_dockerfiles_build_stage_runs_as_a_script_in_a_clean_venv(tmp_path):
    """The build stage's instructions, run in order on this machine: / is tmp_path/root, the context is
    the .dockerignore'd worktree, `python` the bare interpreter (no venv of ours); then the virtualenv it
    made runs the server on its own, without the sources beside it."""
    root = tmp_path / "root"
    root.mkdir()
    base_bin = tmp_path / "base-bin"
    base_bin.mkdir()
    (base_bin / "python").symlink_to(sys._base_executable)
    env = {"PATH": f"{base_bin}:/usr/bin:/bin", "HOME": str(tmp_path)}
    venv = root / "opt" / "venv"
    build, _runtime = _stages()
    workdir = root
    for command in build[1:]:
        if command.cmd == "ENV":
            for key, value in zip(command.value[::2], command.value[1::2], strict=True):
                env[key] = str(venv) if key == "VIRTUAL_ENV" else _expand(value, env)
        elif command.cmd == "WORKDIR":
            workdir = root / command.value[0].lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif command.cmd == "COPY" and command.value == (".", "."):
            assert command.flags == ()
            for path in _context(ROOT):
                (workdir / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / path, workdir / path)
        elif command.cmd == "COPY":  # one file of the context, to the same path under the work dir
            source, target = command.value
            assert command.flags == () and source == target and source in _context(ROOT), command.value
            (workdir / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / source, workdir / target)
        elif command.cmd == "RUN":
            result = subprocess.run(
                ["sh", "-c", command.value[0]], cwd=workdir, env=env, capture_output=True, text=True, timeout=240
            )
            assert result.returncode == 0, (command.original, result.stderr[-3000:])
        else:
            raise AssertionError(f"teach this test the build stage's {command.cmd}")
    assert env["VIRTUAL_ENV"] == str(venv) and env["PATH"].startswith(f"{venv}/bin:")
    # The installed server alone (cwd elsewhere): settings, every app, the URLconf and gunicorn's config.
    script = (
        "import django; from nexus_server.embedded import prepare; prepare(); django.setup();"
        "from django.core.management import call_command; call_command('check');"
        "import nexus_server.urls, nexus_server.gunicorn_conf, nexus_server.celery"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script],
        cwd=tmp_path,
        env={**env, "DJANGO_SETTINGS_MODULE": "nexus_server.settings", "NEXUS_VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (0, "System check identified no issues (0 silenced).\n"), result.stderr


def _embedded_env(var: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "STORAGE_", "AWS_"))}
    env.pop("SECRET_KEY", None)
    env.pop("NEXUS_SEED_DEMO", None)
    return {**env, "NEXUS_VAR_DIR": str(var), "PATH": f"{Path(sys.executable).parent}:{env['PATH']}", **extra}


def _users(var: Path) -> list[str]:
    with sqlite3.connect(var / "db.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT username FROM accounts_user ORDER BY username")]


def test_release_step_migrates_and_seeds_only_when_asked(tmp_path):
    var = tmp_path / "var"
    run = {"cwd": ROOT, "capture_output": True, "text": True, "timeout": 180}
    result = subprocess.run(["bin/release"], env=_embedded_env(var), **run)
    assert result.returncode == 0, result.stderr
    assert "Applying accounts.0001_initial... OK" in result.stdout
    assert _users(var) == []
    refused = subprocess.run(["bin/release"], env=_embedded_env(var, NEXUS_SEED_DEMO="true"), **run)
    assert (refused.returncode, refused.stderr) == (2, "NEXUS_SEED_DEMO must be 0 or 1, not 'true'\n")
    assert _users(var) == []
    seeded = subprocess.run(["bin/release"], env=_embedded_env(var, NEXUS_SEED_DEMO="1"), **run)
    assert seeded.returncode == 0, seeded.stderr
    assert "No migrations to apply." in seeded.stdout
    assert "supplier" in _users(var)


def _load_settings(var: Path, **extra) -> subprocess.CompletedProcess:
    script = "import django; from nexus_server.embedded import prepare; prepare(); django.setup(); print('started')"
    env = {**_embedded_env(var, **extra), "DJANGO_SETTINGS_MODULE": "nexus_server.settings"}
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("database_url", ["postgres://nexus:nexus@db.invalid:5432/nexus", "postgresql://h/x"])
def test_settings_refuse_a_server_database_without_secret_key(tmp_path, database_url):
    result = _load_settings(tmp_path / "var", DATABASE_URL=database_url)
    assert result.returncode == 1
    assert result.stderr.rstrip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is required when DATABASE_URL names a server "
        "database (the full stack): set it in .env or the environment to a long random value"
    )
    # No key generated behind the operator's back either.
    assert not (tmp_path / "var" / "secret_key").exists()
    given = _load_settings(tmp_path / "var", DATABASE_URL=database_url, SECRET_KEY="given")
    assert (given.returncode, given.stdout) == (0, "started\n"), given.stderr


@pytest.mark.parametrize("database_url", [None, "sqlite:///{var}/other.sqlite3"])
def test_the_embedded_run_keeps_its_generated_key(tmp_path, database_url):
    var = tmp_path / "var"
    extra = {"DATABASE_URL": database_url.format(var=var)} if database_url else {}
    result = _load_settings(var, **extra)
    assert (result.returncode, result.stdout) == (0, "started\n"), result.stderr
    key = (var / "secret_key").read_text()
    assert len(key) == 67
    assert _load_settings(var, **extra).returncode == 0
    assert (var / "secret_key").read_text() == key
