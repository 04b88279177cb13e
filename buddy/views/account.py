"""The login's own pages: API tokens; logging in and the language picker (the language is kept
on the account and restored at every login)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from buddy.access import access_for, describe, role_required
from buddy.forms import TokenForm
from buddy.selectors import tokens_in_use
from buddy.services.accounts import user_language_set
from buddy.services.tokens import token_create, token_revoke


def _language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LoginView(auth_views.LoginView):
    """Django's login, then the login's own language (if it chose one) for this browser."""

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            _language_cookie(response, language)
        return response


def language_set(request):
    """The layout's language picker: Django's ``set_language`` (the cookie), and for a login
    the choice kept on the account."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        user_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


@role_required(read="any", change="any")
def tokens(request):
    """The login's personal API tokens: list, create (the token is shown once), revoke."""
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        _token, created = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            expires_days=form.cleaned_data["expires_days"],
        )
        form = TokenForm()
    rows = tokens_in_use(user=request.user)
    return render(
        request,
        "buddy/tokens.html",
        {
            "form": form,
            "tokens": rows,
            "created": created,
            "can_do": describe(access_for(request.user)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@role_required(read="any", change="any")
@require_POST
def token_revoke_view(request, digest):
    if not token_revoke(user=request.user, digest=digest):
        raise Http404(_("No such token."))
    messages.success(request, _("Token revoked."))
    return redirect("buddy:tokens")
