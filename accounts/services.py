"""Writes of accounts: organizations, memberships, token creation, revocation and use."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import ApiToken, Membership, Organization, Role, User
from .tokens import token_generate, token_hash

# last_used_at is written at most this often per token, so that reads do not all become writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str


@transaction.atomic
def token_create(
    *, user: User, name: str = "default", raw: str | None = None, expires_at: datetime | None = None
) -> IssuedToken:
    """A new token for the user; the raw value is returned once and never stored."""
    raw = raw or token_generate()
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=token_hash(raw), prefix=raw[:8], expires_at=expires_at
    )
    return IssuedToken(token=token, raw=raw)


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_mark_used(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        try:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        except OperationalError:
            # Best effort: on SQLite a long ingest holds the write lock; the request goes on.
            return
        token.last_used_at = now


def organization_get_or_create(*, name: str) -> Organization:
    organization, _ = Organization.objects.get_or_create(name=name, defaults={"slug": slugify(name)[:100]})
    return organization


def membership_ensure(*, user: User, organization: Organization, role: str = Role.MEMBER) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    return membership
