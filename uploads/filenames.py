"""Filename sanitising as the uploads seed states it, and the format an uploaded name declares."""

import re

from harvest.formats import extension_of

__all__ = ["ANY_FORMAT", "FALLBACK", "JSON_FORMATS", "MAX_LENGTH", "extension_of", "same_format", "sanitize_filename"]

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]")
MAX_LENGTH = 255
FALLBACK = "upload"

# Extensions that name the same format as a data source's `ext`.
_ALIASES = {
    "tif": {"tif", "tiff"},
    "tiff": {"tif", "tiff"},
    "json": {"json", "geojson"},
    "geojson": {"geojson", "json"},
    "jpg": {"jpg", "jpeg"},
    "jpeg": {"jpg", "jpeg"},
    "txt": {"txt"},
}
JSON_FORMATS = {"json", "geojson"}


def sanitize_filename(name: str) -> str:
    """Keeps only A-Z a-z 0-9 - . _ (everything else is removed, unicode included); a name left
    empty or made only of dots becomes `upload`; a long name is cut to 255 characters, keeping its
    extension."""
    # Clients may send a path; only its last component names the file.
    name = re.split(r"[\\/]", name or "")[-1]
    cleaned = _NOT_ALLOWED.sub("", name)
    if not cleaned.strip("."):
        return FALLBACK
    if len(cleaned) > MAX_LENGTH:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and stem and len(ext) < 20:
            cleaned = stem[: MAX_LENGTH - len(ext) - 1] + "." + ext
        else:
            cleaned = cleaned[:MAX_LENGTH]
    return cleaned


ANY_FORMAT = "*"


def same_format(ext: str, expected: str) -> bool:
    """Whether a file extension is the expected format; a data source whose `ext` is `*` takes any."""
    expected = expected.lower().lstrip(".")
    return expected == ANY_FORMAT or ext == expected or ext in _ALIASES.get(expected, set())
