"""No credential reaches a log line, whatever its placement or encoding: the redaction over a
matrix of encodings, Django's SQL log, and control characters that would forge a line (the whole
stack grepped after a run: test_log_secrets_stack.py)."""

import base64
import itertools
import json
import logging

import pytest
from django.http import QueryDict

from core.logging import credentials_in, known_credentials, redact, redact_query, redact_target
from tests.support.secrets import SECRET, assert_no_leak, every_char, name_spellings, value_spellings

# --- the redaction function over a matrix of encodings -----------------------------------------


def _queries(name: str, value: str) -> list[str]:
    return [
        f"{name}={value}",
        f"page=2&{name}={value}&x=1",
        f"{name}={value}&{name}={value}",  # repeated
        f"x=1;{name}={value}",  # ';' separators
        f"{name}={value};x=1&y=2",
        f"a=%26&{name}={value}&b=%3B",
        f"next=%2Fapi%2Fv1%2Fuploads%2F%3F{name}%3D{value}",  # a URL carrying it, as a value
        f"next={every_char('/x?' + name + '=')}{value}",
    ]


@pytest.mark.parametrize("name", ["token", "api-token", "key", "api_token", "X-Amz-Signature", "sessionid"])
def test_query_credentials_are_redacted_in_every_encoding(name):
    checked = 0
    for spelled, value in itertools.product(name_spellings(name), value_spellings(SECRET)):
        for query in _queries(spelled, value):
            for cleaned in (
                redact_query(query),
                redact_target(f"/api/v1/uploads/?{query}"),
                redact(f'127.0.0.1 - - "GET /api/v1/uploads/?{query} HTTP/1.1" 200 2 "-" "curl"'),
                redact(f"Error handling request /api/v1/uploads/?{query}"),
                redact(f"Referer: https://example.org/page?{query}"),
            ):
                assert_no_leak(cleaned, SECRET, query)
                checked += 1
    assert checked > 400


def test_every_spelling_that_authenticates_is_one_django_reads():
    """What makes the redaction necessary: Django decodes names, so these all are `token`."""
    for spelled in ("%74oken", "tok%65n", "%74%6F%6B%65%6E", "%74%6f%6b%65%6e"):
        assert QueryDict(f"{spelled}={every_char(SECRET)}")["token"] == SECRET
    assert QueryDict(f"api%2Dtoken={SECRET}")["api-token"] == SECRET
    assert QueryDict(f"k%65y={SECRET}")["key"] == SECRET
    assert redact_query(f"%74oken={SECRET}&k%65y={SECRET}&api%2Dtoken={SECRET}") == (
        "%74oken=[redacted]&k%65y=[redacted]&api%2Dtoken=[redacted]"
    )


def test_redacted_query_keeps_every_other_pair_as_sent():
    query = "page=2&search=a+b%20c&%74oken=x-y-z-secret;locale=nl-NL&empty=&flag&next=%2Fa%3Fb%3D1"
    assert redact_query(query) == "page=2&search=a+b%20c&%74oken=[redacted];locale=nl-NL&empty=&flag&next=%2Fa%3Fb%3D1"


@pytest.mark.parametrize(
    "line",
    [
        f"Authorization: Token {SECRET}",
        f"Authorization: Bearer {SECRET}",
        f"authorization: api-token {SECRET}",
        f"Authorization: {SECRET}",
        f"X-Dataverse-key: {SECRET}",
        f"x-dataverse-key:{SECRET}",
        f"Cookie: csrftoken=abc; sessionid={SECRET}",
        f"{{'HTTP_AUTHORIZATION': 'Token {SECRET}', 'HTTP_X_DATAVERSE_KEY': '{SECRET}'}}",
        f"{{'Authorization': b'Bearer {SECRET}'}}",
        f"<QueryDict: {{'token': ['{SECRET}'], 'x': ['1']}}>",
        f'{{"api-token": "{SECRET}"}}',
        f"HTTPSConnectionPool(host='h', port=443): Max retries exceeded with url: /data?key={SECRET} (Caused by x)",
        f"redis://:{SECRET}@127.0.0.1:6379/0",
        f"https://{SECRET}:x@example.org/",
        f"GET /blobs/download/{SECRET}/data.csv",
        f"Location: https://s3.example.org/b/k?X-Amz-Credential=AKIA%2F{SECRET}&X-Amz-Signature={SECRET}",
        f"GET /x?token%3D{SECRET} HTTP/1.1",
        f"GET /a%2Fblobs%2Fdownload%2F{SECRET}%2Ff.csv HTTP/1.1",
    ],
)
def test_free_text_lines_are_redacted(line):
    assert_no_leak(redact(line), SECRET, line)


def test_known_credentials_are_redacted_in_any_wording():
    """A credential the request carries is removed from any line logged while it is served, even
    where no name says what it is (a path, an exception message, a base64 blob)."""
    basic = base64.b64encode(f"user:{SECRET}".encode()).decode()
    line = f"/files/{SECRET} {every_char(SECRET, '%{:02x}')} ValueError('{SECRET.upper()}') {basic}"
    assert redact(line) == line  # nothing names these as credentials: only knowing them helps
    meta = {"HTTP_AUTHORIZATION": f"Token {SECRET}", "QUERY_STRING": "page=1"}
    with known_credentials(credentials_in(meta)):
        assert_no_leak(redact(line), SECRET, line)
    for meta in (
        {"QUERY_STRING": f"%74oken={every_char(SECRET)}"},
        {"HTTP_X_DATAVERSE_KEY": SECRET},
        {"HTTP_COOKIE": f"sessionid={SECRET}"},
    ):
        assert SECRET in credentials_in(meta)


def test_log_records_lose_credentials_in_message_and_traceback(caplog):
    logger = logging.getLogger("tests.secrets")
    with caplog.at_level(logging.INFO, logger="tests.secrets"):
        try:
            raise RuntimeError(f"could not fetch https://example.org/data?key={SECRET}")
        except RuntimeError:
            logger.exception("harvest failed for %s", f"/api/v1/uploads/?%74oken={SECRET}")
        with known_credentials([SECRET]):
            logger.warning("odd input %r", {"value": SECRET})
    text = caplog.text
    assert "harvest failed for /api/v1/uploads/?%74oken=[redacted]" in text
    assert "RuntimeError: could not fetch https://example.org/data?key=[redacted]" in text
    assert "odd input {'value': '[redacted]'}" in text
    assert_no_leak(text, SECRET, "caplog")


def test_gunicorn_atoms_hold_no_credential():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from nexus_server.gunicorn_conf import RedactingLogger

    query = f"%74oken={every_char(SECRET)};x=1&tok%65n={SECRET}"
    headers = [
        ("AUTHORIZATION", f"Basic {base64.b64encode(f'{SECRET}:'.encode()).decode()}"),
        ("X-DATAVERSE-KEY", SECRET),
        ("COOKIE", f"sessionid={SECRET}"),
        ("REFERER", f"http://example.org/?k%65y={SECRET}"),
    ]
    request = SimpleNamespace(method="GET", path="/x", query=query, uri=f"/x?{query}", version=(1, 1), headers=headers)
    response = SimpleNamespace(status="200 OK", sent=2, headers=[("Location", f"/blobs/download/{SECRET}/f")])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": request.uri,
        "PATH_INFO": "/x",
        "QUERY_STRING": query,
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_AUTHORIZATION": headers[0][1],
        "HTTP_X_DATAVERSE_KEY": SECRET,
        "HTTP_COOKIE": f"sessionid={SECRET}",
        "HTTP_REFERER": headers[3][1],
    }
    atoms = RedactingLogger(Config()).atoms(response, request, environ, timedelta(milliseconds=5))
    assert atoms["r"] == "GET /x?%74oken=[redacted];x=1&tok%65n=[redacted] HTTP/1.1"
    assert atoms["u"] == "[redacted]"
    assert atoms["f"] == "http://example.org/?k%65y=[redacted]"
    assert atoms["{authorization}i"] == atoms["{x-dataverse-key}i"] == atoms["{cookie}i"] == "[redacted]"
    assert_no_leak(json.dumps({k: str(v) for k, v in atoms.items()}), SECRET, "atoms")


@pytest.mark.django_db
def test_no_statement_the_database_logs_carries_the_token(client, supplier_token):
    """Django's SQL log (django.db.backends at DEBUG) writes each statement with its parameters:
    a token is looked up by its hash, so none of them holds the token."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/v1/uploads/?%74oken={every_char(supplier_token)}").status_code == 200
        assert client.get("/api/v1/uploads/", HTTP_AUTHORIZATION=f"Token {supplier_token}").status_code == 200
        assert client.get("/api/v1/uploads/", HTTP_X_DATAVERSE_KEY=supplier_token[::-1]).status_code == 401
    assert len(queries) >= 3
    statements = json.dumps([query["sql"] for query in queries.captured_queries])
    assert_no_leak(statements, supplier_token, "SQL")
    assert_no_leak(statements, supplier_token[::-1], "SQL")


# --- control characters: one request writes one line --------------------------------------------


@pytest.mark.parametrize("escape", ["%0A", "%0D", "%0D%0A", "%85", "%C2%85", "%E2%80%A8", "%1B", "%00"])
def test_a_decoded_control_character_never_forges_a_line(escape):
    """The redaction decodes an encoded run to look into it: what it writes back keeps every
    control character escaped, or `%0A` in a URL would end the access line and forge the next."""
    forged = f"/api/v1/uploads{escape}GET%20/admin/%20200%3Ftoken%3D{SECRET}"
    for text in (redact_target(forged), redact(f"GET {forged} HTTP/1.1"), redact_query(f"next={forged}")):
        assert not any(char in text for char in "\n\r\x85\u2028\x1b\x00"), repr(text)
        assert_no_leak(text, SECRET, forged)
    if escape != "%85":  # a lone 0x85 byte is no UTF-8: it decodes to U+FFFD, no control
        assert redact_target(forged) == f"/api/v1/uploads{escape}GET /admin/ 200?token=[redacted]"


@pytest.mark.django_db
@pytest.mark.parametrize("escape", ["%0A", "%0D", "%E2%80%A8"])
def test_the_request_log_line_escapes_a_control_character_in_the_path(client, caplog, escape):
    """request.path is decoded: a `%0A` in it is written back as `%0A`, on the one line."""
    with caplog.at_level(logging.INFO, logger="nexus.request"):
        client.get(f"/api/v1/uploads{escape}GET%20/admin/%20200%20x/?page=1")
    lines = [record.getMessage() for record in caplog.records if record.name == "nexus.request"]
    assert len(lines) == 1
    assert lines[0].startswith(f"GET /api/v1/uploads{escape}GET /admin/ 200 x/?page=1 4")
    assert not any(char in lines[0] for char in "\n\r\u2028")


def test_gunicorn_atoms_escape_control_characters():
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from nexus_server.gunicorn_conf import RedactingLogger

    uri = "/x%0AGET%20/admin/?next=%2Fa%0Db%3Ftoken%3Dsecretvalue&q=\x1b[2J"
    headers = [("USER-AGENT", "curl\x1b[31m\x07"), ("REFERER", "http://e.org/\x1b]0;pwned\x07")]
    request = SimpleNamespace(method="GET", path="/x", query="", uri=uri, version=(1, 1), headers=headers)
    response = SimpleNamespace(status="200 OK", sent=2, headers=[])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": uri,
        "PATH_INFO": "/x\nGET /admin/",
        "QUERY_STRING": uri.partition("?")[2],
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": headers[0][1],
        "HTTP_REFERER": headers[1][1],
    }
    atoms = RedactingLogger(Config()).atoms(response, request, environ, timedelta(milliseconds=5))
    assert atoms["a"] == "curl%1B[31m%07"
    assert atoms["f"] == "http://e.org/%1B]0;pwned%07"
    assert atoms["r"] == "GET /x%0AGET%20/admin/?next=[redacted]&q=%1B[2J HTTP/1.1"
    for name, value in atoms.items():
        assert not isinstance(value, str) or not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in value), name
