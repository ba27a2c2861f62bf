"""The OpenAPI document generated afresh for the Nexus tests that check real answers with openapi-core."""

import copy

from core.openapi import ERROR_SCHEMAS
from tests.support.openapi import openapi_document

# The error components as core.openapi declares them, copied when the tests are collected (before any
# document is generated): drf-spectacular's enum hook rewrites their inline enums into $refs in place,
# so a second document generated in the same process refers to enum components it no longer creates
# (a dangling $ref, which openapi-core refuses). Restored before each generation until core.openapi
# hands out copies itself.
PRISTINE_ERROR_SCHEMAS = copy.deepcopy(ERROR_SCHEMAS)


def fresh_openapi_document() -> dict:
    """The document /api/schema/ serves, generated from the error components as declared."""
    for name, schema in PRISTINE_ERROR_SCHEMAS.items():
        ERROR_SCHEMAS[name] = copy.deepcopy(schema)
    return openapi_document()
