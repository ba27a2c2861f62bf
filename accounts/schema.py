"""The OpenAPI description of the token placements, so Swagger UI offers them under "Authorize"."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = ["tokenHeader", "tokenQuery"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <token>`, `Bearer <token>` or `api-token <token>` (also X-Dataverse-key)",
            },
            {"type": "apiKey", "in": "query", "name": "token", "description": "also ?api-token= and ?key="},
        ]
