"""Sections the apps above ``buddy`` add to the match and person pages (the match's health
from ``enrollments``, its cases from ``concerns``), registered in their ``AppConfig.ready()``
(``core.registry``: buddy never imports them). A panel is ``panel(request, subject, access)``
returning its rendered HTML (``render_to_string``, already escaped) or "" to show nothing."""

from collections.abc import Callable

from core.registry import Registry

MATCH_PANELS: Registry[Callable] = Registry("sections of the match page")
PERSON_PANELS: Registry[Callable] = Registry("sections of the person page")


def panels(registry: Registry, request, subject, access) -> list[str]:
    """The rendered sections of every registered panel, in registration order."""
    return [html for html in (panel(request, subject, access) for panel in registry) if html]
