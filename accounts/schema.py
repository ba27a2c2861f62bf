"""The OpenAPI description of the token placements: one security scheme per placement, each operation
offering its dialect's placements as alternatives (Swagger UI shows them under "Authorize")."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from core.dialects import CDG, DATAVERSE, DELTA, NEXUS, dialect_for_path

# Every placement, by scheme name. The server accepts each of them on every route (one authentication
# class); an operation lists the ones its dialect's clients use.
SCHEMES = {
    "tokenQuery": {"type": "apiKey", "in": "query", "name": "token", "description": "`?token=<token>` (Nexus)."},
    "tokenHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Authorization: Token <token>`: write the value with its `Token ` prefix.",
    },
    "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <token>`."},
    "apiTokenAuthorization": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Authorization: api-token <token>` (the gateway's curl examples): write the value with "
        "its `api-token ` prefix.",
    },
    "apiTokenHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "api-token",
        "description": "`api-token: <token>` (the gateway).",
    },
    "apiTokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "api-token",
        "description": "`?api-token=<token>` (the gateway).",
    },
    "dataverseKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Dataverse-key",
        "description": "`X-Dataverse-key: <token>` (Dataverse).",
    },
    "keyQuery": {"type": "apiKey", "in": "query", "name": "key", "description": "`?key=<token>` (Dataverse)."},
}
BY_DIALECT = {
    NEXUS: ("tokenQuery", "tokenHeader", "bearer"),
    DELTA: ("bearer", "tokenHeader"),
    CDG: ("apiTokenAuthorization", "apiTokenHeader", "apiTokenQuery"),
    DATAVERSE: ("dataverseKey", "keyQuery"),
}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = list(SCHEMES)

    def get_security_definition(self, auto_schema):
        return list(SCHEMES.values())

    def get_security_requirement(self, auto_schema):
        # A list of one-scheme requirements: OpenAPI reads it as "any one of these".
        return [{name: []} for name in BY_DIALECT[dialect_for_path(auto_schema.path)]]
