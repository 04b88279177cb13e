"""gunicorn settings of the web process (``config/supervisord.conf``: ``-c config/gunicorn.py``).

Two processes per core with two threads each: while one thread waits on PostgreSQL the
other has the process's interpreter; more threads per process only queue for it
(bench/README.md, webhooks). Keep-alive connections: the Buddy System sends in bursts.
Variables are read with django-environ like the settings (``.env`` too; ``.env.example``).
"""

import os
from pathlib import Path

import environ

env = environ.Env()
environ.Env.read_env(Path(__file__).resolve().parent.parent / ".env", overwrite=False)

bind = env.str("GUNICORN_BIND", default="127.0.0.1:8000")
workers = env.int("GUNICORN_WORKERS", default=2 * (os.cpu_count() or 1))
worker_class = "gthread"
threads = env.int("GUNICORN_THREADS", default=2)
keepalive = 30
# a request stuck longer than this (a lost database) is ended and its worker replaced
timeout = env.int("GUNICORN_TIMEOUT", default=30)
accesslog = "-"
# ... except for the webhook receiver, which logs each delivery itself (config/gunicorn_logging.py)
logger_class = "config.gunicorn_logging.AccessLogger"
