"""The weekly coordinator digest: each coordinator's attention queue (their programs) by email;
superusers with an email get every program's."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from buddy.access import access_for
from buddy.models import AccessRole
from enrollments.attention import attention_queue, attention_summary

logger = logging.getLogger(__name__)

#: Items listed per program in the email; the rest are counted with a link to the page.
DIGEST_TOP = 20


def attention_digest_send(*, now=None) -> int:
    """Render and send the digest to every active coordinator and superuser with an email,
    each with the programs they coordinate; return how many emails were sent. Programs with
    nothing to do are left out, and so are recipients with nothing to do."""
    now = now or timezone.now()
    recipients = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=AccessRole.COORDINATOR))
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    blocks: dict[int, dict | None] = {}  # program id → its block (None: nothing to do)
    sent = 0
    for user in recipients:
        access = access_for(user)
        if not access.changes_programs:
            continue  # a coordinator without a program coordinates nothing
        mine = []
        for program in access.programs().order_by("program_type"):
            if program.pk not in blocks:
                blocks[program.pk] = _block(program, now)
            if blocks[program.pk] is not None:
                mine.append(blocks[program.pk])
        if mine:
            sent += _send(user.email, mine, now)
    logger.info("enrollments.digest_sent", extra={"emails": sent, "programs": len(blocks)})
    return sent


def _block(program, now) -> dict | None:
    items = attention_queue(program=program, now=now)
    if not items:
        return None
    return {
        "program": program,
        "items": items,
        "summary": attention_summary(items),
        "top": items[:DIGEST_TOP],
        "more": max(0, len(items) - DIGEST_TOP),
    }


def _send(address: str, blocks: list[dict], now) -> int:
    """One email per recipient: no coordinator sees the others' addresses."""
    context = {
        "programs": blocks,
        "generated_at": now,
        "site_url": getattr(settings, "SITE_URL", ""),
        "attention_url": reverse("enrollments:attention"),
    }
    subject = f"Needs attention: {sum(len(b['items']) for b in blocks)} items"
    text = render_to_string("enrollments/email/attention_digest.txt", context)
    html = render_to_string("enrollments/email/attention_digest.html", context)
    message = EmailMultiAlternatives(subject, text, to=[address])
    message.attach_alternative(html, "text/html")
    return message.send()
