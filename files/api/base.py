"""Plumbing of the Delta dialect's views: JSON-LD rendering whatever the Accept, errors with their extra fields."""

import re

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from core.dialects import DELTA
from core.exceptions import exception_handler
from core.parsers import StreamingMultiPartParser

from .. import errors
from ..errors import DeltaError
from .routing import file_route

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def ranges(accept: str) -> list[str]:
    """The media ranges of an Accept header, without parameters, lower case."""
    return [part.split(";", 1)[0].strip().lower() for part in accept.split(",") if part.strip()]


def base_uri(request) -> str:
    """The server's public URL as this request reached it, without a trailing '/'."""
    return request.build_absolute_uri("/").rstrip("/")


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class AcceptAnything(DefaultContentNegotiation):
    """Files are negotiated by the view itself (metadata, content or 406); JSON is always JSON-LD,
    or plain JSON for a client that asks only for that."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "")
        wanted = ranges(accept)
        media_type = (
            "application/json" if "application/json" in wanted and "application/ld+json" not in wanted else None
        )
        return renderers[0], media_type or renderers[0].media_type


def delta_exception_handler(exc, context):
    # The shared handler answers every exception (an outage 503, a bug a logged 500 UnexpectedError).
    response = exception_handler(exc, context)
    if isinstance(exc, DeltaError):
        response.data.update(exc.extra)
    return response


class DeltaView(APIView):
    dialect = DELTA
    # Tokens only, as Delta: session authentication's CSRF check would read request.POST (parse the
    # upload under the server's limit) before the view sets the storage's own limit.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [AllowAny]  # every operation checks its ACL permission itself
    renderer_classes = [JsonLdRenderer]
    parser_classes = [StreamingMultiPartParser, JSONParser]
    content_negotiation_class = AcceptAnything

    def get_exception_handler(self):
        return delta_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Control characters are never part of a label, id, IRI, tag or search text, and PostgreSQL
        # cannot hold NUL: refuse them before any query.
        for name in ("org", "project", "label", "path", "id"):
            if CONTROL.search(kwargs.get(name) or ""):
                raise errors.route_not_found()
        # C0 and DEL in a file id are refused by the IRI check; C1 controls are no IRI characters either.
        if CONTROL.search(kwargs.get("rest") or ""):
            raise errors.invalid_file_id(file_route(request, kwargs["rest"])[0])
        for name, values in request.query_params.lists():
            if CONTROL.search(name) or any(CONTROL.search(value) for value in values):
                raise errors.malformed_query_param(name, "The value holds control characters.")
