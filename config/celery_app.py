"""The Celery application. Tasks are discovered in each app's ``tasks.py``.

With no ``CELERY_BROKER_URL`` configured the settings switch Celery to eager
mode, so every task runs in-process and the app works with no services at all.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("buddy")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
