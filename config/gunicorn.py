"""gunicorn settings of the web process (``Procfile``: ``-c config/gunicorn.py``).

Two processes per core with two threads each: while one thread waits on PostgreSQL the
other has the process's interpreter; more threads per process only queue for it
(bench/README.md, webhooks). Keep-alive connections: the Buddy System sends in bursts.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
keepalive = 30
accesslog = "-"
