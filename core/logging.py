"""Log redaction: API tokens, session cookies and link signatures never reach a log line, in any encoding."""

import base64
import contextvars
import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from urllib.parse import unquote, unquote_plus

REDACTED = "[redacted]"

# --- which names carry a credential -------------------------------------------------------------
# A query or form name is compared after decoding it the way Django does (percent-escapes, '+'),
# again for double encoding, NFKC-folded, lower-cased and stripped of everything but letters and
# digits: `%74oken`, `tok%65n`, `api%2Dtoken`, `API_Token`, `k%65y`, `token[]` all read `token`/`key`.
# The rule is wider than what authenticates (`?key=`, `?token=`, `?api-token=`): over-redacting a
# harmless `monkey=` costs nothing, missing a spelling costs a credential.
_SECRET_NAMES = {"sig", "auth", "authorization", "passwd", "pwd", "sessionid", "session", "jwt"}
_SECRET_SUFFIXES = ("token", "key", "secret", "password", "signature", "credential", "credentials")
# Headers whose whole value is a credential (spelled as a header, a WSGI key or a gunicorn atom).
_SECRET_HEADERS = {
    "authorization",
    "proxyauthorization",
    "xdataversekey",
    "apitoken",
    "cookie",
    "setcookie",
    "xapikey",
    "xauthtoken",
    "xamzsecuritytoken",
    "xcsrftoken",
}
_DECODE_ROUNDS = 3  # `%2574oken` is `%74oken` once decoded, `token` twice: a few rounds cover nesting
# How deep a value may nest (a URL in a parameter of a URL in a parameter): bounds the work per line.
_DEPTH = 3
# Longer values are no token of this server; scrubbing them by value would cost more than it saves
# (a pattern per value), and the name and header rules still apply to them.
_MAX_KNOWN = 1024
_MIN_KNOWN = 8  # a known credential shorter than this would blank out ordinary words; none is


# Characters that end or rewrite a log line (C0 and C1 controls, DEL, Unicode line and paragraph
# separators): a decoded URL must not bring them into a line, or one request forges another's.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """The text with every control character written as its percent-escapes (`\\n` reads `%0A`)."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda m: "".join(f"%{byte:02X}" for byte in m.group(0).encode("utf-8")), text)


def _folded(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKC", text).casefold())


def _decodings(raw: str) -> Iterable[str]:
    """The text and what it becomes when percent-decoded once, twice, ... (stops when stable)."""
    yield raw
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote_plus(raw)
        if decoded == raw:
            return
        yield decoded
        raw = decoded


def is_secret_name(name: str) -> bool:
    """Whether a query/form parameter of this (raw, possibly encoded) name carries a credential."""
    for form in _decodings(name):
        folded = _folded(form)
        if folded in _SECRET_NAMES or folded.endswith(_SECRET_SUFFIXES):
            return True
    return False


def is_secret_header(name: str) -> bool:
    """Whether a header (`Authorization`, `HTTP_X_DATAVERSE_KEY`, gunicorn's `{cookie}i`) is a credential."""
    atom = re.fullmatch(r"\{(.*)\}[ieo]", name)
    folded = _folded(atom.group(1) if atom else name)
    return folded in _SECRET_HEADERS or (folded.startswith("http") and folded[4:] in _SECRET_HEADERS)


# --- free text ----------------------------------------------------------------------------------
_HEADER_NAME = (
    r"(?:http[-_])?(?:(?:proxy[-_])?authorization|x[-_]dataverse[-_]key|api[-_]token|(?:set[-_])?cookie|x[-_]api[-_]key"
    r"|x[-_]auth[-_]token|x[-_]amz[-_]security[-_]token|x[-_]csrf[-_]?token)"
)
# `Authorization: Token abc`, `'HTTP_AUTHORIZATION': 'Token abc'`, `{'Authorization': b'AWS4-HMAC-SHA256 ...'}`.
_SCHEMES = r"token|bearer|api-token|basic|digest|aws4-hmac-sha256"
_HEADER = re.compile(
    rf"""(?ix)(?P<lead>["']?)(?P<name>{_HEADER_NAME})(?P=lead)(?P<sep>\s*[:=]\s*)
    (?:(?P<b>b?)(?P<q>["'])(?P<quoted>(?:\\.|(?!(?P=q)).)*)(?P=q)|(?P<bare>(?:(?:{_SCHEMES})[ \t]+)?[^\s,;"']*))"""
)
# A scheme word kept in front of a redacted Authorization value: it says which placement was used.
_SCHEME = re.compile(rf"(?i)^({_SCHEMES})(\s+)")
# `scheme://user:password@host`: the user part may be a token too.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#\"'<>]+@")
# A signed download or direct-upload path grants the file to whoever holds it until it expires.
_SIGNED_PATH = re.compile(r"(/blobs/(?:download|upload|direct)/)[^/\s?#\"'<>]+")
# `name=value` anywhere in a line: in a URL, a form body, a `k=v` message. A name starts only
# after a character that cannot be part of one, so that a long run without '=' is read once, not
# once per character.
_NAME_CHARS = r"[^\s=&;?#\"'<>()\[\]{},]"
_PAIR = re.compile(rf"(?<!{_NAME_CHARS})(?P<name>{_NAME_CHARS}+)=(?P<value>[^\s&;#\"'<>]*)")
# A secret's value runs to the next separator, quotes included (`?token=ab"cd` hides all of `ab"cd`).
# A value already redacted (by a structured pass) ends at its marker: the quote after it stays.
_SECRET_PAIR = re.compile(rf"(?<!{_NAME_CHARS})(?P<name>{_NAME_CHARS}+)=(?P<value>\[redacted\]|[^\s&;]*)")
# A run of URL characters holding percent-escapes: what it decodes to is checked too
# (`token%3Dabc`, `%2Fblobs%2Fdownload%2F...`).
_ENCODED_RUN = re.compile(r"(?<![^\s\"'<>])[^\s\"'<>]*%[0-9A-Fa-f]{2}[^\s\"'<>]*")
# `'token': 'abc'` and `'token': ['abc', 'def']` (dict and QueryDict reprs, JSON).
_QUOTED_PAIR = re.compile(
    r"""(?P<q>["'])(?P<name>[^"'\s]{1,100})(?P=q)\s*:\s*(?P<value>\[[^\]]*\]|b?(?P<vq>["'])(?:\\.|(?!(?P=vq)).)*(?P=vq))"""
)
# Only text holding one of these can hold anything the rules above rewrite.
_MAYBE = re.compile(r"[=%@:]|/blobs/")


def _header_sub(match: re.Match) -> str:
    value = match.group("quoted") if match.group("q") else match.group("bare")
    scheme = _SCHEME.match(value)
    kept = f"{scheme.group(1)}{scheme.group(2)}" if scheme else ""
    redacted = f"{kept}{REDACTED}" if value.strip() else value
    if match.group("q"):
        redacted = f"{match.group('b')}{match.group('q')}{redacted}{match.group('q')}"
    return f"{match.group('lead')}{match.group('name')}{match.group('lead')}{match.group('sep')}{redacted}"


def _hides_secret(raw: str, depth: int) -> bool:
    """Whether a value (a URL, a nested query, an encoded `token=...`) holds a credential itself,
    as written or once decoded."""
    if not _MAYBE.search(raw):
        return False
    if depth <= 0:
        return True  # nested deeper than any honest value: keep it out rather than look further
    return any(_redact_text(form, depth - 1) != form for form in _decodings(raw))


def _pair_text(name: str, eq: str, value: str, depth: int) -> str:
    if is_secret_name(name):
        return f"{name}{eq}{REDACTED}" if eq else name
    if _hides_secret(name, depth):
        name = REDACTED
    if value and _hides_secret(value, depth):
        value = REDACTED
    return f"{name}{eq}{value}"


def _quoted_pair_sub(match: re.Match) -> str:
    if not is_secret_name(match.group("name")):
        return match.group(0)
    start, end = match.span("value")
    return match.group(0)[: start - match.start()] + f"'{REDACTED}'" + match.group(0)[end - match.start() :]


def _secret_pair_sub(match: re.Match) -> str:
    return f"{match.group('name')}={REDACTED}" if is_secret_name(match.group("name")) else match.group(0)


def _encoded_run_sub(match: re.Match, depth: int) -> str:
    run = match.group(0)
    for form in list(_decodings(run))[1:]:
        cleaned = _redact_text(form, depth - 1) if depth > 0 else REDACTED
        if cleaned != form:
            # Logged decoded, with what the encoding hid redacted; an escaped control stays escaped.
            return escape_controls(cleaned)
    return run


def _redact_text(text: str, depth: int) -> str:
    if not _MAYBE.search(text):
        return text
    text = _HEADER.sub(_header_sub, text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _SIGNED_PATH.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _QUOTED_PAIR.sub(_quoted_pair_sub, text)
    text = _SECRET_PAIR.sub(_secret_pair_sub, text)
    text = _PAIR.sub(lambda m: _pair_text(m.group("name"), "=", m.group("value"), depth), text)
    if "%" in text:
        text = _ENCODED_RUN.sub(lambda m: _encoded_run_sub(m, depth), text)
    return text


# --- credentials known to be in the current request ---------------------------------------------
# The request log middleware puts the credentials a request carries here, so that any line logged
# while it is served (an exception message, a traceback) loses them too, whatever the wording.
_known: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("nexus_known_secrets", default=())


@functools.lru_cache(maxsize=256)
def _known_pattern(value: str) -> re.Pattern:
    """Matches the value raw, percent-encoded (any mix of characters, upper or lower hex, once or
    twice), '+' for space, and its base64 forms (standard and URL-safe, at any alignment inside a
    longer base64 text such as `Basic base64(user:token)`)."""
    parts = []
    for char in value:
        escapes = "".join(f"%(?:25)?{byte:02x}" for byte in char.encode("utf-8"))
        alternatives = [re.escape(char), escapes]
        if char == " ":
            alternatives.append(r"\+")
        parts.append(f"(?:{'|'.join(alternatives)})")
    forms = ["".join(parts)]
    data = value.encode("utf-8")
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        # The characters that depend on the value's bytes alone: whole 3-byte groups inside it.
        first_group = -(-offset // 3)
        last_group = (offset + len(data)) // 3
        if last_group - first_group >= 3:
            chunk = encoded[first_group * 4 : last_group * 4]
            forms.append(re.escape(chunk))
            forms.append(re.escape(chunk.replace("+", "-").replace("/", "_")))
    return re.compile("|".join(forms), re.IGNORECASE)


def _scrub_known(text: str, known: Iterable[str]) -> str:
    for value in known:
        if _MIN_KNOWN <= len(value) <= _MAX_KNOWN:
            text = _known_pattern(value).sub(REDACTED, text)
    return text


def credentials_in(meta: Mapping[str, str]) -> tuple[str, ...]:
    """The credential values a request carries (WSGI environ or request.META): header values,
    cookies, and the values of query parameters with a secret name (raw and decoded)."""
    found: list[str] = []
    for key, value in meta.items():
        if not isinstance(value, str) or not key.startswith("HTTP_") or not is_secret_header(key):
            continue
        found.append(value.strip())
        scheme = _SCHEME.match(value.strip())
        if scheme:
            found.append(value.strip()[scheme.end() :].strip())
        if key == "HTTP_COOKIE":
            found.extend(morsel.partition("=")[2].strip() for morsel in value.split(";"))
    for piece in re.split(r"[&;]", meta.get("QUERY_STRING", "") or ""):
        name, eq, value = piece.partition("=")
        if eq and is_secret_name(name):
            found.extend(_decodings(value))
    return tuple(dict.fromkeys(v for v in found if len(v) >= _MIN_KNOWN))


@contextmanager
def known_credentials(values: Iterable[str]):
    """While inside, every log line of this thread (or task) has these values redacted."""
    reset = _known.set(tuple(dict.fromkeys((*_known.get(), *values))))
    try:
        yield
    finally:
        _known.reset(reset)


# --- the public functions -----------------------------------------------------------------------


def redact(text: str, known: Iterable[str] = ()) -> str:
    """The text with every credential-looking value replaced by a marker: query and form values by
    their decoded name, credential headers, URL user parts, signed links, and the values known to be
    in the current request in any encoding."""
    text = _redact_text(text, _DEPTH)
    return _scrub_known(text, (*known, *_known.get()))


def redact_query(query: str, known: Iterable[str] = ()) -> str:
    """A raw query string rendered from its pairs, split on '&' and ';' as any parser might: a
    pair whose name decodes to a credential's keeps its raw name and loses its value; a name or
    value that decodes to text holding a credential (a URL with `?token=`) is redacted whole."""
    pieces = re.split(r"([&;])", query)
    rendered = []
    for index, piece in enumerate(pieces):
        if index % 2:
            rendered.append(piece)
            continue
        name, eq, value = piece.partition("=")
        rendered.append(_pair_text(name, eq, value, _DEPTH))
    return _scrub_known("".join(rendered), (*known, *_known.get()))


def redact_target(target: str, known: Iterable[str] = ()) -> str:
    """A request target or URL (`/path?query`, `https://host/path?query#frag`) with its path's
    signed links and user part and its query's credentials redacted."""
    head, question, rest = target.partition("?")
    query, hash_, fragment = rest.partition("#")
    cleaned = _redact_text(head, _DEPTH)
    # A signed path whose slashes are escaped (`%2Fblobs%2Fdownload%2F...`) or a segment that is a
    # whole encoded `token=...`: logged decoded, with what the encoding hid redacted.
    decoded = unquote(head)
    if decoded != head and _redact_text(decoded, _DEPTH) != decoded:
        cleaned = escape_controls(_redact_text(decoded, _DEPTH))
    head = cleaned
    tail = ""
    if question:
        tail = "?" + redact_query(query)
    if hash_:
        tail += "#" + redact_query(fragment)
    return _scrub_known(head + tail, (*known, *_known.get()))


# --- wiring into logging ------------------------------------------------------------------------


def _scrub_record(record: logging.LogRecord) -> None:
    """Rewrites a record's message, traceback and stack so that no credential is written out."""
    if getattr(record, "_nexus_redacted", False):
        return
    record._nexus_redacted = True
    try:
        message = record.getMessage()
    except Exception:  # a bad format is logging's to report; leave the record as it is
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # Formatters use exc_text when set: the traceback (exception messages with URLs included)
        # is written in its redacted form by every handler.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message so that no token or signature is written out (a handler-level
    net for records made without the record factory below, e.g. rebuilt from another process)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub_record(record)
        return True


def install_record_factory() -> None:
    """Redacts every log record when it is made, in every logger of the process: Django's, Celery's,
    gunicorn's own and any library's, whatever handler later writes it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_nexus_redacting", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        _scrub_record(record)
        return record

    factory._nexus_redacting = True
    logging.setLogRecordFactory(factory)


# Importing this module (Django's LOGGING names its filter; gunicorn's config imports it) is enough.
install_record_factory()
