"""The best five buddies for one participant, with scores and reasons."""

import json

from django.core.management.base import BaseCommand, CommandError

from buddy.models import ProgramType, Role
from buddy.selectors import program_by_type
from core.errors import DomainError
from matching import selectors, services
from matching.engine.words import without_messages


class Command(BaseCommand):
    help = "Top 5 buddies for a participant (by id or Buddy System id), with the reasons."

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, choices=ProgramType.values)
        parser.add_argument("--participant", required=True, help="Our id or Buddy System id.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, program, participant, **options):
        try:
            prog = program_by_type(program)
            person = selectors.person_by_reference(participant, role=Role.PARTICIPANT)
            result = services.recommend_for_participant(program=prog, participant=person)
        except DomainError as exc:
            raise CommandError(_words(exc)) from None
        ids = selectors.public_ids([person.pk, *(c["buddy_id"] for c in result["candidates"])])
        out = {
            "participant": ids[person.pk],
            "criteria_version": result["criteria_version"],
            "candidates": [
                {
                    "buddy": ids[c["buddy_id"]],
                    "score": c["score"],
                    "parts": c["parts"],
                    "reasons": c["reasons"],
                }
                for c in result["candidates"]
            ],
        }
        if "why_not" in result:
            out["why_not"] = without_messages(result["why_not"])
        if options["json"]:
            self.stdout.write(json.dumps(out, indent=2))
            return
        self.stdout.write(
            f"Participant {out['participant']} (criteria v{out['criteria_version']}):"
        )
        for rank, c in enumerate(out["candidates"], 1):
            self.stdout.write(
                f"{rank}. buddy {c['buddy']}  {c['score']:5.1f}  {'; '.join(c['reasons'])}"
            )
        if "why_not" in out:
            self.stdout.write(f"No candidates: {out['why_not']['text']}")
            for relaxation in out["why_not"]["relaxations"]:
                self.stdout.write(f"  - {relaxation['text']}")


def _words(exc: DomainError) -> str:
    details = "; ".join(f"{e.path}: {e.message}" for e in exc.errors)
    return f"{exc.message} ({details})" if details else exc.message
