"""People in the data (participants and buddies), their companies and their ids elsewhere."""

import hashlib

from django.db import models
from django.db.models import Q

from buddy.models.base import TimeStampedModel, choices_check
from buddy.models.choices import Role
from core.fields import PersonalCharField, PersonalEmailField


def normalize_email(raw: str | None) -> str:
    """Emails compare case- and whitespace-insensitively (``EXPORT.md``, Identity)."""
    return (raw or "").strip().lower()


def email_digest(normalized: str) -> str:
    """SHA-256 of a normalised email: the identity key that never shows the address."""
    return hashlib.sha256(normalized.encode()).hexdigest() if normalized else ""


class Company(TimeStampedModel):
    """A buddy's employer (a company that sends volunteers)."""

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class Person(TimeStampedModel):
    """A participant or a buddy in the data; not a login.

    The email is stored normalised; ``email_hash`` is what identity matching
    compares, so two rows with the same address (in any case) are one person.
    """

    role = models.CharField(max_length=20, choices=Role.choices)
    first_name = PersonalCharField(max_length=150, blank=True)
    last_name = PersonalCharField(max_length=150, blank=True)
    email = PersonalEmailField(max_length=254, blank=True)
    email_hash = models.CharField(max_length=64, blank=True, editable=False)
    joined_at = models.DateTimeField()
    languages = models.JSONField(
        default=list, blank=True, help_text="Language codes, preferred first."
    )
    interests = models.JSONField(default=list, blank=True)
    location = models.CharField(max_length=200, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    capacity = models.PositiveSmallIntegerField(
        default=1, help_text="A buddy's maximum number of concurrent active matches."
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "people"
        constraints = [
            choices_check("role", Role.choices),
            models.UniqueConstraint(
                fields=["email_hash"],
                condition=~Q(email_hash=""),
                name="buddy_person_unique_email",
                violation_error_message="Another person already has this email address.",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="buddy_person_capacity_positive",
                violation_error_message="Capacity must be at least 1.",
            ),
        ]
        indexes = [
            models.Index(fields=["role", "joined_at"], name="buddy_person_role_joined"),
        ]

    def __str__(self) -> str:
        # Never a name: this string shows up in logs and admin history.
        return f"{self.get_role_display()} #{self.pk}"

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        self.email_hash = email_digest(self.email)
        if kwargs.get("update_fields") is not None and "email" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "email_hash"}
        super().save(*args, **kwargs)


class ExternalId(models.Model):
    """A person's id in another system (the Buddy System, a mentoring platform, …)."""

    provider = models.CharField(max_length=40)
    external_id = models.CharField(max_length=200)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="external_ids")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "external_id"]
        verbose_name = "external id"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                name="buddy_externalid_unique_per_provider",
                violation_error_message="This external id is already linked to a person.",
            ),
        ]
        indexes = [models.Index(fields=["person", "provider"], name="buddy_extid_person")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"
