"""Datasets with versions and their files, shared by the Climate Data Gateway and Dataverse dialects."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Collection(models.Model):
    """A Dataverse collection (`dataverse`): datasets are created in one; `root` is the top one."""

    alias = models.SlugField(max_length=100, unique=True, help_text="e.g. root; in /api/dataverses/{alias}")
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True)
    # Its datasets' owner (their organization's uploaders may write to them); none for the root.
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="collections"
    )
    # Who may create datasets and collections in it (and in those below), and write to their datasets.
    admins = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="dataverse_collections")
    # Whether its store takes direct uploads (Dataverse's `upload-redirect`); unset, the parent's,
    # and for the root the server's NEXUS_DATAVERSE_DIRECT_UPLOAD.
    direct_upload = models.BooleanField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias


class Dataset(models.Model):
    short_name = models.CharField(max_length=200, unique=True, help_text="e.g. ncl.630.0")
    persistent_id = models.CharField(
        max_length=300, unique=True, null=True, blank=True, help_text="e.g. doi:10.5072/FK2/ABC"
    )
    title = models.CharField(max_length=500, blank=True)
    # Dataverse direct upload (pre-signed PUTs); off, `uploadurls` answers 404 and clients upload natively.
    direct_upload = models.BooleanField(default=True)
    # None for a dataset created in a collection that has no organization (the root's).
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="datasets"
    )
    # The Dataverse collection it was created in; none for datasets made in the admin or by seed_demo.
    collection = models.ForeignKey(Collection, null=True, blank=True, on_delete=models.PROTECT, related_name="datasets")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name


class WriteGrant(models.Model):
    """Write rights beyond the owning organization's uploaders: one user, or one organization's members."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="write_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, organization__isnull=True)
                | Q(user__isnull=True, organization__isnull=False),
                name="writegrant_user_xor_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"write {self.dataset} by {self.user or self.organization}"


class VersionState(models.TextChoices):
    DRAFT = "draft", "Pre-published (draft)"
    PUBLISHED = "published", "Published"


class DatasetVersion(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    identifier = models.CharField(max_length=50, help_text="e.g. 1.0, 2.0")
    state = models.CharField(max_length=20, choices=VersionState.choices, default=VersionState.DRAFT)
    created = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Dataverse's `metadataBlocks` of the version (the citation block's title, authors...), as sent.
    metadata_blocks = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dataset", "created", "id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "identifier"], name="version_unique_identifier")]

    def __str__(self) -> str:
        return f"{self.dataset} {self.identifier} ({self.state})"


class DatasetFile(models.Model):
    """A file of one version. Versions share blobs: a new version's files point at the same bytes."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    directory_label = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True)
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="dataset_files")
    media_type = models.CharField(max_length=255, default="application/octet-stream")
    # Dataverse file metadata: categories, restriction, the checksum registered (and verified against
    # the bytes) and the storage identifier of a direct upload.
    categories = models.JSONField(default=list, blank=True)
    restricted = models.BooleanField(default=False)
    checksum_type = models.CharField(max_length=10, default="MD5")
    checksum_value = models.CharField(max_length=128, blank=True)
    storage_identifier = models.CharField(max_length=300, blank=True)
    # A tabular file Dataverse ingested: `blob` holds the `.tab`, these the upload as it was sent.
    original_blob = models.ForeignKey("blobs.Blob", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=255, blank=True)
    original_media_type = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["directory_label", "name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "directory_label", "name"], name="datasetfile_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.directory_label}/{self.name}" if self.directory_label else self.name


class ChangeAction(models.TextChoices):
    ADD = "add", "Added"
    REPLACE = "replace", "Replaced"
    DELETE = "delete", "Deleted"


class FileChange(models.Model):
    """Every change of a version's file list: who, when, what (the bytes before and after)."""

    # PROTECT: a version with recorded changes is not deleted, and its history with it.
    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=20, choices=ChangeAction.choices)
    name = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)
    blob = models.ForeignKey("blobs.Blob", null=True, on_delete=models.PROTECT, related_name="+")
    previous_blob = models.ForeignKey("blobs.Blob", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.name} in {self.version}"


class DatasetLock(models.Model):
    """A lock shown by Dataverse's `GET /api/datasets/{id}/locks` while files are being registered
    (clients wait for none before writing). Stale ones (a killed process) stop counting after an hour."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="locks")
    lock_type = models.CharField(max_length=40, default="EditInProgress")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.lock_type} lock on {self.dataset}"
