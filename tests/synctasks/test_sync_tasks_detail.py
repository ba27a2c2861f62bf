"""The detail route of the sync tasks: who may rename or delete a scenario, the anonymous detail;
and the catalog's admin pages."""

import pytest

from accounts.models import Organization, Role, User
from accounts.services import membership_ensure, organization_get_or_create, token_create
from synctasks.models import SyncTask
from tests.support.synctasks import ANONYMOUS_KEYS, TOKEN, URL

pytestmark = pytest.mark.django_db


def _user(username, organization, *roles):
    user = User.objects.create(username=username, name=username.title())
    for role in roles:
        membership_ensure(user=user, organization=organization, role=role)
    return token_create(user=user).raw


def test_scenario_rename_and_delete_rights(client, demo):
    task_id = demo["sync_tasks"]["scenario_task"]
    org_y = Organization.objects.get(name="Organization Y")
    analyst = _user("analyst", org_y, Role.MEMBER, Role.SCENARIO_ANALYST)
    coworker = _user("coworker", org_y, Role.MEMBER)
    outsider_analyst = _user("outsider", organization_get_or_create(name="Elsewhere"), Role.SCENARIO_ANALYST)
    url = f"{URL}{task_id}/"

    def patch(token, name):
        return client.patch(f"{url}?token={token}", {"name": name}, content_type="application/json")

    creator = patch(TOKEN, "Heavy rain 2026 (v2)")
    assert creator.status_code == 200 and creator.json()["name"] == "Heavy rain 2026 (v2)"
    assert patch(analyst, "By the analyst").json()["name"] == "By the analyst"
    refused = patch(coworker, "No")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "Only the scenario's creator or a scenario analyst of the creator's organization may change it."},
    )
    assert patch(outsider_analyst, "No").status_code == 404  # another organization's scenario is not visible
    assert client.patch(url, {"name": "x"}, content_type="application/json").status_code == 401
    knmi = patch(TOKEN, "Renamed")
    assert knmi.status_code == 200  # still the scenario: the KNMI task is another id
    not_scenario = client.patch(f"{URL}7/?token={TOKEN}", {"name": "x"}, content_type="application/json")
    assert (not_scenario.status_code, not_scenario.json()) == (
        405,
        {"detail": "Sync task 7 is a data_source task; only scenarios are renamed or deleted."},
    )
    assert client.delete(f"{url}?token={coworker}").status_code == 403
    assert client.delete(f"{url}?token={analyst}").status_code == 204
    assert not SyncTask.objects.filter(pk=task_id).exists()
    assert client.get(f"{url}?token={TOKEN}").status_code == 404


def test_detail(client, demo):
    response = client.get(f"{URL}7/")
    assert response.status_code == 200
    assert list(response.json()) == ANONYMOUS_KEYS
    assert client.get(f"{URL}{demo['sync_tasks']['scenario_task']}/").status_code == 404


def test_admin_pages_of_the_catalog_render(client, demo, django_user_model):
    admin = django_user_model.objects.create_superuser(username="admin", password="x", email="a@example.org")
    client.force_login(admin)
    for path in (
        "synctask",
        "datasource",
        "dataconnection",
        "world",
        "calculation",
        "scenario",
        "analysis",
        "featuretype",
        "userpreference",
    ):
        assert client.get(f"/admin/synctasks/{path}/").status_code == 200, path
    page = client.get("/admin/synctasks/dataconnection/6/change/").content.decode()
    assert "189216000" in page  # the sandbox subscription, inline
    task = client.get("/admin/synctasks/synctask/").content.decode()
    assert "Every day at 12:00 UTC" in task


def test_an_analyst_of_another_organization_of_the_creator_may_not_change_the_scenario(client, demo):
    task_id = demo["sync_tasks"]["scenario_task"]
    user = User.objects.create(username="two-hats")
    membership_ensure(user=user, organization=Organization.objects.get(name="Organization Y"), role=Role.MEMBER)
    membership_ensure(
        user=user, organization=Organization.objects.get(name="Organization Z"), role=Role.SCENARIO_ANALYST
    )
    token = token_create(user=user).raw
    response = client.patch(f"{URL}{task_id}/?token={token}", {"name": "hijacked"}, content_type="application/json")
    assert response.status_code == 403
    assert SyncTask.objects.get(pk=task_id).scenario.name == "Heavy rain 2026"
