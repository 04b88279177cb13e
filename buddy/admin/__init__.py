"""Django admin of the buddy app, for data fixes by staff.

Split by topic like ``buddy.models``. Every status change of a match goes through
``buddy.services.matches``; audit columns and the audit trail are read-only.
"""

from django.contrib import admin

from buddy.admin import activities, matches, people

admin.site.site_header = "Buddy program manager"
admin.site.site_title = "Buddy program manager"
admin.site.index_title = "Data administration"

__all__ = ["activities", "matches", "people"]
