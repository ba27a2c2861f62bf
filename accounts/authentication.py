"""One DRF authentication class for every token placement the four dialects use."""

from rest_framework import authentication, exceptions

from .selectors import TokenRejected, token_authenticate
from .services import token_mark_used

_HEADER_SCHEMES = ("token", "bearer", "api-token")
# Query parameters: Nexus uploads (token), Climate Data Gateway (api-token), Dataverse (key).
_QUERY_PARAMS = ("token", "api-token", "key")


def raw_token_from(request) -> str | None:
    """The token the request carries, wherever it is put, or None when it carries none."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() in _HEADER_SCHEMES:
            value = value.strip()
            if not value:
                raise exceptions.AuthenticationFailed("Invalid token header. No credentials provided.")
            return value
    # Dataverse's header, and the gateway's own header (its documentation names both the header and
    # the query parameter `api-token`).
    for header_key in ("HTTP_X_DATAVERSE_KEY", "HTTP_API_TOKEN"):
        value = request.META.get(header_key)
        if value is not None:
            return value.strip()
    params = request.GET
    for name in _QUERY_PARAMS:
        if name in params:
            return params[name]
    return None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Accepts `?token=`, `?api-token=`, `?key=`, `Authorization: Token|Bearer|api-token <t>`,
    `X-Dataverse-key` and `api-token`. A token that is present but wrong, revoked or expired is a 401,
    never anonymous."""

    def authenticate(self, request):
        raw = raw_token_from(request._request)
        if raw is None:
            return None
        try:
            token = token_authenticate(raw=raw)
        except TokenRejected as rejected:
            raise exceptions.AuthenticationFailed(rejected.reason) from None
        token_mark_used(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"
