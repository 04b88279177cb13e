"""What the program's ended matches say about the criteria: evidence and suggested weights.

Never changes the settings: save a new criteria version (admin) to use a suggestion.
"""

import json

from django.core.management.base import BaseCommand

from buddy.models import ProgramType
from buddy.selectors import program_by_type
from matching.outcomes import outcome_evidence
from matching.services import criteria_current


class Command(BaseCommand):
    help = "Which criteria predicted good outcomes and early endings; suggested weights."

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, choices=ProgramType.values)
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args, program, **options):
        prog = program_by_type(program)
        current = criteria_current(program=prog)
        evidence = outcome_evidence(program=prog, criteria=current.criteria)
        evidence["criteria_version"] = current.version
        if options["json"]:
            self.stdout.write(json.dumps(evidence, indent=2))
            return
        self.stdout.write(
            f"{evidence['matches']} ended matches: {evidence['good']} good, "
            f"{evidence['ended_early']} ended early (criteria v{current.version}; "
            "suggestions are not applied)"
        )
        for c in evidence["criteria"]:
            if c["effect"] is None:
                self.stdout.write(
                    f"- {c['label']}: {c['evidence']} ({c['met']} met, {c['not_met']} not)"
                )
                continue
            self.stdout.write(
                f"- {c['label']}: good {c['good_rate_met']:.0%} when met ({c['met']}) vs "
                f"{c['good_rate_not_met']:.0%} ({c['not_met']}); ended early "
                f"{c['early_rate_met']:.0%} vs {c['early_rate_not_met']:.0%}; effect "
                f"{c['effect'] * 100:+.0f} points; weight {c['weight']:g} → suggested "
                f"{c['suggested_weight']}"
            )
        if evidence["not_measurable"]:
            self.stdout.write(
                "Not measurable from ended matches: " + ", ".join(evidence["not_measurable"])
            )
