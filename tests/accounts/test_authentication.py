"""Every token placement authenticates; bad, revoked and expired tokens are 401; tokens stay secret."""

import hashlib
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import token_create, token_revoke
from core.logging import redact

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.probe_urls")]

WHOAMI = "/probe/whoami/"


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("token={t}", {}),
        ("api-token={t}", {}),
        ("key={t}", {}),
        ("", {"HTTP_AUTHORIZATION": "Token {t}"}),
        ("", {"HTTP_AUTHORIZATION": "Bearer {t}"}),
        ("", {"HTTP_AUTHORIZATION": "api-token {t}"}),
        ("", {"HTTP_AUTHORIZATION": "bearer {t}"}),
        ("", {"HTTP_X_DATAVERSE_KEY": "{t}"}),
        ("", {"HTTP_API_TOKEN": "{t}"}),
    ],
    ids=[
        "?token",
        "?api-token",
        "?key",
        "Token",
        "Bearer",
        "api-token",
        "bearer-lowercase",
        "X-Dataverse-key",
        "api-token-header",
    ],
)
def test_each_placement_authenticates(client, supplier, supplier_token, query, headers):
    url = WHOAMI + ("?" + query.format(t=supplier_token) if query else "")
    response = client.get(url, **{k: v.format(t=supplier_token) for k, v in headers.items()})
    assert response.status_code == 200
    assert response.json() == {"user": "supplier"}


def test_no_token_is_anonymous(client):
    response = client.get(WHOAMI)
    assert response.status_code == 200
    assert response.json() == {"user": None}


def _assert_401(response, detail):
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response["WWW-Authenticate"] == "Token"


def test_wrong_token_is_401_never_anonymous(client, supplier_token):
    _assert_401(client.get(WHOAMI + "?token=not-a-token"), "Invalid token.")
    _assert_401(client.post(WHOAMI, HTTP_AUTHORIZATION="Bearer " + supplier_token[:-1] + "x"), "Invalid token.")
    _assert_401(client.get(WHOAMI, HTTP_X_DATAVERSE_KEY="nope"), "Invalid token.")
    _assert_401(client.get(WHOAMI, HTTP_API_TOKEN="nope"), "Invalid token.")
    _assert_401(client.get(WHOAMI, HTTP_AUTHORIZATION="Token "), "Invalid token header. No credentials provided.")


def test_revoked_token_is_401(client, supplier):
    issued = token_create(user=supplier)
    token_revoke(token=issued.token)
    _assert_401(client.get(WHOAMI + f"?token={issued.raw}"), "Token has been revoked.")


def test_expired_token_is_401_and_unexpired_works(client, supplier):
    expired = token_create(user=supplier, expires_at=timezone.now() - timedelta(seconds=1))
    _assert_401(client.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {expired.raw}"), "Token has expired.")
    live = token_create(user=supplier, expires_at=timezone.now() + timedelta(hours=1))
    assert client.get(WHOAMI, HTTP_AUTHORIZATION=f"Token {live.raw}").json() == {"user": "supplier"}


def test_inactive_user_token_is_401(client, supplier, supplier_token):
    supplier.is_active = False
    supplier.save()
    _assert_401(client.get(WHOAMI + f"?token={supplier_token}"), "User inactive or deleted.")


def test_database_holds_the_hash_not_the_token(supplier):
    issued = token_create(user=supplier, name="ci")
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.key_hash == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert token.prefix == issued.raw[:8]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(issued.raw in str(value) for value in rows[0])


def test_last_use_is_recorded(client, supplier, supplier_token):
    token = ApiToken.objects.get(user=supplier)
    assert token.last_used_at is None
    before = timezone.now()
    client.get(WHOAMI + f"?token={supplier_token}")
    token.refresh_from_db()
    assert before <= token.last_used_at <= timezone.now()


def test_request_log_line_carries_no_token(client, supplier_token, caplog):
    with caplog.at_level(logging.INFO, logger="nexus.request"):
        client.get(WHOAMI + f"?page=2&token={supplier_token}&x=1")
        client.get(WHOAMI + f"?api-token={supplier_token}")
    lines = [record.getMessage() for record in caplog.records if record.name == "nexus.request"]
    assert lines[0].startswith("GET /probe/whoami/?page=2&token=[redacted]&x=1 200 ")
    assert lines[0].endswith(" user=supplier")
    assert lines[1].startswith("GET /probe/whoami/?api-token=[redacted] 200 ")
    assert not any(supplier_token in line for line in lines)


def test_signed_download_paths_are_redacted():
    line = "GET /blobs/download/eyJrIjoiYmxvYnMvMjAy:1xVKtp:y0b5Hc-x7mi/dataset.csv HTTP/1.1"
    assert redact(line) == "GET /blobs/download/[redacted]/dataset.csv HTTP/1.1"
    line = "PUT /blobs/direct/eyJrIjoiYmxvYnMvZGly:1xVKtp:y0b5Hc-x7mi HTTP/1.1"
    assert redact(line) == "PUT /blobs/direct/[redacted] HTTP/1.1"


def test_redaction_covers_headers_and_query_forms():
    secret = "0f8fad5b-d9cb-469f-a165-70867728950e"
    text = (
        f"GET /x?token={secret}&key={secret} Authorization: Bearer {secret} "
        f"authorization: api-token {secret} X-Dataverse-key: {secret} sig={secret} api-token: {secret}"
    )
    cleaned = redact(text)
    assert secret not in cleaned
    assert cleaned == (
        "GET /x?token=[redacted]&key=[redacted] Authorization: Bearer [redacted] "
        "authorization: api-token [redacted] X-Dataverse-key: [redacted] sig=[redacted] api-token: [redacted]"
    )


def test_gunicorn_access_line_carries_no_token():
    from types import SimpleNamespace

    from gunicorn.config import Config

    from nexus_server.gunicorn_conf import RedactingLogger

    secret = "0f8fad5b-d9cb-469f-a165-70867728950e"
    logger = RedactingLogger(Config())
    request = SimpleNamespace(
        method="GET",
        path="/api/v1/uploads/",
        query=f"token={secret}",
        uri=f"/api/v1/uploads/?token={secret}",
        version=(1, 1),
        headers=[],
    )
    response = SimpleNamespace(status="200 OK", sent=2, headers=[], response_length=2)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": request.uri,
        "QUERY_STRING": request.query,
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    assert atoms["r"] == "GET /api/v1/uploads/?token=[redacted] HTTP/1.1"
    assert atoms["q"] == "token=[redacted]"
    assert secret not in " ".join(str(value) for value in atoms.values())


def test_create_token_command_prints_a_working_token(client, supplier, capsys):
    call_command("create_token", "--user", "supplier", "--name", "script", "--expires-days", "30")
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(name="script")
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert client.get(WHOAMI + f"?token={raw}").json() == {"user": "supplier"}
