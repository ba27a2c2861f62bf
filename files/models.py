"""Nexus Delta orgs, projects, storages, ACLs and files, each org, project and file with every revision kept."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organization as AccountOrganization

NXV = "https://bluebrain.github.io/nexus/vocabulary/"
DEFAULT_STORAGE_IRI = NXV + "diskStorageDefault"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024 * 1024  # Delta's default-max-file-size (10 GiB)


# Who wrote a revision when no caller did (seed_demo, the admin pages): Delta's own service account.
SERVICE_SUBJECT = "realms/internal/users/delta"


class Org(models.Model):
    """A Delta organization (`/v1/orgs/{label}`), the first segment of a files path; `revisions` keep
    every state."""

    label = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Written by each revision, not by hand: kept out of the admin forms.
    rev = models.PositiveIntegerField(default=1, editable=False)
    deprecated = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.CharField(max_length=300, default=SERVICE_SUBJECT, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.CharField(max_length=300, default=SERVICE_SUBJECT, editable=False)

    class Meta:
        ordering = ["label"]
        verbose_name = "organization"

    def __str__(self) -> str:
        return self.label


class Project(models.Model):
    """A project: `base` prefixes generated and relative ids, `api_mappings` expand CURIEs such as
    `nxv:x`. An empty `base`/`vocab` means Delta's default, derived from the server's public URL."""

    org = models.ForeignKey(Org, on_delete=models.PROTECT, related_name="projects")
    label = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    base = models.CharField(max_length=512, blank=True, help_text="Empty: {server}/v1/resources/{org}/{project}/_/")
    vocab = models.CharField(max_length=512, blank=True, help_text="Empty: {server}/v1/vocabs/{org}/{project}/")
    api_mappings = models.JSONField(
        default=dict,
        blank=True,
        help_text='Prefix to namespace, e.g. {"nxv": "https://bluebrain.github.io/nexus/vocabulary/"}',
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Written by each revision, not by hand: kept out of the admin forms.
    rev = models.PositiveIntegerField(default=1, editable=False)
    deprecated = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.CharField(max_length=300, default=SERVICE_SUBJECT, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.CharField(max_length=300, default=SERVICE_SUBJECT, editable=False)

    class Meta:
        ordering = ["org__label", "label"]
        constraints = [models.UniqueConstraint(fields=["org", "label"], name="files_project_unique_label")]

    def __str__(self) -> str:
        return f"{self.org.label}/{self.label}"

    @property
    def ref(self) -> str:
        return f"{self.org.label}/{self.label}"


class RegistryRevision(models.Model):
    """What every org or project revision keeps; (row, rev) is unique, so of two writers at one rev only
    one adds the next."""

    rev = models.PositiveIntegerField()
    description = models.TextField(blank=True)
    deprecated = models.BooleanField(default=False)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=300)

    class Meta:
        abstract = True


class OrgRevision(RegistryRevision):
    """An organization's state at one revision."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="revisions")

    class Meta:
        ordering = ["org", "rev"]
        constraints = [models.UniqueConstraint(fields=["org", "rev"], name="files_orgrevision_unique_rev")]

    def __str__(self) -> str:
        return f"{self.org.label} rev {self.rev}"


class ProjectRevision(RegistryRevision):
    """A project's state at one revision."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="revisions")
    base = models.CharField(max_length=512, blank=True)
    vocab = models.CharField(max_length=512, blank=True)
    api_mappings = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["project", "rev"]
        constraints = [models.UniqueConstraint(fields=["project", "rev"], name="files_projectrevision_unique_rev")]

    def __str__(self) -> str:
        return f"{self.project.ref} rev {self.rev}"


# What a revision keeps of an org or a project (as REVISION_FIELDS below for files).
ORG_REVISION_FIELDS = ("rev", "description", "deprecated", "updated_at", "updated_by")
PROJECT_REVISION_FIELDS = (*ORG_REVISION_FIELDS, "base", "vocab", "api_mappings")


class StorageType(models.TextChoices):
    DISK = "DiskStorage", "Disk"
    S3 = "S3Storage", "S3"


class Storage(models.Model):
    """A project's storage: who may read and write through it and how large a file may be. The bytes
    themselves go to the server's blob storage; an S3 storage can also link objects of that bucket."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="storages")
    iri = models.CharField(max_length=512, help_text="The storage's @id, e.g. " + DEFAULT_STORAGE_IRI)
    type = models.CharField(max_length=32, choices=StorageType.choices, default=StorageType.DISK)
    default = models.BooleanField(default=False)
    max_file_size = models.BigIntegerField(default=DEFAULT_MAX_FILE_SIZE)
    read_permission = models.CharField(max_length=64, default="resources/read")
    write_permission = models.CharField(max_length=64, default="files/write")
    deprecated = models.BooleanField(default=False)
    rev = models.PositiveIntegerField(default=1)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["project__org__label", "project__label", "iri"]
        constraints = [
            models.UniqueConstraint(fields=["project", "iri"], name="files_storage_unique_iri"),
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(default=True), name="files_storage_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iri} ({self.type}) in {self.project}"


class IdentityKind(models.TextChoices):
    USER = "user", "User"
    GROUP = "group", "Group (an organization's members)"
    AUTHENTICATED = "authenticated", "Authenticated"
    ANONYMOUS = "anonymous", "Anonymous"


class Acl(models.Model):
    """Permissions granted to one identity on a path (`/`, `/{org}` or `/{org}/{project}`); a grant
    holds for everything below its path."""

    path = models.CharField(max_length=200, default="/")
    identity = models.CharField(max_length=16, choices=IdentityKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    group = models.ForeignKey(AccountOrganization, null=True, blank=True, on_delete=models.CASCADE)
    permissions = models.JSONField(default=list, help_text='e.g. ["resources/read", "files/write"]')

    class Meta:
        ordering = ["path", "identity"]
        verbose_name = "ACL"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(identity="user", user__isnull=False, group__isnull=True))
                | (models.Q(identity="group", group__isnull=False, user__isnull=True))
                | (models.Q(identity__in=["authenticated", "anonymous"], user__isnull=True, group__isnull=True)),
                name="files_acl_identity_matches",
            ),
        ]

    def __str__(self) -> str:
        who = self.user or self.group or self.identity
        return f"{self.path}: {who} {', '.join(self.permissions)}"


class Origin(models.TextChoices):
    CLIENT = "Client", "Uploaded by a client"
    STORAGE = "Storage", "Linked from the storage"


class File(models.Model):
    """A file's current state; `revisions` keep every state, each with its own bytes."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="files")
    iri = models.CharField(max_length=2000)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rev = models.PositiveIntegerField(default=1)
    deprecated = models.BooleanField(default=False)
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=1000)
    media_type = models.CharField(max_length=255)
    storage = models.ForeignKey(Storage, on_delete=models.PROTECT, related_name="+")
    storage_rev = models.PositiveIntegerField(default=1)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.CLIENT)
    tags = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=300, help_text="Subject: 'anonymous' or 'realms/local/users/{name}'")
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=300)

    class Meta:
        ordering = ["created_at", "iri"]
        constraints = [models.UniqueConstraint(fields=["project", "iri"], name="files_file_unique_iri")]
        indexes = [models.Index(fields=["project", "created_at", "iri"])]

    def __str__(self) -> str:
        return f"{self.iri} (rev {self.rev})"


class Action(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    TAG_ADDED = "tag_added", "Tag added"
    TAG_DELETED = "tag_deleted", "Tag deleted"
    DEPRECATED = "deprecated", "Deprecated"
    UNDEPRECATED = "undeprecated", "Undeprecated"


class FileRevision(models.Model):
    """The state of a file at one revision. (file, rev) is unique: of two writers at one rev, only
    one can add the next revision."""

    file = models.ForeignKey(File, on_delete=models.CASCADE, related_name="revisions")
    rev = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=Action.choices)
    deprecated = models.BooleanField(default=False)
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=1000)
    media_type = models.CharField(max_length=255)
    storage = models.ForeignKey(Storage, on_delete=models.PROTECT, related_name="+")
    storage_rev = models.PositiveIntegerField(default=1)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.CLIENT)
    tags = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=300)

    class Meta:
        ordering = ["file", "rev"]
        constraints = [models.UniqueConstraint(fields=["file", "rev"], name="files_revision_unique_rev")]

    def __str__(self) -> str:
        return f"{self.file.iri} rev {self.rev} ({self.action})"


# What a revision keeps of a file: the fields File and FileRevision share. Recording a revision and
# reading a file at one both copy through this list, so a field added to both is copied everywhere.
REVISION_FIELDS = (
    "rev",
    "deprecated",
    "blob",
    "filename",
    "media_type",
    "storage",
    "storage_rev",
    "origin",
    "tags",
    "updated_at",
    "updated_by",
)


def revision_fields(source: File | FileRevision) -> dict:
    """A file's (or a revision's) state at its revision, as keyword arguments for the other model."""
    return {name: getattr(source, name) for name in REVISION_FIELDS}
