"""Template context of every page from the webhooks app: whether the layout links the
subscribers' pages (only for those who may open them)."""

from django.utils.functional import SimpleLazyObject

from buddy.access import holds_permission


def subscribers(request):
    def allowed() -> bool:
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated) and holds_permission(
            user, "webhooks.view_webhookendpoint"
        )

    return {"nav_subscribers": SimpleLazyObject(allowed)}
