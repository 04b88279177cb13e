"""The match plan: each participant's story (``content.MATCH_PLANS``) and the buddy they
meet, before anything is written."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from buddy.models import DataSource, MatchStatus, Person

from .common import Demo, between, demo_uuid, weighted
from .content import END_REASONS, MATCH_PLANS

S = MatchStatus


@dataclass
class PlannedMatch:
    key: uuid.UUID | None  # the Buddy System id; None for a coordinator proposal
    participant: int  # index into the plan's participants
    buddy: int
    status: str
    source: str
    matched_at: datetime | None = None
    inactive_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str = ""


def plan_matches(demo: Demo, participants: list[Person], buddies: list[Person]):
    """The planned matches, participant by participant (the first ones get every story)."""
    planner = _Planner(demo, participants, buddies)
    for i, participant in enumerate(participants):
        planner.story(i, participant)
    return planner.plans


class _Planner:
    def __init__(self, demo: Demo, participants: list[Person], buddies: list[Person]):
        self.demo, self.participants, self.buddies = demo, participants, buddies
        self.rng = demo.rng("matches", len(participants), len(buddies))
        self.load = [0] * len(buddies)  # open matches per buddy
        self.plans: list[PlannedMatch] = []

    def story(self, i: int, p: Person) -> None:
        # A participant's story depends on them only, so a bigger demo keeps it.
        own = self.demo.rng("story", i)
        kind = MATCH_PLANS[i][0] if i < len(MATCH_PLANS) else weighted(own, MATCH_PLANS)
        now = self.demo.now
        latest = now - timedelta(days=3)
        first = min(p.joined_at + timedelta(days=own.randint(3, 30)), latest)
        if kind == "active":
            self.reported(i, 0, S.ACTIVE, first)
        elif kind == "inactive":
            self.reported(i, 0, S.INACTIVE, first, inactive_at=between(own, first, latest))
        elif kind in ("ended", "rematched"):
            end = between(own, first + timedelta(days=1), now - timedelta(days=1))
            end = max(end, first)
            self.reported(i, 0, S.ENDED, first, end, weighted(own, END_REASONS))
            if kind == "rematched":
                again = min(end + timedelta(days=own.randint(5, 30)), latest)
                self.reported(i, 1, S.ACTIVE, max(again, end))
        elif kind in ("proposed", "accepted", "declined"):
            b = self.pick_buddy(p)
            if kind != "declined":
                self.load[b] += 1
            self.plans.append(PlannedMatch(None, i, b, kind, DataSource.COORDINATOR))
        # "waiting": no match

    def pick_buddy(self, p: Person) -> int:
        """A buddy with a free place (any buddy when none is free), sharing a language if any."""
        buddies = self.buddies
        free = [b for b in range(len(buddies)) if self.load[b] < buddies[b].capacity]
        pool = free or list(range(len(buddies)))
        sharing = [b for b in pool if set(buddies[b].languages) & set(p.languages)]
        return self.rng.choice(sharing or pool)

    def reported(self, i, k, status, start, end=None, reason="", inactive_at=None) -> None:
        """The participant's ``k``-th match as the Buddy System reports it (webhook/import)."""
        b = self.pick_buddy(self.participants[i])
        if status != S.ENDED:
            self.load[b] += 1
        self.plans.append(
            PlannedMatch(
                key=demo_uuid("match", i, k),
                participant=i,
                buddy=b,
                status=status,
                source=weighted(self.rng, [(DataSource.WEBHOOK, 70), (DataSource.IMPORT, 30)]),
                matched_at=start,
                inactive_at=inactive_at,
                ended_at=end,
                end_reason=reason,
            )
        )
