"""Benchmark (issue 18): the REST API's main list and detail endpoints under load, through
gunicorn on PostgreSQL, beside a trivial DRF endpoint of the same run as the reference.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/buddy_bench \
        .venv/bin/python bench/api/run.py [--reuse] [--seconds 60] [--clients 20]

Data: bench/ui's data set (its ``seed``: bench/recompute's COPY generator, ~100,000 matches
and a year of activity in the database named by DATABASE_URL + ``_ui_api``; ``--reuse``
keeps it when it is there, so ``make bench`` generates it once for both benches;
``--database NAME`` uses a copy of it as it is, e.g. ``buddy_bench_apilist``). A
coordinator of the buddy program with a personal API token (knox) makes every request.

Server: gunicorn with ``config/gunicorn.py`` (its workers and threads: 2 processes per core,
2 threads each) and the production settings (DEBUG off) plus the bench-only URLconf
(``bench/api/settings.py``, ``bench/api/urls.py``: the product's URLs and
``/api/bench/reference/``, 3 fields of 50 companies, with the same authentication, permission,
throttle and middleware). Persistent database connections (``DJANGO_CONN_MAX_AGE=60``, the
production default), the cache (and so the token throttle) in Redis
(``BENCH_REDIS``, default db 3), the token rate raised so that the throttle counts but never
refuses, gunicorn's access log to a file.

Load: CLIENTS keep-alive connections from a raw asyncio HTTP/1.1 client (no HTTP library, so
it takes little of the CPU the server needs; its CPU per request is printed) send GETs one
after the other for SECONDS per endpoint, after a 2-second warm-up of each (and every
endpoint for 3 s once, when the server has started: its workers' first requests are
slower). Each page and detail endpoint is measured paired with the reference, ABBA: the
reference for SECONDS / 2, the
endpoint twice for SECONDS / 2, the reference again; its ratio (``× ref``) is its
requests/s over those two reference slices' (this machine's speed drifts by up to 1.5×
within a run, and a pair's slices are seconds apart); ``× run`` is the same over the mean
of every reference slice of the run.
The whole-program aggregates (the attention queue, the impact figures: seconds a request
at this size) run with AGGREGATE_CLIENTS (default 2) so that their queue does not run into
gunicorn's timeout; their target is the p99 alone. For each endpoint: requests/s, p50 / p99
latency, answers other than 200, CPU ms per request of the gunicorn processes and of their
PostgreSQL backends (``/proc``), and the targets: p99 under 100 ms and at least 0.8 × the
reference's requests/s. ``--only`` runs some endpoints (comma-separated labels); ``--json``
also writes the figures to a file.
Exit status 1 when an endpoint answered anything but 200 (a 5xx, a timeout).
"""

import argparse
import asyncio
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

P99_TARGET_MS = 100.0
RATIO_TARGET = 0.8
TIMEOUT_S = 30.0  # gunicorn's own timeout (config/gunicorn.py)
REFERENCE = "reference: 3 fields, 50 rows"
#: whole-program aggregates (seconds per request at this size, not a page of rows): measured
#: with --aggregate-clients so that 20 of them queued do not run into gunicorn's timeout
AGGREGATES = {"attention", "impact per program"}


def _load(name: str, relative: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def coordinator_token() -> str:
    """A coordinator of the buddy program and a fresh personal token of theirs. Earlier
    runs' tokens stay valid until they expire (a day), so that two runs at once do not
    revoke each other's; the expired ones are deleted."""
    from django.utils import timezone

    from buddy.access import grant_role
    from buddy.models import AccessRole, ApiToken, Program, User
    from buddy.services.tokens import token_create

    user, _ = User.objects.get_or_create(username="bench-api-coordinator")
    grant_role(
        user=user,
        role=AccessRole.COORDINATOR,
        programs=[Program.objects.get(program_type="buddy")],
    )
    ApiToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    _, token = token_create(user=user, name="bench/api", expires_days=1)
    return token


def _deep_cursor(position: int) -> str:
    """The cursor of the matches list's page after its row at ``position`` (its order)."""
    from buddy.api.pagination import cursor_for
    from buddy.models import Match

    order = ("-matched_at", "-id")
    row = Match.objects.filter(program__program_type="buddy").order_by(*order)[max(position, 0)]
    return cursor_for(row, order)


def endpoints() -> dict[str, str]:
    """Label → path: the main lists (a 50-row page, the default) and details."""
    from buddy.models import CheckIn, Match
    from enrollments.models import Enrollment

    match = Match.objects.filter(status="active").order_by("-id").first()
    matches = Match.objects.count()
    return {
        REFERENCE: "/api/bench/reference/",
        "matches": "/api/matches/",
        "matches ?status=active": "/api/matches/?status=active",
        # the last page, reached by a cursor (the list is a keyset page: no OFFSET)
        "matches, last page": f"/api/matches/?cursor={_deep_cursor(matches - 51)}",
        "match": f"/api/matches/{match.pk}/",
        "people": "/api/people/",
        "person": f"/api/people/{match.participant_id}/",
        "enrollments": "/api/enrollments/",
        "enrollment": f"/api/enrollments/{Enrollment.objects.order_by('-id').first().pk}/",
        "check-ins": "/api/check-ins/",
        "check-in": f"/api/check-ins/{CheckIn.objects.order_by('-id').first().pk}/",
        "attention": "/api/attention/?program=buddy",
        "impact per program": "/api/impact/?program=buddy&per=program",
    }


def start_gunicorn(env: dict, port: int, log) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own venv
        [gunicorn, "config.wsgi", "-c", "config/gunicorn.py", "--log-level", "warning"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        start_new_session=True,
        stdout=log,
        stderr=log,
    )
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start (see its log)")


async def _get(conn: list, port: int, head: bytes) -> tuple[int, int]:
    """One GET on a keep-alive connection (reopened when the server closed it); the status
    and the body's length."""
    if conn[0] is None:
        conn[:] = await asyncio.open_connection("127.0.0.1", port)
    reader, writer = conn
    writer.write(head)
    status_line = await reader.readline()
    if not status_line:  # closed between requests: reconnect once
        conn[:] = await asyncio.open_connection("127.0.0.1", port)
        return await _get(conn, port, head)
    length, close = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    await reader.readexactly(length)
    if close:
        writer.close()
        conn[:] = [None, None]
    return int(status_line.split()[1]), length


async def load(port: int, path: str, token: str, clients: int, seconds: float) -> dict:
    """``clients`` connections sending GET ``path`` back to back for ``seconds``."""
    head = (
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
        f"Authorization: Token {token}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    codes: dict[int, int] = {}
    sizes: list[int] = []
    deadline = time.perf_counter() + seconds

    async def client():
        conn = [None, None]
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                code, size = await asyncio.wait_for(_get(conn, port, head), TIMEOUT_S)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                code, size = 0, 0  # a timeout or a dropped connection
                if conn[1] is not None:
                    conn[1].close()
                conn[:] = [None, None]
            latencies.append(time.perf_counter() - started)
            codes[code] = codes.get(code, 0) + 1
            sizes.append(size)
        if conn[1] is not None:
            conn[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return {"latencies": latencies, "codes": codes, "elapsed": elapsed, "bytes": max(sizes)}


def backend_pids(database_url: str) -> list[int]:
    """PostgreSQL backends connected to the benchmark's database (the workers')."""
    import psycopg

    name = urlparse(database_url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return [pid for (pid,) in rows]


def measure(
    port, path, token, clients, args, server, database_url, cpu, *, seconds=None, warm=True
) -> dict:
    seconds = args.seconds if seconds is None else seconds
    if warm:
        asyncio.run(load(port, path, token, clients, min(2.0, seconds)))  # warm-up
    pids = cpu.server_pids(server)
    server_before, db_before = cpu.cpu_seconds(pids), cpu.cpu_seconds(backend_pids(database_url))
    client_before = time.process_time()
    run = asyncio.run(load(port, path, token, clients, seconds))
    client = time.process_time() - client_before
    server_cpu = cpu.cpu_spent(server_before, cpu.cpu_seconds(pids))
    db_cpu = cpu.cpu_spent(db_before, cpu.cpu_seconds(backend_pids(database_url)))
    ms = [v * 1000 for v in run["latencies"]]
    n = len(ms)
    return {
        "path": path,
        "clients": clients,
        "requests": n,
        "elapsed": run["elapsed"],
        "latencies_ms": ms,
        "rps": n / run["elapsed"],
        "p50_ms": cpu.percentile(ms, 50),
        "p99_ms": cpu.percentile(ms, 99),
        "codes": run["codes"],
        "bytes": run["bytes"],
        "server_cpu_ms": server_cpu / n * 1e3,
        "db_cpu_ms": db_cpu / n * 1e3,
        "client_cpu_ms": client / n * 1e3,
        "load": os.getloadavg()[0],
    }


def combined(slices: list[dict], percentile) -> dict:
    """One figure of several slices of the same endpoint: requests over their time, the
    percentiles of all their latencies, CPU per request weighted by their requests."""
    n = sum(r["requests"] for r in slices)
    ms = sorted(v for r in slices for v in r["latencies_ms"])
    codes: dict = {}
    for r in slices:
        for code, count in r["codes"].items():
            codes[code] = codes.get(code, 0) + count

    def per_request(key):
        return sum(r[key] * r["requests"] for r in slices) / n if n else 0.0

    return {
        **slices[0],
        "requests": n,
        "elapsed": sum(r["elapsed"] for r in slices),
        "latencies_ms": ms,
        "rps": n / sum(r["elapsed"] for r in slices),
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "codes": codes,
        "bytes": slices[-1]["bytes"],
        "server_cpu_ms": per_request("server_cpu_ms"),
        "db_cpu_ms": per_request("db_cpu_ms"),
        "client_cpu_ms": max(r["client_cpu_ms"] for r in slices),
        "load": max(r["load"] for r in slices),
    }


def table(results: dict[str, dict], reference_rps: float) -> list[str]:
    head = (
        f"{'endpoint':<30} {'C':>3} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'× ref':>6} "
        f"{'× run':>6} {'target':>7} {'non-200':>8} {'CPU ms srv/db':>14} {'KiB':>5} {'load':>5}"
    )
    lines = [head, "-" * len(head)]
    for label, r in results.items():
        bad = sum(v for code, v in r["codes"].items() if code != 200)
        run_ratio = r["rps"] / reference_rps if reference_rps else 0.0
        paired = r.get("reference_rps")
        ratio = r["rps"] / paired if paired else run_ratio
        if label.startswith("reference"):
            verdict = ""
        elif label in AGGREGATES:
            verdict = "met" if r["p99_ms"] < P99_TARGET_MS and not bad else "MISSED"
        else:
            met = r["p99_ms"] < P99_TARGET_MS and ratio >= RATIO_TARGET and not bad
            verdict = "met" if met else "MISSED"
        lines.append(
            f"{label:<30} {r['clients']:>3} {r['rps']:>7.1f} {r['p50_ms']:>8.1f} "
            f"{r['p99_ms']:>8.1f} "
            f"{ratio:>6.2f} {run_ratio:>6.2f} {verdict:>7} {bad:>8} "
            f"{r['server_cpu_ms']:>7.1f}/{r['db_cpu_ms']:<6.1f} {r['bytes'] / 1024:>5.1f} "
            f"{r['load']:>5.1f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=166_667)
    parser.add_argument("--reuse", action="store_true", help="keep bench/ui's data if present")
    parser.add_argument("--seconds", type=float, default=60.0, help="per endpoint")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--aggregate-clients", type=int, default=2, help="attention, impact")
    parser.add_argument(
        "--only",
        default="",
        help="endpoint labels, separated by commas (or by | when a "
        "label has a comma: 'matches|matches, last page')",
    )
    parser.add_argument("--json", default="", help="also write the figures to this file")
    parser.add_argument(
        "--database",
        default="",
        help="the name of a database holding bench/ui's data, used as it is (no seed, no "
        "_ui_api suffix)",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddy_bench")
    if not url.startswith("postgres"):
        sys.exit("bench/api needs DATABASE_URL=postgres://…")

    bench_ui = _load("bench_ui", "bench/ui/run.py")
    if args.database:  # a copy of the data set made beforehand: used as it is
        database_url = url.rsplit("/", 1)[0] + "/" + args.database
        os.environ["DATABASE_URL"] = database_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # a copy made before the latest migrations
        bench_ui._keep_attention_items()
    else:
        database_url = bench_ui.seed(url, people=args.people, reuse=args.reuse)
    cpu = _load("bench_webhooks", "bench/webhooks/run.py")  # its /proc CPU and percentiles
    from buddy.models import Match

    token = coordinator_token()
    paths = endpoints()
    if args.only:
        separator = "|" if "|" in args.only else ","  # "|" for a label with a comma
        wanted = {label.strip() for label in args.only.split(separator)} | {REFERENCE}
        paths = {label: path for label, path in paths.items() if label in wanted}
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.api.settings",
        # production refuses short keys (config/settings/production.py); throwaway, bench only
        "DJANGO_SECRET_KEY": "bench-only-" + "k3y-Zq8vWm2Rt7Lp4Hx9Nc6Bd1Fg5Js0Ya" * 2,
        "DJANGO_CONN_MAX_AGE": "60",  # the production default
        "DJANGO_LOG_LEVEL": "INFO",
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3"),
        "CELERY_BROKER_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3"),
        "BUDDY_API_TOKEN_RATE": "100000000/min",  # counted per request, never refused
    }
    load_before = os.getloadavg()
    print(
        f"\nmatches in the program: {Match.objects.filter(program__program_type='buddy').count()}"
        f"; {args.clients} clients × {args.seconds:g} s per endpoint; {os.cpu_count()} cores, "
        f"load average before {load_before[0]:.1f}",
        flush=True,
    )
    port = cpu.free_port()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "gunicorn.log", "w+") as log:
        server = start_gunicorn({**env, "PROMETHEUS_MULTIPROC_DIR": tmp}, port, log)
        try:
            references: list[dict] = []

            def run(label, *, seconds=None, warm=True, clients=args.clients):
                return measure(
                    port, paths[label], token, clients, args, server, database_url, cpu,
                    seconds=seconds, warm=warm,
                )  # fmt: skip

            half = args.seconds / 2
            # every endpoint once first, in each worker and thread (first connections, lazy
            # imports, per-class caches): else the first endpoints measured pay the warm-up
            for label in paths:
                clients = args.aggregate_clients if label in AGGREGATES else args.clients
                asyncio.run(load(port, paths[label], token, clients, min(3.0, args.seconds)))
            for label in paths:
                if label == REFERENCE:
                    continue
                if label in AGGREGATES:  # the p99 alone is their target: not paired
                    results[label] = run(label, clients=args.aggregate_clients)
                else:  # ABBA: the reference, the endpoint twice, the reference
                    before = run(REFERENCE, seconds=half)
                    slices = [run(label, seconds=half), run(label, seconds=half, warm=False)]
                    after = run(REFERENCE, seconds=half)
                    references += [before, after]
                    results[label] = combined(slices, cpu.percentile)
                    results[label]["reference_rps"] = combined([before, after], cpu.percentile)[
                        "rps"
                    ]
                r = results[label]
                paired = (
                    f"  (its reference {r['reference_rps']:.1f})" if "reference_rps" in r else ""
                )
                print(
                    f"  {label:<30} {r['rps']:7.1f} req/s  p50 {r['p50_ms']:7.1f}  "
                    f"p99 {r['p99_ms']:7.1f} ms  codes {r['codes']}{paired}",
                    flush=True,
                )
            results = {REFERENCE: combined(references, cpu.percentile), **results}
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.seek(0)
        errors = [line for line in log if '"level": "ERROR"' in line or "[ERROR]" in line]
    reference_rps = results[REFERENCE]["rps"]
    spread = [r["rps"] for r in references]
    print()
    print("\n".join(table(results, reference_rps)))
    print(
        f"\nreference: {reference_rps:.1f} req/s over the run ({len(spread)} slices of "
        f"{half:g} s, {min(spread):.1f}–{max(spread):.1f}); × ref: an endpoint over the two "
        f"reference slices beside it (ABBA); targets: p99 < "
        f"{P99_TARGET_MS:g} ms and ≥ {RATIO_TARGET} × the reference; load generator "
        f"{max(r['client_cpu_ms'] for r in results.values()):.2f} CPU ms per request at most; "
        f"server log errors: {len(errors)}"
    )
    if args.json:
        kept = {k: {n: v for n, v in r.items() if n != "latencies_ms"} for k, r in results.items()}
        Path(args.json).write_text(json.dumps(kept, indent=1))
    failed = [k for k, r in results.items() if set(r["codes"]) - {200}]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
