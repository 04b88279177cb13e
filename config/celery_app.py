"""The Celery application. Tasks are discovered in each app's ``tasks.py``.

With no ``CELERY_BROKER_URL`` configured the settings switch Celery to eager
mode, so every task runs in-process and the app works with no services at all.

Settings: a worker or beat is a production process (``make run`` has neither: its tasks
run in-process under ``manage.py``'s local settings), so without ``DJANGO_SETTINGS_MODULE``
they load ``config.settings.production``, which refuses to start without a real secret
key instead of falling back to debug settings. ``config/supervisord.conf`` (``make
serve``) also names the production settings for every process.
"""

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("buddy")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect
def _in_memory_transport_without_a_broker(sender, **kwargs):
    """Eager mode still builds a producer; an in-memory transport keeps it from looking
    for a broker that is not there (and logging about it)."""
    if not sender.conf.broker_url:
        # the namespaced key: Celery reads it before the plain ``broker_url``
        sender.conf["CELERY_BROKER_URL"] = "memory://"


@setup_logging.connect
def _log_as_the_settings_say(**kwargs):
    """Worker and beat log through ``settings.LOGGING`` like the web processes: JSON lines
    whose exceptions keep no text (``config/log_format.py``), instead of Celery's own
    plain-text handler with full tracebacks."""
    from django.conf import settings

    dictConfig(settings.LOGGING)


app.autodiscover_tasks()
