"""URLs of the Nexus Delta dialect: /v1/files (the id is everything after the project), orgs, projects, ACLs."""

from django.urls import path, re_path

from . import apis

urlpatterns = [
    re_path(r"^v1/files/(?P<org>[^/]+)/(?P<project>[^/]+)/?$", apis.FilesApi.as_view(), name="delta-files"),
    # The id may hold decoded '/' (a full IRI sent as one %2F-encoded segment): the view reads the raw path.
    re_path(r"^v1/files/(?P<org>[^/]+)/(?P<project>[^/]+)/(?P<rest>.+)$", apis.FileApi.as_view(), name="delta-file"),
    path("v1/orgs", apis.OrgsApi.as_view(), name="delta-orgs"),
    path("v1/orgs/<str:label>", apis.OrgsApi.as_view(), name="delta-org"),
    path("v1/projects", apis.ProjectsApi.as_view(), name="delta-projects"),
    path("v1/projects/<str:org>", apis.ProjectsApi.as_view(), name="delta-org-projects"),
    path("v1/projects/<str:org>/<str:label>", apis.ProjectsApi.as_view(), name="delta-project"),
    path("v1/acls", apis.AclsApi.as_view(), name="delta-acls-root"),
    path("v1/acls/<path:path>", apis.AclsApi.as_view(), name="delta-acls"),
    # Last: every other /v1/ path is Delta's JSON-LD 404, not Django's HTML page.
    re_path(r"^v1/", apis.RouteNotFoundApi.as_view(), name="delta-not-found"),
]
