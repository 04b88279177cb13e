"""gunicorn's access log without a line for each webhook delivery (``config/gunicorn.py``).

The receiver writes its own JSON line per delivery (``webhooks.views``: delivery and event
ids, outcome, status, duration), so gunicorn's access line for it says nothing more; it
cost ~90 µs of CPU per delivery on the loaded 2-core machine (~35 µs on a quiet core,
bench/README.md, webhooks), against ~2.5 µs for the skip. Every other request keeps its
access line.
"""

from gunicorn.glogging import Logger

#: ``"/" + webhooks.views.RECEIVER_ROUTE`` (not imported: this runs before Django is set
#: up; ``tests/ops/test_gunicorn_access_log.py`` keeps the two equal).
RECEIVER_PATH = "/webhooks/buddy-events"


class AccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") == RECEIVER_PATH:
            return
        super().access(resp, req, environ, request_time)
