"""Every state change of the buddy app: people, matches and activities.

Webhook processors, the importer, the API, the UI and the admin all call these
functions, so one rule lives in one place.
"""
