"""API authentication: personal tokens (django-rest-knox) with their last use recorded."""

import binascii
from datetime import timedelta
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from buddy.access import tokens_by_key

#: A token's ``last_used_at`` is written at most this often (not on every request).
LAST_USE_GRANULARITY = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <token>``: the token is hashed and compared with the stored
    digests; expired tokens are deleted and refused (401), revoked ones no longer exist."""

    def authenticate_credentials(self, token: bytes):
        """knox's own steps (each stored token under the key: expired ones deleted and
        skipped, the digest compared in constant time, renewed if AUTO_REFRESH), reading
        the candidates with ``tokens_by_key``: token, owner and the owner's role grants in
        one plain statement instead of knox's ORM query and the role look-up's second one."""
        msg = _("Invalid token.")
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError:  # a header of other bytes: refused, not a 500
            raise exceptions.AuthenticationFailed(msg) from None
        for auth_token in tokens_by_key(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token) -> bool:
        """The token's own expiry only (deleted and refused when past). knox also read all
        the owner's tokens on every request to delete their expired ones: one statement per
        API request; ``token_create`` sweeps them instead (buddy.services.tokens)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=type(self), username=username, source="auth_token")
            return True
        return False

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USE_GRANULARITY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token
