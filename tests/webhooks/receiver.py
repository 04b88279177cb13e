"""A real HTTP receiver on 127.0.0.1 for the outbound delivery tests and the benchmark.

Every request is verified with the ``standardwebhooks`` package (as a consumer would);
``behaviour`` decides the answer: a status code, extra headers, a delay.
"""

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict
    body: bytes
    verified: bool
    payload: dict | None


@dataclass
class Receiver:
    secret: str = ""
    status: int = 200
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def by_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for r in self.requests:
                if r.verified:
                    key = r.headers["webhook-id"]
                    counts[key] = counts.get(key, 0) + 1
        return counts

    def start(self, port: int = 0) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                payload, verified = None, False
                if receiver.secret:
                    with contextlib.suppress(WebhookVerificationError):
                        payload, verified = Webhook(receiver.secret).verify(body, headers), True
                with receiver.lock:
                    receiver.requests.append(Received(headers, body, verified, payload))
                    status, extra, delay = receiver.status, dict(receiver.headers), receiver.delay
                if delay:
                    time.sleep(delay)
                answer = json.dumps({"ok": status < 300}).encode()
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
