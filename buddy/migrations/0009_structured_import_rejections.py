"""Import rejections become structured: ``{file, line, path, code, message}`` per row.

Runs stored before hold ``file:line: reason`` lines; they are kept as rows with their
place parsed where it can be and no code (they predate the codes)."""

import re

from django.db import migrations, models

_CSV = re.compile(r"^(?P<file>[\w.\-]+):(?P<line>\d+): (?P<message>.*)$", re.DOTALL)
_JSON = re.compile(
    r"^(?P<file>\w+)\[(?P<index>\d+)\](?:\.(?P<path>[^:]+))?: (?P<message>.*)$", re.DOTALL
)


def _structured(line):
    if not isinstance(line, str):
        return line
    found = _CSV.match(line)
    if found:
        return {
            "file": found["file"],
            "line": int(found["line"]),
            "path": "",
            "code": "",
            "message": found["message"],
        }
    found = _JSON.match(line)
    if found:
        return {
            "file": found["file"],
            "line": None,
            "index": int(found["index"]),
            "path": found["path"] or "",
            "code": "",
            "message": found["message"],
        }
    return {"file": "", "line": None, "path": "", "code": "", "message": line}


def _text(row):
    if not isinstance(row, dict):
        return row
    if row.get("index") is not None:
        where = f"{row['file']}[{row['index']}]" + (f".{row['path']}" if row.get("path") else "")
    elif row.get("line") is not None:
        where = f"{row['file']}:{row['line']}" + (f": {row['path']}" if row.get("path") else "")
    else:
        where = row.get("file", "")
    return f"{where}: {row.get('message', '')}" if where else row.get("message", "")


def _convert(convert):
    def run(apps, schema_editor):
        ImportRun = apps.get_model("buddy", "ImportRun")
        changed = []
        for run_ in ImportRun.objects.exclude(rejections=[]).only("pk", "rejections"):
            rows = [convert(row) for row in run_.rejections]
            if rows != run_.rejections:
                run_.rejections = rows
                changed.append(run_)
        ImportRun.objects.bulk_update(changed, ["rejections"], batch_size=500)

    return run


class Migration(migrations.Migration):
    dependencies = [("buddy", "0008_match_acceptance_and_end_note")]

    operations = [
        migrations.AlterField(
            model_name="importrun",
            name="rejections",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='One {"file", "line", "path", "code", "message"} per rejected row '
                '("index" instead of "line" in the JSON form).',
            ),
        ),
        migrations.RunPython(_convert(_structured), _convert(_text)),
    ]
