from django.urls import path

from buddy import views

app_name = "buddy"

urlpatterns = [
    path("", views.home, name="home"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<str:digest>/revoke/", views.token_revoke_view, name="token-revoke"),
]
