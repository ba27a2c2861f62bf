"""The accounts part of `seed_demo`: the seeds' organizations and the data supplier with a token."""

from django.conf import settings
from django.db import transaction

from .models import ApiToken, Role, User
from .services import membership_ensure, organization_get_or_create, token_create
from .tokens import token_hash

SUPPLIER_USERNAME = "supplier"
SUPPLIER_NAME = "Data supplier X"
ORGANIZATIONS = ("Organization Y", "Organization Z")
DEMO_TOKEN_NAME = "demo"  # noqa: S105 (a label, not a secret)


@transaction.atomic
def seed() -> dict:
    """Idempotent. The token is shown when it is created or given by NEXUS_DEMO_TOKEN; an existing
    demo token cannot be shown again (only its hash is kept), so `token` is then None."""
    organizations = {name: organization_get_or_create(name=name) for name in ORGANIZATIONS}
    supplier, _ = User.objects.get_or_create(username=SUPPLIER_USERNAME, defaults={"name": SUPPLIER_NAME})
    for organization in organizations.values():
        membership_ensure(user=supplier, organization=organization, role=Role.MEMBER)
        membership_ensure(user=supplier, organization=organization, role=Role.UPLOADER)

    raw = settings.NEXUS_DEMO_TOKEN
    live = supplier.api_tokens.filter(name=DEMO_TOKEN_NAME, revoked_at__isnull=True)
    if raw:
        if not ApiToken.objects.filter(key_hash=token_hash(raw)).exists():
            token_create(user=supplier, name=DEMO_TOKEN_NAME, raw=raw)
    elif not live.exists():
        raw = token_create(user=supplier, name=DEMO_TOKEN_NAME).raw

    return {
        "organizations": {name: org.pk for name, org in organizations.items()},
        "users": {SUPPLIER_USERNAME: supplier.pk},
        "tokens": {SUPPLIER_USERNAME: raw},
    }
