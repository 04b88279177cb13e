"""gunicorn's access log (config/gunicorn.py): a line for every request except a webhook
delivery, which the receiver logs itself (config/gunicorn_logging.py; issue 23)."""

import runpy
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.util import load_class

from config.gunicorn_logging import RECEIVER_PATH, AccessLogger
from tests.contract import ROOT
from webhooks.views import RECEIVER_ROUTE


def _access_lines(tmp_path, path: str) -> list[str]:
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    logger = AccessLogger(cfg)
    response = SimpleNamespace(status="200 OK", sent=80, response_length=80, headers=[])
    request = SimpleNamespace(headers=[], method="POST", path=path, query="", version=(1, 1))
    environ = {
        "REQUEST_METHOD": "POST", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
    }  # fmt: skip
    logger.access(response, request, environ, timedelta(milliseconds=5))
    logger.close_on_exec()
    for handler in logger.access_log.handlers:
        handler.flush()
    return (tmp_path / "access.log").read_text().splitlines()


def test_a_webhook_delivery_gets_no_access_line(tmp_path):
    assert _access_lines(tmp_path, RECEIVER_PATH) == []


def test_every_other_request_keeps_its_access_line(tmp_path):
    lines = _access_lines(tmp_path, "/health")

    assert len(lines) == 1
    assert '"POST /health HTTP/1.1" 200' in lines[0]


def test_the_skipped_path_is_the_receivers_url():
    assert RECEIVER_PATH == "/" + RECEIVER_ROUTE


def test_the_web_process_uses_this_logger():
    settings = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))

    assert settings["accesslog"] == "-"
    assert load_class(settings["logger_class"]) is AccessLogger
