"""The accounts part of `seed_demo`: the seeds' organizations and the data supplier with a token."""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import ApiToken, Role, User
from .services import membership_ensure, organization_get_or_create, token_create
from .tokens import token_hash

SUPPLIER_USERNAME = "supplier"
SUPPLIER_NAME = "Data supplier X"
ORGANIZATIONS = ("Organization Y", "Organization Z")
DEMO_TOKEN_NAME = "demo"  # noqa: S105 (a label, not a secret)


def _demo_token() -> str | None:
    """NEXUS_DEMO_TOKEN, else the token `make run` chose and keeps in `var/demo_token` (the documented
    default), so that a later `seed_demo --json` shows the token instead of null."""
    if settings.NEXUS_DEMO_TOKEN:
        return settings.NEXUS_DEMO_TOKEN
    kept = Path(settings.VAR_DIR) / "demo_token"
    if not kept.is_file():
        return None
    return kept.read_text().strip() or None


@transaction.atomic
def seed() -> dict:
    """Idempotent. The token is shown when it is created or given (NEXUS_DEMO_TOKEN, `var/demo_token`);
    an existing demo token cannot be shown again otherwise (only its hash is kept), so it is then None."""
    organizations = {name: organization_get_or_create(name=name) for name in ORGANIZATIONS}
    supplier, _ = User.objects.get_or_create(username=SUPPLIER_USERNAME, defaults={"name": SUPPLIER_NAME})
    for organization in organizations.values():
        membership_ensure(user=supplier, organization=organization, role=Role.MEMBER)
        membership_ensure(user=supplier, organization=organization, role=Role.UPLOADER)

    raw = _demo_token()
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
