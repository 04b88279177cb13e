"""Coordinator pages of the buddy app (included from config.urls at the root)."""

from django.urls import path

from buddy.views import account, matches, people

app_name = "buddy"

urlpatterns = [
    path("people/", people.people_list, name="people"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("matches/", matches.match_list, name="matches"),
    path("matches/<int:pk>/", matches.match_detail, name="match"),
    path("matches/<int:pk>/action/", matches.match_action, name="match-action"),
    path("account/tokens/", account.tokens, name="tokens"),
    path("account/tokens/<str:digest>/revoke/", account.token_revoke_view, name="token-revoke"),
]
