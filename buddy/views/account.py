"""The login's own pages: API tokens."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from buddy.access import access_for, describe, role_required
from buddy.forms import TokenForm
from buddy.models import ApiToken
from buddy.services.tokens import token_create, token_revoke


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
    rows = ApiToken.objects.filter(user=request.user).order_by("-created")
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
        raise Http404("No such token.")
    messages.success(request, "Token revoked.")
    return redirect("buddy:tokens")
