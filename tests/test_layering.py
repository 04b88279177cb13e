"""The apps depend on each other in one direction only (docs/architecture.md): an app imports
the apps before it in ``LAYERS``, never one after it, at module level or inside a function.
What a lower app needs of a higher one it gets through a ``core.registry.Registry`` the
higher app fills in its ``AppConfig.ready()``, or by a Celery task's registered name."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "buddy", "enrollments", "matching", "concerns", "webhooks", "privacy"]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _upward_imports(app: str) -> list[str]:
    rank = LAYERS.index(app)
    wrong = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Django's own dependency graph orders migrations
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top in LAYERS and LAYERS.index(top) > rank:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return wrong


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    assert _upward_imports(app) == []


def test_the_layers_are_the_installed_apps_in_their_order(settings):
    ours = [app for app in settings.INSTALLED_APPS if app in LAYERS]
    assert ours == LAYERS
