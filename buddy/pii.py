"""The one list of personal-data columns, derived from the models' field types."""

from django.apps import apps
from django.db import models


def personal_data_fields() -> dict[str, list[str]]:
    """Map ``app_label.ModelName`` to the names of its personal-data fields."""
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        names = [
            f.name for f in model._meta.get_fields() if getattr(f, "contains_personal_data", False)
        ]
        if names:
            found[model._meta.label] = names
    return found


def personal_values(instance: models.Model) -> list[str]:
    """The non-empty personal-data values of one row (to check that none leaks anywhere)."""
    return [
        str(getattr(instance, f.name))
        for f in instance._meta.get_fields()
        if getattr(f, "contains_personal_data", False) and getattr(instance, f.name, None)
    ]
