"""Writes of the files app: the registry (orgs, projects, storages, ACLs), a file's bytes, and its revisions."""

from .content import (
    LINK_PREFIX,
    Content,
    ContentReader,
    file_link_content,
    file_upload_content,
    file_write_limit,
    link_area,
    media_type_detect,
)
from .projects import acl_grant, org_create, project_create, storage_create, storage_deprecate
from .revisions import (
    file_create,
    file_deprecate,
    file_tag,
    file_tag_delete,
    file_undeprecate,
    file_update,
)

__all__ = [
    "LINK_PREFIX",
    "Content",
    "ContentReader",
    "acl_grant",
    "file_create",
    "file_deprecate",
    "file_link_content",
    "file_tag",
    "file_tag_delete",
    "file_undeprecate",
    "file_update",
    "file_upload_content",
    "file_write_limit",
    "link_area",
    "media_type_detect",
    "org_create",
    "project_create",
    "storage_create",
    "storage_deprecate",
]
