"""Coordinator pages of the matching app (included from config.urls under /matching/)."""

from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("", views.board, name="board"),
    path("runs/", views.run_start, name="run-start"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/accept/", views.proposals_accept, name="proposals-accept"),
    path("proposals/<int:pk>/accept/", views.proposal_accept, name="proposal-accept"),
    path("proposals/<int:pk>/dismiss/", views.proposal_dismiss, name="proposal-dismiss"),
    path("criteria/", views.criteria, name="criteria"),
    path("people/<int:pk>/suggestions/", views.person_suggestions, name="person-suggestions"),
    path(
        "people/<int:pk>/suggestions/accept/",
        views.suggestion_accept,
        name="suggestion-accept",
    ),
]
