"""Hostile requests to the four dialects: each dialect's credentials for the demo supplier, whether an
answer is an error in the dialect's shape, and what a refused request must leave unstored."""

from pathlib import Path

from django.apps import apps
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from core.dialects import DELTA_ERROR_CONTEXT
from tests.support.accounts import DEMO_TOKEN

CSV = b"id,value\n1,2\n"

AUTH = {
    "nexus": {},  # the token goes in ?token=, the seed's placement
    "cdg": {"HTTP_AUTHORIZATION": f"api-token {DEMO_TOKEN}"},
    "dataverse": {"HTTP_X_DATAVERSE_KEY": DEMO_TOKEN},
    "delta": {"HTTP_AUTHORIZATION": f"Bearer {DEMO_TOKEN}"},
}


def shape_ok(dialect: str, response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    if dialect == "delta":
        return body.get("@context") == DELTA_ERROR_CONTEXT and "@type" in body and "reason" in body
    if dialect == "dataverse":
        return body.get("status") == "ERROR" and isinstance(body.get("message"), str)
    if dialect == "cdg":
        return set(body) == {"error"}
    return "detail" in body or (bool(body) and all(isinstance(v, list | dict) for v in body.values()))


def stored_counts() -> dict:
    """Row counts of every model of the apps that store what a request sends, and the media files."""
    counts = {
        model._meta.label: model.objects.count()
        for label in ("blobs", "uploads", "datasets", "files", "harvest", "synctasks", "accounts")
        for model in apps.get_app_config(label).get_models()
    }
    return counts


def media_files(settings) -> list[str]:
    """The files in blob storage (the local root each test gets; MEDIA_ROOT holds no blob)."""
    root = Path(settings.STORAGES["blobs"]["OPTIONS"]["location"])
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def multipart_data(client, data):
    """`client.generic` arguments sending `data` as Django's test client encodes a multipart form."""
    return {"data": encode_multipart(BOUNDARY, data), "content_type": MULTIPART_CONTENT}
