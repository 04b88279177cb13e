from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A login: a program coordinator or an API client.

    Participants and buddies are people in the data (``Person``), not logins.
    Coordinators are staff users; API clients authenticate with a token.
    """

    language = models.CharField(
        max_length=10,
        blank=True,
        help_text="The UI language this login chose (empty: the browser's); set on every login.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = "login"
        verbose_name_plural = "logins"
