"""The program-wide recommendation run: a draft of proposals for coordinators to review."""

import json

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from buddy.models import ProgramType
from buddy.selectors import program_by_type
from core.errors import DomainError
from matching import selectors, services
from matching.engine.words import without_messages
from matching.explain_csv import write_explain_csv


class Command(BaseCommand):
    help = (
        "Propose buddies for every waiting participant (maximum total score under the rules "
        "and capacities), and say why the others stay unmatched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--program", required=True, choices=ProgramType.values)
        parser.add_argument(
            "--coverage-first",
            action="store_true",
            help="Match as many participants as possible first (default: the program setting).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Compute; store nothing.")
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--explain-csv", metavar="FILE", help="Write every eligible pair's score and parts."
        )

    def handle(self, *args, program, dry_run, explain_csv, **options):
        coverage_first = True if options["coverage_first"] else None
        try:
            prog = program_by_type(program)
            if dry_run:
                criteria = services.criteria_current(program=prog)
                result = services.run_compute(
                    program=prog, criteria=criteria, coverage_first=coverage_first
                )
                run_id = None
            else:
                run = services.run_create(program=prog, coverage_first=coverage_first)
                criteria = run.criteria
                result = services.run_execute(run_id=run.pk)
                run_id = run.pk
        except DomainError as exc:
            raise CommandError(_words(exc)) from None
        proposals = [
            {
                "participant_id": p.participant_id,
                "buddy_id": p.buddy_id,
                "score": p.score,
                "parts": p.parts,
                "reasons": p.reasons,
                "locked": True,
            }
            for p in result.locked
        ] + [{**p, "locked": False} for p in result.proposals]
        people = {p["participant_id"] for p in proposals} | {p["buddy_id"] for p in proposals}
        people |= {u["participant_id"] for u in result.unmatched}
        if explain_csv:
            people |= set(result.pool.participant_ids.tolist()) | set(
                result.pool.buddy_ids.tolist()
            )
        ids = selectors.public_ids(people)
        n_p, n_b = result.pool.shape
        figures = {
            "run": run_id,
            "dry_run": bool(dry_run),
            "criteria_version": criteria.version,
            "coverage_first": result.settings.coverage_first,
            "participants_waiting": n_p + len(result.locked),
            "buddies_available": n_b,
            "eligible_pairs": result.eligible_pairs,
            "proposals": len(proposals),
            "unmatched": len(result.unmatched),
            "total_score": result.total_score,
            "timings_ms": result.timings,
        }
        if explain_csv:
            assigned = {p["participant_id"]: p["buddy_id"] for p in result.proposals}
            with open(explain_csv, "w", newline="", encoding="utf-8") as handle:
                figures["explained_pairs"] = write_explain_csv(
                    handle,
                    pool=result.pool,
                    settings=result.settings,
                    public_ids=ids,
                    assigned=assigned,
                )
        out = {
            "figures": figures,
            "proposals": [
                {
                    "participant": ids[p["participant_id"]],
                    "buddy": ids[p["buddy_id"]],
                    "score": p["score"],
                    "parts": p["parts"],
                    "reasons": p["reasons"],
                    "locked": p["locked"],
                }
                for p in proposals
            ],
            "unmatched": [
                {"participant": ids[u["participant_id"]], **_without_id(without_messages(u))}
                for u in result.unmatched
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(out, indent=2, default=_plain))
            return
        self.stdout.write(
            f"{'Dry run' if dry_run else f'Run #{run_id}'} (criteria v{criteria.version}"
            f"{', coverage first' if figures['coverage_first'] else ''}): "
            f"{figures['proposals']} proposals for {figures['participants_waiting']} waiting "
            f"participants and {n_b} buddies with free places; total score "
            f"{figures['total_score']}; {figures['unmatched']} unmatched; "
            f"{result.timings.get('total_ms', sum(result.timings.values()))} ms"
        )
        for u in out["unmatched"]:
            self.stdout.write(f"- participant {u['participant']}: {u['text']}")
            for relaxation in u["relaxations"]:
                self.stdout.write(f"    {relaxation['text']}")


def _without_id(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "participant_id"}


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


def _words(exc: DomainError) -> str:
    details = "; ".join(f"{e.path}: {e.message}" for e in exc.errors)
    return f"{exc.message} ({details})" if details else exc.message
