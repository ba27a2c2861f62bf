"""Idempotency-Key on the upload POSTs (draft-ietf-httpapi-idempotency-key-header): parse, reserve, answer, replay."""

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from core.errors import Conflict, InvalidInput, Unprocessable

from .models import IdempotencyKey

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
# Sent with an answer that is the stored first answer of the key, not a new one.
REPLAYED_HEADER = "Idempotent-Replayed"

# The draft's value is a Structured Field sf-string: printable ASCII in double quotes, with `\"`
# and `\\` as its only escapes. Clients also send the bare value (a UUID, mostly): a token of
# visible ASCII without quotes, commas or backslashes is taken as it is.
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_BARE = re.compile(r"[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+")


def idempotency_key_parse(raw: str | None) -> str | None:
    """The key an `Idempotency-Key` header names, None without the header; a 400 when it is not
    an sf-string (or a bare token), is empty, or is longer than NEXUS_IDEMPOTENCY_KEY_MAX_CHARS."""
    if raw is None:
        return None
    value = raw.strip(" \t")
    quoted = _SF_STRING.fullmatch(value)
    if quoted:
        key = re.sub(r"\\(.)", r"\1", quoted.group(1))
    elif _BARE.fullmatch(value):
        key = value
    else:
        raise InvalidInput(
            f'The {HEADER} header must be a quoted string of printable ASCII, e.g. {HEADER}: "8e03978e-40d5-43e8".'
        )
    limit = settings.NEXUS_IDEMPOTENCY_KEY_MAX_CHARS
    if not key:
        raise InvalidInput(f"The {HEADER} header is empty.")
    if len(key) > limit:
        raise InvalidInput(f"The {HEADER} header is {len(key)} characters long; the maximum is {limit}.")
    return key


def idempotency_fingerprint(*, method: str, path: str, fields, files) -> str:
    """SHA-256 over the method, the path, the form fields (`(name, value)`) and the files
    (`(field, filename, sha256)`, the SHA-256 the staging took as the bytes streamed in): the same
    request sent again has the same fingerprint, whatever the multipart boundary or field order."""
    digest = hashlib.sha256()
    for part in (method.upper(), path):
        digest.update(part.encode() + b"\0")
    for name, value in sorted(fields):
        digest.update(b"F" + name.encode() + b"\0" + value.encode() + b"\0")
    for name, filename, sha256 in sorted(files):
        digest.update(b"U" + name.encode() + b"\0" + filename.encode() + b"\0" + sha256.encode() + b"\0")
    return digest.hexdigest()


def idempotency_form_fingerprint(*, method: str, path: str, form) -> str:
    """idempotency_fingerprint of a parsed form (a QueryDict of fields and staged files)."""
    items = form.lists() if isinstance(form, MultiValueDict) else ((k, [v]) for k, v in form.items())
    fields, files = [], []
    for name, values in items:
        for value in values:
            if hasattr(value, "staged"):  # a file, already in storage: its hash stands for its bytes
                files.append((name, value.name or "", value.staged.sha256))
            else:
                fields.append((name, str(value)))
    return idempotency_fingerprint(method=method, path=path, fields=fields, files=files)


def idempotency_owner(*, user, token) -> str:
    """Whose key it is: the token's (so that two tokens never share a key), or the session user's."""
    return f"token:{token.pk}" if getattr(token, "pk", None) is not None else f"user:{user.pk}"


@dataclass(frozen=True)
class Reservation:
    """The key is this request's until it records its answer or releases it."""

    pk: int
    lease: uuid.UUID


@dataclass(frozen=True)
class StoredAnswer:
    """The first request's answer, to be sent again."""

    status: int
    body: dict | list | None


def idempotency_reserve(*, owner: str, key: str, fingerprint: str) -> Reservation | StoredAnswer:
    """Takes the key for this request (the unique constraint decides between concurrent ones), or
    returns the answer stored for it. 422 when the key was first used for another request, 409
    while that first request is still in flight. An expired key is deleted and taken anew."""
    for _ in range(3):
        now = timezone.now()
        expires = now + timedelta(seconds=settings.NEXUS_IDEMPOTENCY_TTL_SECONDS)
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    owner=owner, key=key, fingerprint=fingerprint, created_at=now, expires_at=expires
                )
            return Reservation(pk=row.pk, lease=row.lease)
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if row is None:  # released meanwhile: try again
            continue
        if row.expires_at <= now:
            IdempotencyKey.objects.filter(pk=row.pk, expires_at__lte=now).delete()
            continue
        if row.fingerprint != fingerprint:
            raise Unprocessable(
                f"{HEADER} {key!r} was already used for another request (another file, fields or endpoint); "
                "a new request needs a new key."
            )
        if row.status is not None:
            return StoredAnswer(status=row.status, body=row.body)
        abandoned = now - timedelta(seconds=settings.NEXUS_IDEMPOTENCY_LEASE_SECONDS)
        lease = uuid.uuid4()
        if row.created_at < abandoned and IdempotencyKey.objects.filter(
            pk=row.pk, lease=row.lease, status__isnull=True
        ).update(lease=lease, created_at=now, expires_at=expires):
            return Reservation(pk=row.pk, lease=lease)
        raise Conflict(f"A request with {HEADER} {key!r} is still being processed; retry once it has answered.")
    raise Conflict(f"A request with {HEADER} {key!r} is still being processed; retry once it has answered.")


def idempotency_answer(*, reservation: Reservation, upload, status: int, body) -> None:
    """Records the answer of the request holding the key. Called inside the transaction that records
    the upload: the upload and the key's answer commit together, so a retry finds either neither
    (and records the upload itself) or both (and gets this answer). A reservation taken over
    meanwhile is a 409, and the upload is rolled back with it."""
    recorded = IdempotencyKey.objects.filter(pk=reservation.pk, lease=reservation.lease, status__isnull=True).update(
        upload=upload, status=status, body=body
    )
    if not recorded:
        raise Conflict(f"The {HEADER} of this request was taken over by a retry; this request recorded nothing.")


def idempotency_release(*, reservation: Reservation) -> None:
    """Frees the key of a request that failed (nothing recorded): its retry runs again."""
    IdempotencyKey.objects.filter(pk=reservation.pk, lease=reservation.lease, status__isnull=True).delete()


def idempotency_keys_sweep() -> int:
    """Deletes the keys past their 24 h (a read treats them as absent already); returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def idempotency_run(*, key: str | None, owner: str, fingerprint: str, create, render, status: int):
    """Runs `create(recorded)` (an upload service) once per key and returns `(status, body, replayed)`:
    without a key, the new upload's answer; with one, the stored first answer when there is one, or
    the new upload's answer, recorded (`recorded(upload)`, inside the upload's transaction) before it
    is sent. A request that fails (4xx or 5xx) records nothing and frees the key: a retry runs again
    (so a 5xx is never replayed, and a 4xx, which changed nothing, is answered anew)."""
    if key is None:
        return status, render(create(None)), False
    taken = idempotency_reserve(owner=owner, key=key, fingerprint=fingerprint)
    if isinstance(taken, StoredAnswer):
        return taken.status, taken.body, True
    answer = {}

    def recorded(upload):
        answer["body"] = render(upload)
        idempotency_answer(reservation=taken, upload=upload, status=status, body=answer["body"])

    try:
        create(recorded)
    except BaseException:
        try:
            idempotency_release(reservation=taken)
        except Exception:
            # The database went (a 503 follows): the reservation lapses after NEXUS_IDEMPOTENCY_LEASE_SECONDS.
            logger.warning("could not free Idempotency-Key reservation %s", taken.pk, exc_info=True)
        raise
    return status, answer["body"], False
