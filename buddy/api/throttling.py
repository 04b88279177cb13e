"""Throttling of API token clients (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]``)."""

from rest_framework.throttling import UserRateThrottle

from buddy.models import ApiToken


class TokenClientThrottle(UserRateThrottle):
    """Requests authenticated by a personal token, counted per token; over the rate the
    answer is 429 with ``Retry-After``. Browser sessions are not throttled here (the login
    form has its own lock-out)."""

    scope = "token"

    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.token_key}
