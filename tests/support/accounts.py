"""The people of the tests: the demo supplier's token, and users who are members of organizations."""

from accounts.models import Organization, Role, User
from accounts.services import membership_ensure, organization_get_or_create

# The token `seed_demo` gives its supplier when NEXUS_DEMO_TOKEN names it (the `demo` fixture).
DEMO_TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"


def member_create(username: str, organization: str, *, role: str = Role.UPLOADER, name: str = "") -> tuple:
    """A new user who has `role` in the organization named `organization` (made if new); (user, organization)."""
    user = User.objects.create(username=username, name=name)
    org: Organization = organization_get_or_create(name=organization)
    membership_ensure(user=user, organization=org, role=role)
    return user, org


def supplier_create() -> tuple:
    """The data supplier most tests act as: 'Data supplier X', an uploader of 'Organization Y'."""
    return member_create("supplier", "Organization Y", name="Data supplier X")
