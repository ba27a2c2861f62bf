"""Dataverse's `jsonData` form field: read leniently (the documented examples quote with `'`) and
checked into the file parameters that add, replace and metadata calls take."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from core.errors import InvalidInput

CHECKSUM_TYPES = ("MD5", "SHA-1", "SHA-256", "SHA-512")
# Every blob has its MD5 and SHA-256 taken as it is written; these two need the bytes read again.
HASHES_NEEDING_A_READ = {"SHA-1": "sha1", "SHA-512": "sha512"}

# A double-quoted JSON string, or a single-quoted one (Dataverse's Gson-based reader takes both).
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'((?:[^\'\\]|\\.)*)\'', re.DOTALL)


def _requote(match: re.Match) -> str:
    if match.group(1) is None:
        return match.group(0)
    inner = match.group(1).replace("\\'", "'")
    return json.dumps(json.loads('"' + inner.replace('"', '\\"') + '"'))


def json_lenient(text: str):
    """JSON, also with single-quoted strings as in the Dataverse guide's curl examples."""
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput("Error in parsing provided json: nested too deeply.") from None
    except ValueError:
        pass
    try:
        return json.loads(_STRINGS.sub(_requote, text))
    except RecursionError:
        raise InvalidInput("Error in parsing provided json: nested too deeply.") from None
    except ValueError as error:
        raise InvalidInput(f"Error in parsing provided json: {error}") from None


def _flag(value) -> bool:
    # Dataverse reads `restrict` and `forceReplace` as Boolean.valueOf(text): "true" in any case is true.
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


# What the stored fields hold; longer values are refused before anything is moved or written.
MAX_LENGTHS = {"directoryLabel": 255, "label": 255, "fileName": 255, "mimeType": 255, "storageIdentifier": 300}


# What no column can store: NUL (PostgreSQL refuses it in text) and a lone surrogate (`"\ud800"` is
# valid JSON but no UTF-8); refused by name rather than failing as a 500 at the write.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: str, key: str, where: str) -> str:
    if _UNSTORABLE.search(value):
        raise InvalidInput(f"{where}'{key}' holds a NUL character or a lone surrogate.")
    return value


def _text(data: dict, key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise InvalidInput(f"{where}'{key}' must be a string.")
    value = str(value)
    if key in MAX_LENGTHS and len(value) > MAX_LENGTHS[key]:
        raise InvalidInput(f"{where}'{key}' is longer than {MAX_LENGTHS[key]} characters.")
    return _storable(value, key, where)


@dataclass
class FileParams:
    """One file's jsonData. `None` means "not given" (a metadata update leaves it as it is)."""

    description: str | None = None
    directory_label: str | None = None
    label: str | None = None
    categories: list[str] | None = None
    restrict: bool | None = None
    storage_identifier: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    checksum_type: str | None = None
    checksum_value: str | None = None
    file_to_replace_id: int | None = None
    force_replace: bool = False
    tab_ingest: bool = True
    raw: dict = field(default_factory=dict)


def file_params(data, *, where: str = "") -> FileParams:
    """Checks one jsonData object; errors name the key (and `where`, e.g. "file 2: ")."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}jsonData must be a JSON object.")
    params = FileParams(raw=data)
    params.description = _text(data, "description", where)
    params.label = _text(data, "label", where)
    directory = _text(data, "directoryLabel", where)
    if directory is not None:
        directory = directory.strip().strip("/")
        if any(part in {"", ".", ".."} for part in directory.split("/")) and directory:
            raise InvalidInput(f"{where}'directoryLabel' must be a relative path without '.' or '..' parts.")
    params.directory_label = directory
    categories = data.get("categories")
    if categories is not None:
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise InvalidInput(f"{where}'categories' must be a list of strings.")
        params.categories = [_storable(c, "categories", where) for c in categories]
    if "restrict" in data:
        params.restrict = _flag(data["restrict"])
    params.force_replace = _flag(data.get("forceReplace", False))
    params.tab_ingest = _flag(data.get("tabIngest", True))
    params.storage_identifier = _text(data, "storageIdentifier", where)
    params.file_name = _text(data, "fileName", where)
    params.mime_type = _text(data, "mimeType", where)
    if data.get("md5Hash") is not None:
        params.checksum_type, params.checksum_value = "MD5", str(data["md5Hash"]).strip().lower()
    checksum = data.get("checksum")
    if checksum is not None:
        if not isinstance(checksum, dict) or not checksum.get("@type") or not checksum.get("@value"):
            raise InvalidInput(f"{where}'checksum' must be an object with '@type' and '@value'.")
        if len(str(checksum["@value"])) > 128:
            raise InvalidInput(f"{where}'checksum' '@value' is longer than 128 characters.")
        kind = str(checksum["@type"]).strip()
        if kind not in CHECKSUM_TYPES:
            raise InvalidInput(f"{where}ChecksumType must be one of these values: [{', '.join(CHECKSUM_TYPES)}].")
        params.checksum_type, params.checksum_value = kind, str(checksum["@value"]).strip().lower()
    replace_id = data.get("fileToReplaceId")
    if replace_id is not None:
        try:
            params.file_to_replace_id = int(replace_id)
        except (TypeError, ValueError, OverflowError):  # OverflowError: 1e400 reads as infinity
            raise InvalidInput(f"{where}'fileToReplaceId' must be a number.") from None
    return params


def json_data_object(text: str | None) -> FileParams:
    if text is None or not text.strip():
        return FileParams()
    return file_params(json_lenient(text))


def json_data_list(text: str | None) -> list[FileParams]:
    if text is None or not text.strip():
        raise InvalidInput("jsonData is required: a JSON array of files.")
    data = json_lenient(text)
    if not isinstance(data, list) or not data:
        raise InvalidInput("jsonData must be a non-empty JSON array of files.")
    return [file_params(item, where=f"file {n}: ") for n, item in enumerate(data, start=1)]
