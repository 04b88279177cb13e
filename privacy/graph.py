"""Which rows are about a person, found from the models' relations (never a hand-kept list).

The walk starts at the person and follows, one level at a time, every foreign key that points
to a row already found: ``ExternalId``, ``Enrollment``, ``Match`` … (to ``Person``, or a
many-to-many to it: a case's ``involved``), then ``MatchTransition``, ``CheckIn``,
``JourneyFlags`` … (to those). A model with its own relation to ``Person`` is reached only
through it: another person's attendance of a shared match is not about this person. A model
added later (concerns, health scores) is picked up as soon as it has a foreign key into the
graph. Rows that name the person by id inside JSON
(``core.fields.PersonEntriesJSONField``: a recommendation run's "why not matched" list) are
added after the walk, which does not follow them. The export and the erasure both read this
one walk.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

from buddy.models import Person
from core.fields import PersonEntriesJSONField

#: Apps whose rows are never "about" a person (accounts, sessions, the admin log, our records).
SKIPPED_APPS = frozenset(
    {"admin", "auth", "contenttypes", "sessions", "knox", "axes", "privacy", "core"}
)
MAX_DEPTH = 4


def person_foreign_keys(model) -> list[models.ForeignKey]:
    return [
        f
        for f in model._meta.get_fields()
        if f.concrete and (f.many_to_one or f.one_to_one) and f.related_model is Person
    ]


def person_relations(model) -> list[models.Field]:
    """How a row names people itself: its foreign keys to ``Person`` and its many-to-many
    fields to ``Person`` (a case's ``involved``: both people of its match)."""
    return person_foreign_keys(model) + [
        f
        for f in model._meta.get_fields()
        if f.concrete and f.many_to_many and f.related_model is Person
    ]


def person_entries_fields(model) -> list[PersonEntriesJSONField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, PersonEntriesJSONField)]


@dataclass
class Found:
    """The rows of one model that are about the person, and how they were reached."""

    model: type[models.Model]
    via: list[str]  # the foreign keys followed into the graph
    pks: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.model._meta.label

    def queryset(self):
        return self.model._default_manager.filter(pk__in=self.pks).order_by("pk")


def candidate_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label not in SKIPPED_APPS and not m._meta.proxy and m is not Person
    ]


def rows_about(person: Person) -> dict[str, Found]:
    """Every row about ``person``, by model label (the person's own row included)."""
    found: dict[str, Found] = {Person._meta.label: Found(Person, [], [person.pk])}
    models_left = candidate_models()
    for _level in range(MAX_DEPTH):
        added = False
        for model in list(models_left):
            own = person_relations(model)
            keys = own or [
                f
                for f in model._meta.get_fields()
                if f.concrete
                and (f.many_to_one or f.one_to_one)
                and f.related_model._meta.label in found
                and f.related_model is not model
            ]
            if not keys:
                continue
            condition = models.Q(pk__in=[])
            for key in keys:
                condition |= models.Q(
                    **{f"{key.name}__in": found[key.related_model._meta.label].pks}
                )
            rows = model._default_manager.filter(condition).order_by("pk").distinct()
            pks = list(rows.values_list("pk", flat=True))
            found[model._meta.label] = Found(model, [k.name for k in keys], pks)
            models_left.remove(model)
            added = True
        if not added:
            break
    for model in candidate_models():
        if fields := person_entries_fields(model):
            _add_entries(found, model, fields, person.pk)
    return found


def _add_entries(found: dict[str, Found], model, fields, person_id: int) -> None:
    """Rows of ``model`` with an entry about the person in one of ``fields`` (read in
    Python: the portable way, and these lists are per run, not per row of activity)."""
    rows = model._default_manager.values_list("pk", *(f.attname for f in fields)).order_by("pk")
    pks = [
        pk
        for pk, *values in rows.iterator(chunk_size=100)
        if any(f.entries_about(v, person_id) for f, v in zip(fields, values, strict=True))
    ]
    label = model._meta.label
    if label in found:
        found[label].pks = sorted({*found[label].pks, *pks})
        found[label].via += [f.name for f in fields]
    else:
        found[label] = Found(model, [f.name for f in fields], pks)
