"""CPU of one API request in-process (issue 18): ``time.process_time`` of requests through
Django's WSGI handler with bench/api's settings (production's, DEBUG off) and a
coordinator's token, on bench/api's data (run bench/api/run.py once first).

    DATABASE_URL=postgres://…/buddy_bench_ui_api .venv/bin/python bench/api/request_cpu.py \
        [--requests 200] [--rounds 5] [--only 'matches|people'] [--profile matches]

For each endpoint the figure is the minimum over ``--rounds`` of the mean CPU ms of
``--requests`` requests (after a warm-up): the minimum is the least disturbed by other
processes on a shared machine. PostgreSQL's own work is not in it (its statements take
< 0.1 ms here); the round trips' kernel time is. ``--profile LABEL`` prints a cProfile
(process time) of that endpoint instead."""

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api.settings"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "k3y-Zq8vWm2Rt7Lp4Hx9Nc6Bd1Fg5Js0Ya" * 2)
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
os.environ.setdefault("BUDDY_API_TOKEN_RATE", "100000000/min")
if "BENCH_REDIS" in os.environ:
    os.environ["REDIS_URL"] = os.environ["BENCH_REDIS"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="endpoint labels separated by |")
    parser.add_argument("--profile", default="", help="one endpoint's label: print a cProfile")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind: each endpoint's requests inside one libc qsort call (see below)",
    )
    args = parser.parse_args()
    import importlib.util

    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    spec = importlib.util.spec_from_file_location("bench_api_run", ROOT / "bench/api/run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    token = run.coordinator_token()
    paths = run.endpoints()
    paths.pop("attention", None)
    paths.pop("impact per program", None)
    if args.only:
        wanted = {label.strip() for label in args.only.split("|")}
        paths = {label: path for label, path in paths.items() if label in wanted}
    handler = WSGIHandler()

    def request(path: str) -> int:
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "HTTP_ACCEPT": "application/json",
            "HTTP_AUTHORIZATION": f"Token {token}",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status = []
        body = handler(environ, lambda s, h, *a: status.append(s))
        b"".join(body)
        return int(status[0].split()[0])

    if args.profile:
        import cProfile
        import pstats

        path = paths[args.profile]
        for _ in range(20):
            request(path)
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.requests):
            request(path)
        profile.disable()
        order = os.environ.get("PROFILE_SORT", "cumulative")
        pstats.Stats(profile).sort_stats(order).print_stats(60)
        return
    if args.callgrind:
        # valgrind --tool=callgrind --collect-atstart=no --toggle-collect=ffi_call
        #   --dump-after=ffi_call: one dump per endpoint (the last ones), of its --requests
        # requests alone, called through ctypes (libffi), which the requests do not use
        import ctypes

        call = ctypes.pythonapi.PyEval_CallObjectWithKeywords
        call.argtypes = [ctypes.py_object, ctypes.py_object, ctypes.c_void_p]
        call.restype = ctypes.py_object
        for label, path in paths.items():
            for _ in range(10):
                assert request(path) == 200, label

            def measured(path=path):
                for _ in range(args.requests):
                    request(path)

            call(measured, (), None)
            print(f"measured {label}", flush=True)
        return
    for label, path in paths.items():
        code = request(path)
        assert code == 200, (label, code)
        for _ in range(20):
            request(path)
        best = float("inf")
        for _ in range(args.rounds):
            started = time.process_time()
            for _ in range(args.requests):
                request(path)
            best = min(best, (time.process_time() - started) * 1000 / args.requests)
        print(f"{label:<32} {best:6.2f} ms CPU per request", flush=True)


if __name__ == "__main__":
    main()
