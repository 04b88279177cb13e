"""A login's own settings: the language of the pages (kept on the account, so it follows the
login to every browser; ``buddy.views.account`` sets and restores it)."""

from django.conf import settings

from buddy.models import User


def user_language_set(*, user: User, language: str) -> bool:
    """Keep ``language`` as the login's choice if it is one of ``settings.LANGUAGES``;
    True when kept."""
    if language not in dict(settings.LANGUAGES):
        return False
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return True
