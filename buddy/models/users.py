from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login: a program coordinator or an API client.

    Participants and buddies are people in the data (``Person``), not logins.
    Coordinators are staff users; API clients authenticate with a token.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = "login"
        verbose_name_plural = "logins"
