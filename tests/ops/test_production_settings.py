"""Production settings: a real secret key or no start, a clean deploy check with the https
settings, health-checked persistent connections, workers on production settings, and an
``.env.example`` that names every variable read."""

import re
import subprocess
import sys

import pytest

from tests.contract import ROOT
from tests.test_settings import STRONG_KEY

HTTPS = {
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
}


def _python(code: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", **env}  # nothing from this shell (DATABASE_URL, ...)
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *(["-c", code] if code else []), *args],
        capture_output=True, text=True, env=clean, cwd=ROOT, check=False, timeout=120,
    )  # fmt: skip


def _production(code: str, **env) -> subprocess.CompletedProcess:
    return _python(
        f"import django; django.setup(); from django.conf import settings; {code}",
        {"DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
    )


@pytest.mark.parametrize(
    "key",
    [
        "change-me",  # the README's placeholder of old
        "django-insecure-" + "a1b2c3d4e5" * 5,
        "short-but-random-Kx81",
        "x" * 60,  # long, but one character
    ],
)
def test_production_refuses_a_weak_or_example_secret_key(key):
    result = _production("print(settings.DEBUG)", DJANGO_SECRET_KEY=key)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_starts_with_a_generated_secret_key():
    result = _production("print(settings.DEBUG)", DJANGO_SECRET_KEY=STRONG_KEY)

    assert (result.returncode, result.stdout.strip()) == (0, "False")


def test_the_deploy_check_is_clean_with_the_https_settings():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": STRONG_KEY}

    result = _python("", {**env, **HTTPS}, "manage.py", "check", "--deploy")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stderr


def test_without_https_settings_the_deploy_check_warns_only_of_what_the_readme_explains():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": STRONG_KEY}

    result = _python("", env, "manage.py", "check", "--deploy")

    warned = set(re.findall(r"\((security\.W\d+)\)", result.stderr + result.stdout))
    assert warned == {"security.W004", "security.W008"}
    readme = (ROOT / "README.md").read_text()
    assert all(code in readme for code in warned)


@pytest.mark.parametrize("module", ["local", "production"])
def test_persistent_connections_are_health_checked(module):
    result = _python(
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        {
            "DJANGO_SETTINGS_MODULE": f"config.settings.{module}",
            "DJANGO_SECRET_KEY": STRONG_KEY,
            "DJANGO_CONN_MAX_AGE": "600",
        },
    )

    assert result.stdout.split() == ["600", "True"], result.stderr


def test_production_reuses_database_connections_for_a_minute_unless_told_otherwise():
    result = _python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['CONN_MAX_AGE'])",
        {"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": STRONG_KEY},
    )

    assert result.stdout.split() == ["60"], result.stderr


def test_the_token_throttle_lets_a_client_run_20_requests_at_once():
    result = _python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['token'])",
        {"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": STRONG_KEY},
    )

    assert result.stdout.split() == ["6000/min"], result.stderr


def test_production_serves_hashed_compressed_static_files():
    result = _production(
        "print(settings.STORAGES['staticfiles']['BACKEND']); "
        "print('whitenoise.middleware.WhiteNoiseMiddleware' in settings.MIDDLEWARE)",
        DJANGO_SECRET_KEY=STRONG_KEY,
    )

    assert result.stdout.split() == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "True",
    ], result.stderr


def test_the_celery_app_alone_loads_production_settings_not_local_ones():
    code = "from config.celery_app import app; from django.conf import settings; "
    code += "print(settings.SETTINGS_MODULE, settings.DEBUG)"

    started = _python(code, {"DJANGO_SECRET_KEY": STRONG_KEY})
    without_key = _python(code, {})

    assert started.stdout.split() == ["config.settings.production", "False"], started.stderr
    assert without_key.returncode != 0
    assert "DJANGO_SECRET_KEY" in without_key.stderr


def test_manage_py_still_defaults_to_local_settings_for_make_run():
    result = _python(
        "",
        {},
        "manage.py",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
    )

    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr


def _variables_read() -> set[str]:
    """Every NAME in env.<kind>("NAME", ...) / env("NAME") of the settings and gunicorn."""
    files = [*(ROOT / "config" / "settings").glob("*.py"), ROOT / "config" / "gunicorn.py"]
    pattern = re.compile(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"")
    return {name for path in files for name in pattern.findall(path.read_text())}


def test_env_example_lists_every_variable_the_settings_read():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    read = _variables_read()

    assert len(read) > 20  # the pattern finds them
    assert sorted(read - listed) == []


def test_gunicorn_reads_its_variables_with_django_environ():
    source = (ROOT / "config" / "gunicorn.py").read_text()

    assert "os.environ" not in source
    assert {"GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS"} <= _variables_read()
