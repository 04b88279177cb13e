"""The one list of personal-data columns, derived from the models' field types, and the one
masking function (viewers see every personal value masked, in the API and in pages)."""

from functools import cache

from django.apps import apps
from django.db import models

#: What a viewer sees instead of a personal value.
MASK = "•••"


def personal_data_fields() -> dict[str, list[str]]:
    """Map ``app_label.ModelName`` to the names of its personal-data fields."""
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        if names := personal_field_names(model):
            found[model._meta.label] = list(names)
    return found


@cache
def personal_field_names(model: type[models.Model]) -> frozenset[str]:
    """The personal-data fields of one model (``core.fields``: ``contains_personal_data``)."""
    return frozenset(
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "contains_personal_data", False) and not f.is_relation
    )


def mask(value):
    """A personal value as a viewer sees it: empty stays empty (it tells nothing), anything
    else becomes ``MASK`` (text) or the same shape without content (objects, lists)."""
    if value in (None, "", [], {}):
        return value
    if isinstance(value, dict):
        return dict.fromkeys(value, MASK)
    if isinstance(value, list):
        return [MASK for _ in value]
    return MASK


def mask_fields(model: type[models.Model], data: dict, *, sources: dict[str, str] | None = None):
    """Mask, in place, the entries of ``data`` (a row's representation) that hold ``model``'s
    personal fields; ``sources`` maps representation keys to field names where they differ."""
    for key in personal_keys(model, list(data), sources=sources):
        data[key] = mask(data[key])
    return data


def personal_keys(model: type[models.Model], keys, *, sources: dict[str, str] | None = None):
    """The representation keys among ``keys`` that hold ``model``'s personal fields (what
    ``mask_fields`` masks; a list serializer asks once per page, then masks each row)."""
    personal = personal_field_names(model)
    return [key for key in keys if (sources or {}).get(key, key) in personal]
