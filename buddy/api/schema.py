"""OpenAPI (drf-spectacular) description of the API's authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Personal API tokens: ``Authorization: Token bpm_…`` (``/account/tokens/``)."""

    target_class = "buddy.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal API token: `Token bpm_…` (made at /account/tokens/).",
        }
