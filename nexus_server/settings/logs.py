"""Logging: one handler on stderr, every line through the credential redaction filter, in LOG_FORMAT
(plain lines, or one JSON object per line), with the request id and the task when known."""

from django.core.exceptions import ImproperlyConfigured

from core.logformat import formatter_settings, log_format

from .base import env

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
try:
    LOG_FORMAT = log_format(env("LOG_FORMAT", default="plain"))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "core.logging.RedactSecretsFilter"},
        "context": {"()": "core.logcontext.LogContextFilter"},
    },
    "formatters": formatter_settings(LOG_FORMAT),
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["redact", "context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
