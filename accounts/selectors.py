"""Reads of accounts: token lookup and a user's organizations by role."""

import hmac

from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken, Organization, User
from .tokens import token_hash


class TokenRejected(Exception):
    """The token is unknown, revoked or expired; `reason` says which, for the 401 body."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_authenticate(*, raw: str) -> ApiToken:
    """The live token for a raw value, or TokenRejected."""
    digest = token_hash(raw)
    token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
    # The lookup is by hash; the comparison is made constant-time all the same.
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        raise TokenRejected("Invalid token.")
    if token.revoked_at is not None:
        raise TokenRejected("Token has been revoked.")
    if token.expires_at is not None and token.expires_at <= timezone.now():
        raise TokenRejected("Token has expired.")
    if not token.user.is_active:
        raise TokenRejected("User inactive or deleted.")
    return token


def organizations_of(*, user: User, roles: tuple[str, ...] | None = None) -> QuerySet[Organization]:
    """The organizations the user belongs to, optionally only through the given roles."""
    memberships = user.memberships.all()
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return Organization.objects.filter(pk__in=memberships.values("organization_id"))
