"""Raw-URI routing of a file URL: the id segment (a full IRI may hold %2F), its suffix and tag."""

import re
from urllib.parse import unquote, urlsplit

_SUFFIXES = ("tags", "undeprecate")


def file_route(request, rest: str) -> tuple[str, str | None, str | None]:
    """(id segment, suffix, tag) of a file URL. The id is one path segment of the raw URI, so that a
    full IRI with %2F in it stays one id: RAW_URI (gunicorn) or REQUEST_URI (uwsgi) when the server
    gives it; otherwise (Django's runserver and live_server decode PATH_INFO) the suffixes are peeled
    off the decoded rest from the right."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        parts = urlsplit(raw).path.split("/")
        try:
            start = next(i for i in range(len(parts) - 2) if parts[i] == "v1" and parts[i + 1] == "files") + 4
        except StopIteration:
            start = None
        if start is not None and len(parts) > start:
            segments = parts[start:]
            if segments and segments[-1] == "" and len(segments) > 1:
                segments = segments[:-1]
            segment, tail = unquote(segments[0]), [unquote(s) for s in segments[1:]]
            if segment and not tail:
                return segment, None, None
            if segment and tail in (["tags"], ["undeprecate"]):
                return segment, tail[0], None
            if segment and len(tail) == 2 and tail[0] == "tags":
                return segment, "tags", tail[1]
    rest = rest[:-1] if rest.endswith("/") and len(rest) > 1 else rest
    for suffix in _SUFFIXES:
        if rest.endswith("/" + suffix):
            return rest[: -len(suffix) - 1], suffix, None
    match = re.match(r"^(.+)/tags/([^/]+)$", rest)
    if match:
        return match.group(1), "tags", match.group(2)
    return rest, None, None
