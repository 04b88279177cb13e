"""Fuzz the live API with schemathesis, then list matches with a client generated from it.

``.ci/run`` runs it after ``make test``: ``.venv/bin/python tests/api/fuzz/run.py``.

1. A database of its own on the PostgreSQL server of ``DATABASE_URL`` (``<name>_fuzz``,
   made anew), migrated and seeded with the demo data (``seed_demo``, a small program); a
   coordinator token and a viewer token (``create_token``).
2. gunicorn with the production settings on a free port (tasks in-process, the token
   throttle raised so that the fuzzer is not answered 429 throughout).
3. schemathesis against the schema the server serves (``/api/schema/``), once per token,
   a bounded number of examples per operation, with the checks ``not_a_server_error``,
   ``status_code_conformance``, ``content_type_conformance`` and
   ``response_schema_conformance``: any failure fails the run.
4. openapi-python-client generates a client from the same schema into a temporary folder
   (nothing is committed); the client is imported and lists matches with the coordinator's
   token, following ``next`` over up to 3 pages, which must return rows, each once.

Options: ``--max-examples N`` (default 8 per operation and phase), ``--seed N``, ``--keep``
(leave the database), ``--only coordinator|viewer``, ``--no-client``, ``--phases`` (the
coordinator's: examples, coverage, fuzzing) and ``--viewer-phases`` (examples, fuzzing: the
coverage phase's malformed values meet the same validation whoever sends them).
Exit status 0 when everything passed.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.ops.services import free_port, wait_for_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
#: The generated client's package (openapi-python-client names it after the schema's title).
CLIENT_PACKAGE = "buddy_program_manager_api_client"


def _database_urls() -> tuple[str, str, str]:
    """(the fuzz database's URL, the server's maintenance URL, the fuzz database's name)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("tests/api/fuzz/run.py needs DATABASE_URL naming a PostgreSQL database.")
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'buddy'}_fuzz"
    return (
        urlunsplit(parts._replace(path=f"/{name}")),
        urlunsplit(parts._replace(path="/postgres")),
        name,
    )


def _recreate_database(maintenance_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(maintenance_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """The app under gunicorn with the production settings, on its own database."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder, self.port = folder, free_port()
        self.log = folder / "server.log"
        self.env = {
            "PATH": f"{VENV_BIN}:/usr/bin:/bin:/usr/sbin:/sbin",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url,
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "BUDDY_IMPORT_UPLOAD_DIR": str(folder / "imports"),
            "BUDDY_API_TOKEN_RATE": "1000000/min",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": "2",
            "GUNICORN_TIMEOUT": "60",
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own venv's python
            [str(VENV_BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            sys.exit(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
                [str(VENV_BIN / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.py"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, up=True, seconds=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the workers load the app after the bind
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        sys.exit(f"the server did not answer /health:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)


def _schema(server: Server, token: str, folder: Path) -> Path:
    response = httpx.get(
        f"{server.url}/api/schema/?format=json",
        headers={"Authorization": f"Token {token}"},
        timeout=60,
    )
    response.raise_for_status()
    schema = response.json()
    path = folder / "schema.json"
    path.write_text(json.dumps(schema))
    operations = sum(
        1
        for item in schema["paths"].values()
        for m in item
        if m in ("get", "post", "patch", "put", "delete")
    )
    print(f"fuzz: live schema: {operations} operations")
    return path


def _schemathesis(server: Server, schema: Path, role: str, token: str, args) -> bool:
    argv = [
        str(VENV_BIN / "st"),
        "run",
        str(schema),
        "--url",
        server.url,
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        args.phases if role == "coordinator" else args.viewer_phases,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        # One worker: with two threads, Hypothesis's lambda-source parsing (ast) raced on
        # Python 3.11 ("AST constructor recursion depth mismatch", a runtime error of the
        # tool itself, not of the API) and failed a CI run.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
    ]
    print(f"fuzz: schemathesis as the {role}", flush=True)
    started = time.monotonic()
    result = subprocess.run(argv, cwd=server.folder, env={**os.environ, "NO_COLOR": "1"})  # noqa: S603
    print(f"fuzz: {role}: exit {result.returncode} in {time.monotonic() - started:.0f} s")
    return result.returncode == 0


CLIENT_CHECK = textwrap.dedent(
    """
    import sys
    from urllib.parse import parse_qs, urlsplit
    from {package} import AuthenticatedClient
    from {package}.api.matches import api_matches_list
    from {package}.types import UNSET

    client = AuthenticatedClient(base_url=sys.argv[1], token=sys.argv[2], prefix="Token")
    ids, cursor, pages = [], UNSET, 0
    while pages < 3:  # the list is cursor-paginated: follow ``next``
        page = api_matches_list.sync(client=client, limit=5, cursor=cursor)
        assert page is not None, "no page"
        assert 0 < len(page.results) <= 5, page.results
        ids += [match.id for match in page.results]
        first, pages = first if pages else page.results[0], pages + 1
        if not page.next_:  # (the generator names it next_: next is a builtin)
            break
        cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]
    assert len(ids) == len(set(ids)), ids
    print(f"client: {{len(ids)}} matches over {{pages}} pages, the first #{{first.id}} "
          f"{{first.status.value}}")
    """
)


def _generated_client(server: Server, schema: Path, token: str) -> bool:
    out = server.folder / "client"
    generate = subprocess.run(  # noqa: S603 - our own venv's generator
        [
            str(VENV_BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(out),
            "--meta",
            "none",
            "--overwrite",
        ],
        cwd=server.folder,
        env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"},  # its ruff
        capture_output=True,
        text=True,
    )
    print(generate.stdout[-2000:], generate.stderr[-2000:], sep="\n")
    if generate.returncode:
        print("client: openapi-python-client failed")
        return False
    check = server.folder / "client_check.py"
    check.write_text(CLIENT_CHECK.format(package=CLIENT_PACKAGE))
    # --meta none writes the package's modules into the output folder itself
    package_root = server.folder / "pkg"
    package_root.mkdir(exist_ok=True)
    (package_root / CLIENT_PACKAGE).symlink_to(out, target_is_directory=True)
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(check), server.url, token],
        env={**os.environ, "PYTHONPATH": str(package_root)},
    )
    return result.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=8)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    # The coverage phase (every boundary and malformed value of every parameter: ~5,000 of
    # the coordinator's ~5,800 cases, two thirds of the run) answers the viewer through the
    # same validation as the coordinator; the viewer's own answers (403 on writes, masked
    # rows) are what its examples and fuzzing check.
    parser.add_argument("--viewer-phases", default="examples,fuzzing")
    parser.add_argument("--only", choices=["coordinator", "viewer"])
    parser.add_argument("--no-client", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    database_url, maintenance_url, name = _database_urls()
    _recreate_database(maintenance_url, name)
    ok = True
    with tempfile.TemporaryDirectory(prefix="buddy-fuzz-") as tmp:
        server = Server(Path(tmp), database_url)
        try:
            started = time.monotonic()
            server.manage("migrate", "--noinput", "-v", "0")
            password = secrets.token_urlsafe(16)
            server.manage(
                "seed_demo", "--participants", "40", "--buddies", "30", "--password", password
            )
            tokens = {
                role: server.manage("create_token", role, "--name", "fuzz").strip().splitlines()[-1]
                for role in ("coordinator", "viewer")
            }
            print(f"fuzz: database {name} seeded in {time.monotonic() - started:.0f} s")
            server.start()
            schema = _schema(server, tokens["coordinator"], Path(tmp))
            for role, token in tokens.items():
                if args.only in (None, role):
                    ok = _schemathesis(server, schema, role, token, args) and ok
            if not args.no_client:
                client_ok = _generated_client(server, schema, tokens["coordinator"])
                print(f"client: {'ok' if client_ok else 'FAILED'}")
                ok = ok and client_ok
        finally:
            server.stop()
            if not ok:
                print(server.log.read_text()[-5000:])
    if not args.keep:
        _drop_database(maintenance_url, name)
    print(f"fuzz: {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
