"""Settings defaults: the app runs with no services, production is safe by default."""

import importlib
import subprocess
import sys

import environ
import pytest

from config.settings import base

#: What production accepts: 50+ characters, many different ones.
STRONG_KEY = "k3Jx9-pQ2vLw8ZrT5nYb1HcM7dFgA4sE6uWiO0yXlNqKjVhBtRm"


def run_settings(module: str, env: dict) -> subprocess.CompletedProcess:
    code = (
        f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']={module!r}; "
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE, settings.CELERY_TASK_ALWAYS_EAGER, "
        "settings.DATABASES['default']['ENGINE'], len(settings.BUDDY_WEBHOOK_SECRETS))"
    )
    clean = {"PATH": "/usr/bin:/bin", **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean, check=False
    )


def test_the_default_database_is_a_sqlite_file_in_the_project():
    assert "sqlite" in run_settings("config.settings.local", {}).stdout


def test_without_a_broker_tasks_run_in_process():
    assert run_settings("config.settings.local", {}).stdout.split()[2] == "True"


def test_with_a_broker_tasks_go_to_it():
    out = run_settings("config.settings.local", {"CELERY_BROKER_URL": "redis://127.0.0.1:6379/9"})
    assert out.stdout.split()[2] == "False"


def test_production_refuses_to_start_without_a_secret_key():
    result = run_settings("config.settings.production", {})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_is_not_debug_and_has_secure_cookies():
    out = run_settings(
        "config.settings.production", {"DJANGO_SECRET_KEY": STRONG_KEY}
    ).stdout.split()
    assert out[:2] == ["False", "True"]


def test_production_accepts_no_webhook_without_a_configured_secret():
    out = run_settings(
        "config.settings.production", {"DJANGO_SECRET_KEY": STRONG_KEY}
    ).stdout.split()
    assert out[4] == "0"


def test_several_webhook_secrets_are_read_comma_separated(monkeypatch):
    monkeypatch.setenv("BUDDY_WEBHOOK_SECRET", "whsec_new,whsec_old")
    assert environ.Env().list("BUDDY_WEBHOOK_SECRET") == ["whsec_new", "whsec_old"]


@pytest.mark.parametrize("raw,expected", [("False", False), ("0", False), ("true", True)])
def test_debug_flag_is_parsed_as_a_boolean(monkeypatch, raw, expected):
    monkeypatch.setenv("DJANGO_DEBUG", raw)
    assert importlib.reload(base).DEBUG is expected
    monkeypatch.delenv("DJANGO_DEBUG")
    importlib.reload(base)
