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
    dataverse_key = request.META.get("HTTP_X_DATAVERSE_KEY")
    if dataverse_key is not None:
        return dataverse_key.strip()
    params = request.GET
    for name in _QUERY_PARAMS:
        if name in params:
            return params[name]
    return None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Accepts `?token=`, `?api-token=`, `?key=`, `Authorization: Token|Bearer|api-token <t>` and
    `X-Dataverse-key`. A token that is present but wrong, revoked or expired is a 401, never anonymous."""

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
