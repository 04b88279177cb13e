"""The README's webhook example works as written from the project folder, and fails
loudly (non-zero, nothing posted) when its event file is missing."""

import os
import re
import subprocess

import pytest
from django.db import connection

from tests.contract import ROOT
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _readme_webhook_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- section:webhooks -->", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


def _run(script: str) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env.update(
        # the test database, which the live server in this process serves
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        DJANGO_SETTINGS_MODULE="config.settings.local",
    )
    return subprocess.run(  # noqa: S603 - the README's own example
        ["bash", "-c", script],  # noqa: S607 - bash from PATH
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def readme_script(live_server, settings):
    settings.BUDDY_WEBHOOK_SECRETS = ["whsec_local_development"]  # what `make run` uses
    return _readme_webhook_example().replace("http://127.0.0.1:8000", live_server.url)


def test_the_readme_webhook_example_is_processed(readme_script):
    result = _run(readme_script)

    assert result.returncode == 0, result.stderr[-2000:]
    assert '"status": "success"' in result.stdout
    assert WebhookEvent.objects.get().status == "processed"


def test_the_readme_webhook_example_stops_when_its_file_is_missing(readme_script):
    script = readme_script.replace("events/match_created.json", "events/no_such_event.json")

    result = _run(script)

    assert result.returncode != 0
    assert "missing docs/buddy-system/events/no_such_event.json" in result.stderr
    assert not WebhookDelivery.objects.exists()
