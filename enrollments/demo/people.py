"""The demo's companies, participants and buddies, each with a Buddy System id."""

from datetime import timedelta

from django.conf import settings

from buddy.factories import CITIES, INTERESTS, BuddyFactory, CompanyFactory, ParticipantFactory
from buddy.models import Company, ExternalId, Person, Role
from buddy.models.people import email_digest

from .common import Demo, demo_uuid, existing, weighted
from .content import BUDDY_EXTRA_LANGUAGES, PARTICIPANT_ORIGINS


def companies(demo: Demo) -> list[Company]:
    """About one company per twelve buddies (at least three), German names."""
    fake = demo.fake("de_DE", "companies")
    names = [fake.unique.company() for _ in range(max(3, demo.n_buddies // 12))]
    fake.unique.clear()
    missing = set(names) - existing(Company, "name", names)
    Company.objects.bulk_create([CompanyFactory.build(name=n) for n in names if n in missing])
    demo.created("Company", len(missing))
    by_name = {c.name: c for c in Company.objects.filter(name__in=names)}
    return [by_name[n] for n in names]


def participants(demo: Demo) -> list[Person]:
    return _people(demo, Role.PARTICIPANT, lambda i: _participant(demo, i), demo.n_participants)


def buddies(demo: Demo, companies: list[Company]) -> list[Person]:
    return _people(demo, Role.BUDDY, lambda i: _buddy(demo, i, companies), demo.n_buddies)


def _participant(demo: Demo, i: int) -> Person:
    """A newcomer: a first language by origin (a second one sometimes), English or German
    often, one place."""
    rng = demo.rng("participant", i)
    language, locale = weighted(rng, [((lang, loc), w) for lang, w, loc in PARTICIPANT_ORIGINS])
    fake = demo.fake(locale, "participant", i)
    languages = [language]
    if language == "uk" and rng.random() < 0.6:
        languages.append("ru")
    languages += [lang for lang in ("en", "de") if rng.random() < 0.4]
    return ParticipantFactory.build(
        first_name=fake.first_name(),
        last_name=fake.last_name(),
        email=f"participant.{i:04d}@demo.example.org",
        joined_at=demo.now - timedelta(days=rng.randint(30, 400), minutes=rng.randint(0, 900)),
        languages=languages,
        interests=rng.sample(INTERESTS, rng.randint(1, 4)),
        location=rng.choice(CITIES),
        capacity=1,
    )


def _buddy(demo: Demo, i: int, companies: list[Company]) -> Person:
    """A local: German and a few more languages, mostly with a company, up to three places."""
    rng = demo.rng("buddy", i)
    fake = demo.fake("de_DE" if rng.random() < 0.8 else "en_GB", "buddy", i)
    extra = rng.sample(BUDDY_EXTRA_LANGUAGES, rng.choice([0, 1, 1, 2]))
    return BuddyFactory.build(
        first_name=fake.first_name(),
        last_name=fake.last_name(),
        email=f"buddy.{i:04d}@demo.example.org",
        joined_at=demo.now - timedelta(days=rng.randint(60, 420), minutes=rng.randint(0, 900)),
        languages=list(dict.fromkeys(["de", *extra])),
        interests=rng.sample(INTERESTS, rng.randint(2, 5)),
        location=rng.choice(CITIES),
        company=rng.choice(companies) if rng.random() < 0.85 else None,
        capacity=weighted(rng, [(1, 60), (2, 30), (3, 10)]),
    )


def _people(demo: Demo, role: str, build, count: int) -> list[Person]:
    """The demo people of one role, in plan order; missing ones are created in bulk."""
    keys = [str(demo_uuid("person", role, i)) for i in range(count)]
    found = dict(
        ExternalId.objects.filter(
            provider=settings.BUDDY_PROVIDER, external_id__in=keys
        ).values_list("external_id", "person_id")
    )
    new = []
    for i, key in enumerate(keys):
        if key not in found:
            person = build(i)
            person.email_hash = email_digest(person.email)  # bulk_create skips save()
            new.append((key, person))
    Person.objects.bulk_create([p for _k, p in new])
    ExternalId.objects.bulk_create(
        ExternalId(provider=settings.BUDDY_PROVIDER, external_id=k, person=p) for k, p in new
    )
    demo.created("Person", len(new))
    demo.created("ExternalId", len(new))
    found.update({k: p.pk for k, p in new})
    by_pk = Person.objects.in_bulk([found[k] for k in keys])
    return [by_pk[found[k]] for k in keys]
