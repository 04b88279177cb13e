"""The Celery application. Tasks are discovered in each app's ``tasks.py``.

With no ``CELERY_BROKER_URL`` configured the settings switch Celery to eager
mode, so every task runs in-process and the app works with no services at all.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("buddy")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect
def _in_memory_transport_without_a_broker(sender, **kwargs):
    """Eager mode still builds a producer; an in-memory transport keeps it from looking
    for a broker that is not there (and logging about it)."""
    if not sender.conf.broker_url:
        sender.conf.broker_url = "memory://"


app.autodiscover_tasks()
