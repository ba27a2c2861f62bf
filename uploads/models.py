"""The Upload record: who sent which bytes to which data source, and how its ingest went; the
Idempotency-Key records that make a retried upload POST answer what the first one did."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SyncStatus(models.TextChoices):
    HARVESTING = "harvesting", "Harvesting"
    SUCCESSFUL = "successful", "Successful"
    FAILED = "failed", "Failed"


class Upload(models.Model):
    data_source = models.ForeignKey("synctasks.DataSource", on_delete=models.CASCADE, related_name="uploads")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads")
    # Sanitised: only A-Z a-z 0-9 - . _ remain (the client's name is never a storage key).
    filename = models.CharField(max_length=255)
    blob = models.OneToOneField("blobs.Blob", on_delete=models.PROTECT, related_name="upload")
    upload_date = models.DateTimeField(default=timezone.now)
    sync_status = models.CharField(max_length=20, choices=SyncStatus.choices, default=SyncStatus.HARVESTING)
    # Rows inserted / updated, features replaced, errors, duration: written when the ingest ends.
    report = models.JSONField(default=dict, blank=True)
    ingest_started = models.DateTimeField(null=True, blank=True)
    ingest_finished = models.DateTimeField(null=True, blank=True)
    # Deliveries whose ingest started (counted, and committed, before it starts): one that stopped
    # its worker (killed, out of memory) leaves this up with the upload still harvesting.
    deliveries = models.PositiveIntegerField(default=0)
    # The queueing of its ingest failed (broker down): the worker's requeue sends it once it can.
    dispatch_failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-upload_date", "-id"]
        indexes = [
            models.Index(fields=["data_source", "-upload_date", "-id"], name="upload_latest_per_source"),
            models.Index(fields=["data_source", "sync_status", "id"], name="upload_pending_per_source"),
            models.Index(fields=["id"], condition=models.Q(dispatch_failed=True), name="upload_undispatched"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} → {self.data_source} ({self.sync_status})"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` of one caller (its token): the request it was first used for (a hash of
    method, path, form fields and the file's SHA-256), and, once that request was answered, its answer."""

    # "token:<id>" (or "user:<id>" for a session): the same key sent with another token is another key.
    owner = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    # The request holding the reservation: only it may record the answer (a retry that took over an
    # abandoned reservation changes it, and the old holder's upload is then rolled back).
    lease = models.UUIDField(default=uuid.uuid4)
    upload = models.ForeignKey(Upload, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Null while the first request is in flight; then the status and JSON body it answered.
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_owner")]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_key_expiry")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key!r} ({self.status or 'in flight'})"


class TusUpload(models.Model):
    """A resumable (tus) upload: its bytes arrive over several requests into a blobs session; when
    the last one arrives it becomes an ordinary Upload (`upload`), and the session is gone."""

    # The upload URL's id: random, so that an upload URL cannot be guessed from another.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data_source = models.ForeignKey("synctasks.DataSource", on_delete=models.CASCADE, related_name="+")
    # Set when the upload names a sync task: it completes through that task, as its upload endpoint does.
    sync_task_id = models.BigIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=255)  # as the client named it; sanitised when it completes
    media_type = models.CharField(max_length=255, default="application/octet-stream")
    # Upload-Metadata as sent (decoded), answered again on HEAD.
    metadata = models.JSONField(default=dict, blank=True)
    length = models.BigIntegerField(null=True, blank=True)  # null while the client defers it
    offset = models.BigIntegerField(default=0)
    # The bytes so far; None once completed (or when the blob sweep aborted it at its expiry).
    session = models.OneToOneField(
        "blobs.MultipartUpload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    upload = models.OneToOneField(Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"tus {self.id} → {self.data_source_id} ({self.offset}/{self.length})"
