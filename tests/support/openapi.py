"""The OpenAPI document as clients get it, and a check that real answers conform to it (openapi-core)."""

import json
from urllib.parse import parse_qsl, urlsplit

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# The token placements a Nexus operation offers (accounts/schema.py), as the document lists them.
NEXUS_SECURITY = [{"tokenQuery": []}, {"tokenHeader": []}, {"bearer": []}]


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def component(document: dict, reference: dict) -> dict:
    return document["components"]["schemas"][reference["$ref"].rsplit("/", 1)[1]]


def json_schema(response: dict) -> dict:
    return response["content"]["application/json"]["schema"]


def openapi_document() -> dict:
    """The document /api/schema/ serves, as plain JSON data."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def operations(document: dict):
    """(path, method, operation) for every operation of the document."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


class Conformance:
    """Checks each observed answer against the document: its status is documented for the operation,
    its media type too, and its body and headers match the schema. Requests to no documented
    operation are kept apart (`unrouted`): a catch-all's 404 or a 405 is expected to be one."""

    def __init__(self, document: dict):
        # Delta answers JSON-LD: JSON to read, under a media type openapi-core does not know as such.
        config = Config(extra_media_type_deserializers={"application/ld+json": json_loads})
        self.openapi = OpenAPI.from_dict(document, config=config)
        self.problems: list[str] = []
        self.unrouted: list[tuple[str, str, int]] = []
        self.checked = 0

    def __call__(self, *, name, method, path, headers, meta, response, raw):
        split = urlsplit(path)
        request_headers = dict(headers)
        for key, value in meta.items():
            if key.startswith("HTTP_"):
                request_headers[key[5:].replace("_", "-").title()] = value
        request = MockRequest(
            "http://testserver",
            method.lower(),
            split.path,
            args=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=request_headers,
        )
        content_type = response.get("Content-Type", "")
        answer = MockResponse(
            raw, status_code=response.status_code, headers=dict(response.items()), content_type=content_type
        )
        result = self.openapi.unmarshal_response(request, answer)
        errors = list(result.errors)
        if errors and isinstance(errors[0], (PathNotFound, OperationNotFound)):
            self.unrouted.append((name, f"{method} {split.path}", response.status_code))
            return
        self.checked += 1
        for error in errors:
            cause = getattr(error, "__cause__", None)
            detail = f"{error}" + (f" ({cause})" if cause else "")
            detail += "".join(f"; {e.message}" for e in getattr(cause, "schema_errors", []) or [])
            self.problems.append(f"{name}: {method} {split.path} -> {response.status_code} {content_type}: {detail}")
