"""The reference server's file rejections: project error types carrying a Delta `@type` and extra fields."""

from core.errors import Conflict, Forbidden, InvalidInput, NexusError, NotFound, PayloadTooLarge


class DeltaError(NexusError):
    """A NexusError whose Delta body carries more than `reason` (e.g. `details`, `provided`)."""

    def __init__(self, message: str, *, type: str, extra: dict | None = None):
        super().__init__(message, type=type)
        self.extra = extra or {}


def _make(base, status=None):
    return type(f"Delta{base.__name__}", (DeltaError, base), {} if status is None else {"status": status})


_Invalid, _NotFound, _Conflict, _Forbidden, _TooLarge = (
    _make(InvalidInput),
    _make(NotFound),
    _make(Conflict),
    _make(Forbidden),
    _make(PayloadTooLarge),
)
_NotAcceptable = _make(NexusError, 406)
_UnsupportedMedia = _make(NexusError, 415)
_ServerError = _make(NexusError, 500)


def project_not_found(ref: str):
    return _NotFound(f"Project '{ref}' not found.", type="ProjectNotFound")


def project_is_deprecated(ref: str):
    return _Invalid(f"Project '{ref}' is deprecated.", type="ProjectIsDeprecated")


def org_not_found(label: str):
    return _NotFound(f"Organization '{label}' not found.", type="OrganizationNotFound")


def org_already_exists(label: str):
    return _Conflict(
        f"Organization '{label}' already exists.", type="OrganizationAlreadyExists", extra={"label": label}
    )


def org_is_deprecated(label: str):
    return _Invalid(f"Organization '{label}' is deprecated.", type="OrganizationIsDeprecated")


def invalid_org_delete(label: str):
    return _Invalid(
        f"Invalid organization '{label}' DELETE request. To deprecate, 'rev' must be provided and 'prune' must be "
        "'false' or omitted.",
        type="InvalidDeleteRequest",
    )


def project_already_exists(org: str, label: str):
    return _Conflict(
        f"Project '{org}/{label}' already exists.",
        type="ProjectAlreadyExists",
        extra={"label": label, "orgLabel": org},
    )


def illegal_label(value: str):
    """An org or project label outside Delta's `[a-zA-Z0-9_-]{1,64}`: akka's ValidationRejection."""
    return _Invalid(
        f"'{value}' did not match the expected label format '[a-zA-Z0-9_-]{{1,64}}'.", type="ValidationRejection"
    )


def file_not_found(iri: str, ref: str):
    return _NotFound(f"File '{iri}' not found in project '{ref}'.", type="ResourceNotFound")


def storage_not_found(iri: str, ref: str):
    return _NotFound(f"Storage '{iri}' not found in project '{ref}'.", type="ResourceNotFound")


def default_storage_not_found(ref: str):
    return _NotFound(f"Default storage not found in project '{ref}'.", type="DefaultStorageNotFound")


def storage_is_deprecated(iri: str):
    return _Invalid(f"Storage '{iri}' is deprecated.", type="StorageIsDeprecated")


def already_exists(iri: str, ref: str):
    return _Conflict(f"Resource '{iri}' already exists in project '{ref}'.", type="ResourceAlreadyExists")


def incorrect_rev(provided: int, expected: int, *, what: str = "file"):
    return _Conflict(
        f"Incorrect revision '{provided}' provided, expected '{expected}', "
        f"the {what} may have been updated since last seen.",
        type="IncorrectRev",
        extra={"provided": provided, "expected": expected},
    )


def revision_not_found(provided: int, current: int):
    return _NotFound(
        f"Revision requested '{provided}' not found, last known revision is '{current}'.", type="RevisionNotFound"
    )


def tag_not_found(tag: str):
    return _NotFound(f"Tag requested '{tag}' not found.", type="TagNotFound")


def file_is_deprecated(iri: str):
    return _Invalid(f"File '{iri}' is deprecated.", type="FileIsDeprecated")


def file_is_not_deprecated(iri: str):
    return _Invalid(f"File '{iri}' is not deprecated.", type="FileIsNotDeprecated")


def file_too_large(max_size: int):
    return _TooLarge(f"File size exceeds the max file size for the storage ({max_size} bytes).", type="FileTooLarge")


def invalid_multipart_field(iri: str):
    return _Invalid(
        f"File '{iri}' payload a Multipart/Form-Data without a 'file' part.", type="InvalidMultipartFieldName"
    )


def invalid_file_id(segment: str):
    return _Invalid(f"File identifier '{segment}' cannot be expanded to an Iri.", type="InvalidFileId")


def invalid_file_link(iri: str):
    return _Invalid(
        f"Linking a file '{iri}' cannot be performed without a 'filename' or a 'path' that does not end with "
        "a filename.",
        type="InvalidFileLink",
    )


def unsupported_operation(iri: str, storage_iri: str, storage_type: str):
    return _Invalid(
        f"File '{iri}' could not be linked using storage '{storage_iri}'",
        type="UnsupportedOperation",
        extra={
            "details": "Moving a file is not supported for storages of type "
            f"'https://bluebrain.github.io/nexus/vocabulary/{storage_type}'"
        },
    )


def link_rejected(iri: str, storage_iri: str, details: str):
    return _Invalid(
        f"File '{iri}' could not be linked using storage '{storage_iri}'",
        type="LinkRejection",
        extra={"details": details},
    )


def authorization_failed(permission: str, path: str):
    return _Forbidden(
        "The supplied authentication is not authorized to access this resource.",
        type="AuthorizationFailed",
        extra={"details": f"Permission '{permission}' is missing on '{path}'."},
    )


def missing_query_param(name: str):
    return _Invalid(f"Request is missing required query parameter '{name}'.", type="MissingQueryParam")


def malformed_query_param(name: str, details: str):
    return _Invalid(
        f"The query parameter '{name}' was malformed.", type="MalformedQueryParamRejection", extra={"details": details}
    )


def malformed_content(details: str):
    return _Invalid(
        "The request content was malformed.", type="MalformedRequestContentRejection", extra={"details": details}
    )


def entity_expected():
    return _Invalid("Request entity expected but not supplied", type="RequestEntityExpectedRejection")


def unsupported_content_type(got: str):
    return _UnsupportedMedia(
        f"The request's Content-Type '{got}' is not supported.",
        type="UnsupportedRequestContentTypeRejection",
        extra={"supported": "multipart/form-data, application/json"},
    )


def not_acceptable(media_type: str):
    return _NotAcceptable(
        f"Resource representation is only available with these types: '{media_type}'",
        type="UnacceptedResponseContentTypeRejection",
    )


def fetch_rejection(iri: str, storage_iri: str, details: str):
    """The reference's 500 when a revision's bytes cannot be read from its storage."""
    return _ServerError(
        f"File '{iri}' could not be fetched using storage '{storage_iri}'",
        type="FetchRejection",
        extra={"details": details},
    )


def route_not_found():
    return _NotFound("The requested resource does not exist.", type="ResourceNotFound")
