"""Cross-app notifications sent by the buddy services after their transaction commits.

``references_arrived``: people or matches that other rows may have been waiting
for now exist. Sent with ``person_ids`` and ``match_ids`` (Buddy System UUIDs as
strings). The webhooks app listens to re-process events parked for them, so the
buddy app does not need to know about the event store.
"""

from django.dispatch import Signal

references_arrived = Signal()
