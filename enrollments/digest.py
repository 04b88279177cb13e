"""The weekly coordinator digest: the attention queue by email to staff users."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from enrollments.attention import attention_queue, attention_summary
from enrollments.models import Program

logger = logging.getLogger(__name__)

#: Items listed per program in the email; the rest are counted with a link to the page.
DIGEST_TOP = 20


def attention_digest_send(*, now=None) -> int:
    """Render and send the digest to every active staff user with an email; return how
    many emails were sent. Programs with nothing to do are left out."""
    now = now or timezone.now()
    recipients = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    blocks = []
    for program in Program.objects.all():
        items = attention_queue(program=program, now=now)
        if items:
            blocks.append(
                {
                    "program": program,
                    "items": items,
                    "summary": attention_summary(items),
                    "top": items[:DIGEST_TOP],
                    "more": max(0, len(items) - DIGEST_TOP),
                }
            )
    context = {
        "programs": blocks,
        "generated_at": now,
        "site_url": getattr(settings, "SITE_URL", ""),
        "attention_url": reverse("enrollments:attention"),
    }
    subject = f"Needs attention: {sum(len(b['items']) for b in blocks)} items"
    text = render_to_string("enrollments/email/attention_digest.txt", context)
    html = render_to_string("enrollments/email/attention_digest.html", context)
    sent = 0
    for address in recipients:  # one email each: no coordinator sees the others' addresses
        message = EmailMultiAlternatives(subject, text, to=[address])
        message.attach_alternative(html, "text/html")
        sent += message.send()
    logger.info("enrollments.digest_sent", extra={"emails": sent, "programs": len(blocks)})
    return sent
