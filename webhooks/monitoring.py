"""Who may read the monitoring endpoints (``/metrics``, the detailed ``/health/ready``).

A Prometheus server (or an operator's probe) is let in by a bearer token
(``BUDDY_METRICS_TOKEN``) or by its address (``BUDDY_METRICS_ALLOWED_NETWORKS``, CIDR);
superusers' sessions too. Everybody else gets 403 on ``/metrics`` and the short public
readiness answer on ``/health/ready``.
"""

import hmac
import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest


@cache
def _networks(cidrs: tuple[str, ...]):
    return [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip()]


def scraper_allowed(request: HttpRequest) -> bool:
    token = settings.BUDDY_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    offered = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if token and offered and hmac.compare_digest(offered.encode(), token.encode()):
        return True
    networks = _networks(tuple(settings.BUDDY_METRICS_ALLOWED_NETWORKS))
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            address = None
        if address is not None and any(address in network for network in networks):
            return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_superuser)
