"""Dataverse collections in the admin: one made on the add page is the one the API then serves, with its
admins and its direct-upload setting."""

import pytest
from django.contrib.auth import get_user_model

from datasets.dataverse.collections import collection_root
from datasets.models import Collection

pytestmark = pytest.mark.django_db


def test_a_collection_added_in_the_admin_is_served_by_the_api(client):
    admin = get_user_model().objects.create_superuser(username="admin", password="x", email="admin@example.org")
    curator = get_user_model().objects.create_user(username="curator", password="x")
    root = collection_root()
    client.force_login(admin)
    listing = client.get("/admin/datasets/collection/")
    assert listing.status_code == 200
    assert f'<a href="/admin/datasets/collection/{root.pk}/change/">root</a>' in listing.content.decode()

    response = client.post(
        "/admin/datasets/collection/add/",
        {
            "alias": "hydrology",
            "name": "Hydrology",
            "parent": str(root.pk),
            "description": "Water levels",
            "admins": [str(curator.pk)],
            "direct_upload": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    made = Collection.objects.get(alias="hydrology")
    assert (made.name, made.parent_id, made.description, made.direct_upload) == (
        "Hydrology",
        root.pk,
        "Water levels",
        True,
    )
    assert list(made.admins.values_list("username", flat=True)) == ["curator"]
    answer = client.get("/api/dataverses/hydrology")
    assert answer.status_code == 200
    assert (answer.json()["data"]["alias"], answer.json()["data"]["name"]) == ("hydrology", "Hydrology")


def test_a_bad_alias_is_refused_on_the_add_page_and_nothing_is_made(client):
    admin = get_user_model().objects.create_superuser(username="admin", password="x", email="admin@example.org")
    client.force_login(admin)
    before = Collection.objects.count()
    response = client.post("/admin/datasets/collection/add/", {"alias": "no spaces/here", "name": "Bad"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Collection.objects.count() == before
