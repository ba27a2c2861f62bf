"""Django REST framework and the OpenAPI document."""

from core.openapi import ERROR_SCHEMAS, TAGS

from .limits import NEXUS_THROTTLE_PROXIES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's defaults, with a JSON parser that answers a too-deeply nested body 400 (not 500).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per token and per anonymous address, at the rates of settings/limits.py (read at each request).
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.TokenRateThrottle", "accounts.throttling.AnonRateThrottle"],
    "NUM_PROXIES": NEXUS_THROTTLE_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Nexus Upload Server",
    "DESCRIPTION": (
        "Uploads, sync tasks, Nexus Delta files, Climate Data Gateway and Dataverse direct upload: the four "
        "dialects suppliers script against, each with its own paths, token placements and error body."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TAGS": TAGS,
    # Request bodies get their own components, so a multipart file part is `format: binary`.
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {"schemas": ERROR_SCHEMAS},
    # Only the token placements are described; the session cookie is the admin's, not the API's.
    "AUTHENTICATION_WHITELIST": ["accounts.authentication.ApiTokenAuthentication"],
    "PREPROCESSING_HOOKS": ["core.openapi.documented_endpoints"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.openapi.common_responses"],
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "tryItOutEnabled": False},
}
