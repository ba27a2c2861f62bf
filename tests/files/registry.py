"""Helpers of the org, project and storage API tests: JSON requests, the reference's error bodies, the
registry rows a refused write must leave unchanged."""

import json

from files.models import Acl, Org, OrgRevision, Project, ProjectRevision, Storage
from tests.support.files import NXV

CTX = "https://bluebrain.github.io/nexus/contexts/"
ERROR = CTX + "error.json"
ALICE = "http://testserver/v1/realms/local/users/alice"
OWNER = [
    "acls/read",
    "files/write",
    "orgs/read",
    "orgs/write",
    "projects/create",
    "projects/read",
    "projects/write",
    "resources/read",
]
DEFAULT_MAPPINGS = [
    {"_namespace": NXV, "_prefix": "nxv"},
    {"_namespace": NXV + "diskStorageDefault", "_prefix": "storage"},
    {"_namespace": NXV + "diskStorageDefault", "_prefix": "defaultStorage"},
]


def put(client, url, body, headers, raw=None):
    data = raw if raw is not None else json.dumps(body)
    return client.put(url, data, content_type="application/json", **headers)


def ms(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def registry_counts():
    return (
        Org.objects.count(),
        OrgRevision.objects.count(),
        Project.objects.count(),
        ProjectRevision.objects.count(),
        Storage.objects.count(),
        Acl.objects.count(),
    )


def error(response, status: int, type_: str, reason: str, **extra) -> None:
    assert (response.status_code, response.json()) == (
        status,
        {"@context": ERROR, "@type": type_, "reason": reason, **extra},
    )
