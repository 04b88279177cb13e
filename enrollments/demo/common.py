"""What every part of the demo shares: the run's context, its keys and random draws, and
the writes that skip the rows a previous run stored."""

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import faker
from django.db.models import Model

from buddy.models import Program

NAMESPACE = uuid.UUID("6f1c3a52-7d0e-4b8e-9a43-0c5e2b7d9f11")
CHUNK = 2000


def demo_uuid(*parts) -> uuid.UUID:
    """The stable key of a demo row, from its position in the plan (``"match", 12, 0``)."""
    return uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts))


def weighted(rng: random.Random, options):
    """One value of ``options`` (``(value, weight, ...)`` tuples), drawn by weight."""
    values, weights = zip(*[(o[0], o[1]) for o in options], strict=True)
    return rng.choices(values, weights=weights)[0]


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max(int((end - start).total_seconds()), 0)
    return start + timedelta(seconds=rng.randint(0, seconds))


@dataclass
class DemoReport:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    password: str | None = None  # None: an existing login kept its password
    logins: tuple[tuple[str, str], ...] = ()  # (username, what it is for)


@dataclass
class Demo:
    """One run: its size, seed and clock, the program it fills and what it created."""

    n_participants: int
    n_buddies: int
    seed: int
    now: datetime
    program: Program
    report: DemoReport = field(default_factory=DemoReport)
    fakers: dict[str, faker.Faker] = field(default_factory=dict)

    def rng(self, *parts) -> random.Random:
        """A random stream of its own for each part of the plan (``"participant", 12``)."""
        return random.Random("/".join(str(p) for p in (self.seed, *parts)))

    def fake(self, locale: str, *parts) -> faker.Faker:
        """The locale's Faker, re-seeded for this part of the plan."""
        if locale not in self.fakers:
            self.fakers[locale] = faker.Faker(locale)
        fake = self.fakers[locale]
        fake.seed_instance("/".join(str(p) for p in (self.seed, *parts)))
        return fake

    def created(self, model_name: str, count: int) -> None:
        self.report.created[model_name] += count


def chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def existing(model: type[Model], field_name: str, keys: Iterable) -> set:
    """The subset of ``keys`` already stored in ``model.field_name`` (chunked ``IN``)."""
    found = set()
    for chunk in chunks(list(keys)):
        found.update(
            model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True)
        )
    return found


def save_missing(demo: Demo, model: type[Model], rows: list, key: str = "external_id") -> None:
    """Store the rows whose ``key`` is not stored yet, in bulk."""
    stored = existing(model, key, [getattr(r, key) for r in rows])
    new = [r for r in rows if getattr(r, key) not in stored]
    model.objects.bulk_create(new, batch_size=500)
    demo.created(model.__name__, len(new))


def save_missing_pairs(demo: Demo, model: type[Model], rows: list, first: str, second: str):
    """Rows keyed by two columns (attendance per event and person, milestone per person)."""
    stored = set()
    for chunk in chunks(sorted({getattr(r, second) for r in rows})):
        stored.update(model.objects.filter(**{f"{second}__in": chunk}).values_list(first, second))
    new = [r for r in rows if (getattr(r, first), getattr(r, second)) not in stored]
    model.objects.bulk_create(new, batch_size=500)
    demo.created(model.__name__, len(new))
