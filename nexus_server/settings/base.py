"""Django's core settings: the secret, hosts, apps, middleware, templates, time zone, static files."""

import environ
from django.core.exceptions import ImproperlyConfigured

from nexus_server.embedded import BASE_DIR as BASE_DIR  # (re-exported: the project root)
from nexus_server.embedded import is_embedded, var_dir

env = environ.Env()
VAR_DIR = var_dir()


def _kept_secret() -> str:
    """The key generated once under var/ for the embedded run (by `nexus_server.embedded.prepare`)."""
    if not is_embedded():
        # No default outside the embedded run: a generated key would differ between the containers
        # (links signed by one web process refused by another) and change at every deployment.
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DATABASE_URL names a server database (the full stack): "
            "set it in .env or the environment to a long random value"
        )
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and {path} does not exist: set SECRET_KEY, or start through "
            "manage.py (or make run), which creates it"
        ) from None


SECRET_KEY = env("SECRET_KEY", default=None) or _kept_secret()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "nexus_server",
    "accounts",
    "blobs",
    "synctasks",
    "harvest",
    "uploads",
    "files",
    "datasets",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",  # outermost: every answer, error answers too, carries X-Request-ID
    # Then: count every answer, the error shapes' and the size limit's too (they come from within).
    "core.request_metrics.RequestMetricsMiddleware",
    # Then: a view's exception nothing else answered is JSON in its dialect's shape (503, 500).
    "core.failsafe.ErrorShapeMiddleware",
    # Then: refuse an over-size body before anything (CSRF, sessions) can read it.
    "blobs.middleware.RequestSizeLimitMiddleware",
    "core.middleware.RequestLogMiddleware",
    "core.input_guard.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "blobs.middleware.DiscardUnrecordedUploadsMiddleware",
]

ROOT_URLCONF = "nexus_server.urls"
WSGI_APPLICATION = "nexus_server.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
# upload_date and the like are rendered with this zone's offset (the seeds show +01:00, +02:00).
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# Static files (admin, Swagger UI) are served from the apps themselves: no collectstatic step.
WHITENOISE_USE_FINDERS = True
