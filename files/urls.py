"""URLs of the Nexus Delta dialect: /v1/files (the id is all after the project), orgs, projects, storages, ACLs."""

from django.urls import path, re_path

from .api import views

urlpatterns = [
    re_path(r"^v1/files/(?P<org>[^/]+)/(?P<project>[^/]+)/?$", views.FilesApi.as_view(), name="delta-files"),
    # The id may hold decoded '/' (a full IRI sent as one %2F-encoded segment): the view reads the raw path.
    re_path(r"^v1/files/(?P<org>[^/]+)/(?P<project>[^/]+)/(?P<rest>.+)$", views.FileApi.as_view(), name="delta-file"),
    path("v1/orgs", views.OrgsApi.as_view(), name="delta-orgs"),
    path("v1/orgs/<str:label>", views.OrgApi.as_view(), name="delta-org"),
    path("v1/projects", views.ProjectsApi.as_view(), name="delta-projects"),
    path("v1/projects/<str:org>", views.ProjectsApi.as_view(), name="delta-org-projects"),
    path("v1/projects/<str:org>/<str:label>", views.ProjectApi.as_view(), name="delta-project"),
    path("v1/storages/<str:org>/<str:project>", views.StoragesApi.as_view(), name="delta-storages"),
    # The id may be a full IRI: live servers give its %2F decoded, so it is everything after the project.
    re_path(
        r"^v1/storages/(?P<org>[^/]+)/(?P<project>[^/]+)/(?P<id>.+)$", views.StorageApi.as_view(), name="delta-storage"
    ),
    path("v1/acls", views.AclsApi.as_view(), name="delta-acls-root"),
    path("v1/acls/<path:path>", views.AclsApi.as_view(), name="delta-acls"),
    # Last: every other /v1/ path is Delta's JSON-LD 404, not Django's HTML page.
    re_path(r"^v1/", views.RouteNotFoundApi.as_view(), name="delta-not-found"),
]
