"""``import_buddy_export PATH [--program TYPE] [--dry-run]``: import a Buddy System export.

PATH is a folder, a ``.zip`` or a ``.json`` export. Shows a progress bar, prints the
report and keeps it as an ImportRun. Exits 0 when the import ran to the end (rejected
rows or not); non-zero when it could not run.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from buddy.models import Program, ProgramType
from webhooks.imports.services import import_run_create, import_run_execute


class Command(BaseCommand):
    help = "Import a Buddy System export (folder, .zip or .json) and print the report."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--program", default=ProgramType.BUDDY, choices=[t.value for t in ProgramType]
        )
        parser.add_argument("--dry-run", action="store_true", help="Roll everything back.")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, path, program, dry_run, batch_size, no_progress, **options):
        if not Path(path).exists():
            # the operator's own argument, so the message names it (uploads never get here)
            raise CommandError(f"the import could not run: the export was not found: {path}")
        program_obj = Program.objects.filter(program_type=program).first()
        if program_obj is None:
            raise CommandError(f"no program of type {program}")
        run = import_run_create(program=program_obj, path=path, dry_run=dry_run)
        bars: dict[str, tqdm] = {}

        def progress(entity: str, done: int, total: int) -> None:
            if no_progress:
                return
            bar = bars.get(entity)
            if bar is None:
                bar = bars[entity] = tqdm(
                    total=total, desc=f"{entity:<16}", unit="row", file=self.stderr._out
                )
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        try:
            report = import_run_execute(run=run, progress=progress, batch_size=batch_size)
        finally:
            for bar in bars.values():
                bar.close()
        if report is None:
            raise CommandError(f"import #{run.pk} could not run: {run.error}")
        self.stdout.write(report.render())
        self.stdout.write(f"Import run #{run.pk}: {run.status}")
        if report.fatal:
            raise CommandError(f"import #{run.pk} could not run: {report.fatal}")
