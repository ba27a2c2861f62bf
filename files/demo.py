"""The files part of `seed_demo`: org `myorg`, project `myproj` with its disk storage and S3 storage
`nxv:mys3storage` (always, so that the seed's `?storage=` examples resolve), and the supplier's ACLs
(`orgs/create` on `/` among them)."""

from django.db import transaction

from accounts.demo import SUPPLIER_USERNAME
from accounts.models import User

from .iris import DEFAULT_MAPPINGS
from .models import IdentityKind, Org, Project, Storage, StorageType
from .services import acl_grant, org_create, project_create, storage_create

S3_STORAGE_IRI = DEFAULT_MAPPINGS["nxv"] + "mys3storage"


@transaction.atomic
def seed() -> dict:
    org = Org.objects.filter(label="myorg").first() or org_create(label="myorg", description="Demo organization")
    project = Project.objects.filter(org=org, label="myproj").first() or project_create(
        org=org, label="myproj", description="Demo project"
    )
    # Also without S3 blob storage: uploads to it work (the bytes go to the local blob storage) and
    # links answer the reference's LinkRejection instead of a 404 for an unknown storage.
    if not Storage.objects.filter(project=project, iri=S3_STORAGE_IRI).exists():
        storage_create(project=project, iri=S3_STORAGE_IRI, type=StorageType.S3)
    supplier = User.objects.get(username=SUPPLIER_USERNAME)
    acl_grant(
        path="/myorg/myproj",
        permissions=["files/write", "projects/read", "resources/read"],
        identity=IdentityKind.USER,
        user=supplier,
    )
    acl_grant(path="/myorg", permissions=["orgs/read"], identity=IdentityKind.USER, user=supplier)
    # So that a client's own workflow runs: it creates its org, then (as its owner) projects and files.
    acl_grant(path="/", permissions=["orgs/create"], identity=IdentityKind.USER, user=supplier)
    return {
        "files": {
            "org": org.label,
            "project": project.label,
            "storages": sorted(Storage.objects.filter(project=project).values_list("iri", flat=True)),
        }
    }
