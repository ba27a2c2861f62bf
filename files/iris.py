"""Ids the Delta way: expand a path segment or `?storage=` with a project's base and prefix mappings,
and encode a full IRI back into one path segment (`_self`)."""

import re
from urllib.parse import quote

from .models import DEFAULT_STORAGE_IRI, NXV, Project

# Mappings every project has (Delta v1.9.1 modules contribute them), before the project's own.
DEFAULT_MAPPINGS = {
    "nxv": NXV,
    "storage": DEFAULT_STORAGE_IRI,
    "defaultStorage": DEFAULT_STORAGE_IRI,
}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# Characters an IRI cannot hold (RFC 3987): controls, space and these delimiters.
_ILLEGAL = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')
# akka's path-segment encoding keeps pchar: unreserved, sub-delims, ':' and '@'.
_SEGMENT_SAFE = "!$&'()*+,;=:@"


def project_base(project: Project, *, base_uri: str) -> str:
    return project.base or f"{base_uri}/v1/resources/{project.org.label}/{project.label}/_/"


def project_vocab(project: Project, *, base_uri: str) -> str:
    return project.vocab or f"{base_uri}/v1/vocabs/{project.org.label}/{project.label}/"


def is_iri(value: str) -> bool:
    """An absolute IRI: a scheme, then no character an IRI cannot hold."""
    return bool(_SCHEME.match(value)) and not _ILLEGAL.search(value)


def expand(segment: str, *, project: Project, base_uri: str) -> str | None:
    """The IRI a (decoded) id segment stands for, or None when it cannot be one."""
    if not segment or _ILLEGAL.search(segment):
        return None
    mappings = {**DEFAULT_MAPPINGS, **(project.api_mappings or {})}
    if segment in mappings:
        return mappings[segment]
    prefix, colon, suffix = segment.partition(":")
    if colon and prefix in mappings:
        return mappings[prefix] + suffix
    if _SCHEME.match(segment):
        return segment
    return project_base(project, base_uri=base_uri) + segment


def expand_type(value: str, *, project: Project, base_uri: str) -> str:
    """A `type` filter: a CURIE or IRI as above, a bare term against the project's vocab."""
    mappings = {**DEFAULT_MAPPINGS, **(project.api_mappings or {})}
    prefix, colon, suffix = value.partition(":")
    if colon and prefix in mappings:
        return mappings[prefix] + suffix
    if _SCHEME.match(value):
        return value
    return project_vocab(project, base_uri=base_uri) + value


def encode_segment(iri: str) -> str:
    """A full IRI as one path segment: '/' -> %2F, '%' -> %25, '?' -> %3F, '#' -> %23, ':' kept."""
    return quote(iri, safe=_SEGMENT_SAFE)


def file_self(project: Project, iri: str, *, base_uri: str) -> str:
    return f"{base_uri}/v1/files/{project.org.label}/{project.label}/{encode_segment(iri)}"


def subject_iri(subject: str, *, base_uri: str) -> str:
    """`anonymous` -> {base}/v1/anonymous; `realms/local/users/x` -> {base}/v1/realms/local/users/x."""
    return f"{base_uri}/v1/{subject}"


def subject_from_iri(value: str, *, base_uri: str) -> str:
    """The stored subject of a `createdBy`/`updatedBy` filter value (the IRI, or the subject itself)."""
    prefix = f"{base_uri}/v1/"
    return value[len(prefix) :] if value.startswith(prefix) else value
