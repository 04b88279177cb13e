"""The one way an app offers a hook to the apps above it.

The apps depend on each other in one direction (docs/architecture.md): an app never imports
one above it. Where a lower app's work must include something an upper app knows (the
attention queue lists overdue concerns; a recompute is followed by the case suggestions; the
matcher never re-pairs a violation a concern found), the lower app declares a ``Registry``
and the upper app registers its function in its ``AppConfig.ready()``. Every registration is
named, so the list of what runs is inspectable (``registry.names()``) and registering twice
replaces instead of doubling.
"""

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable)


class Registry(Generic[F]):
    def __init__(self, purpose: str):
        self.purpose = purpose
        self._functions: dict[str, F] = {}

    def register(self, name: str, function: F) -> F:
        self._functions[name] = function
        return function

    def names(self) -> list[str]:
        return list(self._functions)

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._functions.values()))

    def __repr__(self) -> str:
        return f"<Registry {self.purpose}: {', '.join(self._functions) or 'empty'}>"
