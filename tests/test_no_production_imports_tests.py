"""Production code never imports the tests: ``seed_demo`` and the apps run without ``tests/``.

Every Python module outside ``tests/`` is parsed (not imported) and any ``import tests``
or ``from tests…`` fails the test, naming the module and the line. ``bench/`` is
development tooling, not production: it may reuse the tests' helpers (the outbox
benchmark runs the tests' HTTP receiver).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_PRODUCTION = {"tests", "bench", ".venv", ".git", "node_modules", "static"}


def production_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] not in NOT_PRODUCTION:
            yield relative


def imports_of_tests(source: str) -> list[int]:
    """The line numbers of the imports of the ``tests`` package in ``source``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [node.module or ""]
        else:
            continue
        if any(m == "tests" or m.startswith("tests.") for m in modules):
            lines.append(node.lineno)
    return lines


def test_the_check_finds_an_import_of_the_tests():
    source = "import os\nfrom tests.factories import UserFactory\nimport tests\n"
    assert imports_of_tests(source) == [2, 3]
    assert imports_of_tests("from testsuite import x\nfrom .tests import y\n") == []


def test_no_module_outside_tests_imports_the_tests():
    modules = list(production_modules())
    assert any(
        m.with_suffix("").parts[:2] == ("enrollments", "demo") for m in modules
    )  # the demo is read
    offenders = [
        f"{module}:{line}"
        for module in modules
        for line in imports_of_tests((ROOT / module).read_text())
    ]
    assert offenders == []
