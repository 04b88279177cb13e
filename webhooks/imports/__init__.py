"""Import of Buddy System exports (``docs/buddy-system/EXPORT.md``).

``readers`` turns the three forms (folder, ``.zip``, one JSON file) into streams
of raw rows; ``pipeline`` validates them with the shared schemas and writes them
in batches (``writers``); ``report`` collects counts, warnings and rejections;
``services`` keeps each import as an ``ImportRun``. The management command
``import_buddy_export``, the Celery task and the upload API all go through
``services.import_run_execute``.
"""
