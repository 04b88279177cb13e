"""Split a py-spy profile of the live web workers into the parts of a delivery (issue 23).

    py-spy record --gil --subprocesses --pid <server master> --rate 50 --duration 25 \
        --format raw -o workers.raw          # while bench/webhooks/run.py sends its events
    .venv/bin/python bench/webhooks/profile_split.py workers.raw

``--gil`` keeps only the samples of the thread holding the interpreter (what costs Python
CPU); without it py-spy also counts threads that wait for a core or for PostgreSQL, which on
a loaded machine is most of them. Each sample goes to the first part whose frames it
holds: the HTTP server outside Django, Django's request cycle outside the view, the view's
steps (signature, validation and JSON, storing, processing, logging) and inside storing and
processing psycopg, the ORM and the rest. Then the leaf functions with the most samples.
Samples of a worker still importing Django (its boot) are counted apart.
"""

import collections
import re
import sys

VIEW = "buddy_events (webhooks/views.py"


def part(stack: str) -> str:
    if "load_wsgi" in stack or "import_app" in stack:
        return "boot (importing the app)"
    if "WSGIHandler.__call__" not in stack:
        return "HTTP server outside Django (accept, parse, write, poll)"
    if VIEW not in stack:
        return "Django request cycle outside the view"
    inner = stack.split(VIEW, 1)[1]
    for step, name in (("event_process", "processing"), ("event_store", "storing")):
        if step in inner:
            if "celery" in inner or "kombu" in inner:
                return f"{name}: Celery publish (the recompute drain request, after commit)"
            if "psycopg" in inner:
                return f"{name}: psycopg"
            if "django/db/models" in inner:
                return f"{name}: ORM"
            if "django/db/" in inner:
                return f"{name}: Django DB layer (cursor wrapper, atomic)"
            return f"{name}: other"
    if "Logger." in inner or "logging/" in inner:
        return "view: logging"
    if "validate_event" in inner or "parse_json" in inner:
        return "view: validation and JSON"
    if "verify (webhooks/signature" in inner:
        return "view: signature"
    if "delivery_mark_repeat" in inner:
        return "view: repeat check"
    return "view: other (answer, metrics)"


def main(path: str) -> None:
    parts: collections.Counter = collections.Counter()
    leaves: collections.Counter = collections.Counter()
    with open(path) as raw:
        for line in raw:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = [f for f in stack.split(";") if not f.startswith("process ")]
            name = part(stack)
            parts[name] += int(count)
            if not name.startswith("boot"):
                leaf = re.sub(r":\d+\)", ")", frames[-1]) if frames else "(native, no frame)"
                leaves[leaf] += int(count)
    boot = sum(v for k, v in parts.items() if k.startswith("boot"))
    total = sum(parts.values()) - boot
    print(f"{total} samples handling requests ({boot} more in a worker's boot)")
    for name, count in parts.most_common():
        if not name.startswith("boot"):
            print(f"  {count / total * 100:5.1f} %  {name}")
    print("leaf functions:")
    for name, count in leaves.most_common(15):
        print(f"  {count / total * 100:5.1f} %  {name}")


if __name__ == "__main__":
    main(sys.argv[1])
