"""Coordinator screens of the subscribers of our events and their deliveries.

Thin over ``webhooks.selectors`` (what is listed) and ``webhooks.outbound`` (every change:
the same services as the API, the admin and ``add_subscriber``, which check the URL and the
event types). Who: superusers and coordinators holding the model's permission as the API
asks for it (``buddy.access.holds_permission``); a subscriber receives every program's
events, so these pages are not scoped by program. A secret is shown once, in the answer to
the POST that made it (never stored in the session or a message), with ``no-store``.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buddy.access import permission_required
from core.errors import DomainError, ValidationFailed, said
from core.outbox import EVENT_TYPES
from webhooks import outbound, selectors
from webhooks.models import OutboundDelivery, OutboundStatus, WebhookEndpoint

PAGE_SIZE = 50

VIEW = "webhooks.view_webhookendpoint"
ADD = "webhooks.add_webhookendpoint"
CHANGE = "webhooks.change_webhookendpoint"
VIEW_DELIVERIES = "webhooks.view_outbounddelivery"
RESEND = "webhooks.change_outbounddelivery"

#: The services' error paths → the form's fields.
_FIELDS = {"url": "url", "eventTypes": "event_types", "description": "description"}


class SubscriberForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Event types"),
        choices=[(t, t) for t in EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every event type."),
    )

    def refused(self, error: DomainError) -> None:
        """Show the service's refusal next to the field it names (else above the form)."""
        if not isinstance(error, ValidationFailed) or not error.errors:
            self.add_error(None, said(error.message))
            return
        for e in error.errors:
            self.add_error(_FIELDS.get(e.path), said(e.message))


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All")), *OutboundStatus.choices],
        required=False,
    )


def _endpoint(pk: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects.defer("secrets"), pk=pk)


def _secret_page(request, endpoint: WebhookEndpoint, secret: str, *, created: bool):
    context = {"endpoint": endpoint, "secret": secret, "created": created}
    return render(request, "webhooks/subscriber_secret.html", context)


@permission_required(VIEW)
@require_GET
def subscribers(request):
    return render(
        request,
        "webhooks/subscribers.html",
        {"subscribers": selectors.subscribers_for_list()},
    )


@permission_required(ADD)
@require_http_methods(["GET", "POST"])
@never_cache
def subscriber_add(request):
    if request.method == "GET":
        return render(request, "webhooks/subscriber_form.html", {"form": SubscriberForm()})
    form = SubscriberForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = outbound.endpoint_create(
                url=data["url"], description=data["description"], event_types=data["event_types"]
            )
        except DomainError as error:
            form.refused(error)
        else:
            return _secret_page(request, endpoint, secret, created=True)
    return render(request, "webhooks/subscriber_form.html", {"form": form}, status=400)


@permission_required(CHANGE)
@require_http_methods(["GET", "POST"])
def subscriber_edit(request, pk):
    endpoint = _endpoint(pk)
    if request.method == "GET":
        form = SubscriberForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "event_types": endpoint.event_types,
            }
        )
        return render(
            request, "webhooks/subscriber_form.html", {"form": form, "endpoint": endpoint}
        )
    form = SubscriberForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            outbound.endpoint_update(
                endpoint=endpoint,
                url=data["url"],
                description=data["description"],
                event_types=data["event_types"],
            )
        except DomainError as error:
            form.refused(error)
        else:
            messages.success(request, _("Subscriber #%(id)s saved.") % {"id": endpoint.pk})
            return redirect("webhooks:subscribers")
    context = {"form": form, "endpoint": endpoint}
    return render(request, "webhooks/subscriber_form.html", context, status=400)


@permission_required(CHANGE)
@require_POST
def subscriber_enable(request, pk):
    outbound.endpoint_set_active(endpoint=_endpoint(pk), active=True)
    messages.success(
        request, _("Subscriber #%(id)s enabled: its pending deliveries go out.") % {"id": pk}
    )
    return redirect("webhooks:subscribers")


@permission_required(CHANGE)
@require_POST
def subscriber_disable(request, pk):
    outbound.endpoint_set_active(endpoint=_endpoint(pk), active=False)
    messages.success(request, _("Subscriber #%(id)s disabled.") % {"id": pk})
    return redirect("webhooks:subscribers")


@permission_required(CHANGE)
@require_POST
@never_cache
def subscriber_rotate_secret(request, pk):
    endpoint = _endpoint(pk)
    secret = outbound.endpoint_rotate_secret(endpoint=endpoint)
    return _secret_page(request, endpoint, secret, created=False)


@permission_required(CHANGE)
@require_POST
def subscriber_drop_old_secrets(request, pk):
    outbound.endpoint_drop_old_secrets(endpoint=_endpoint(pk))
    messages.success(
        request,
        _("Subscriber #%(id)s: deliveries are signed with its newest secret only.") % {"id": pk},
    )
    return redirect("webhooks:subscribers")


@permission_required(VIEW_DELIVERIES)
@require_GET
def subscriber_deliveries(request, pk):
    endpoint = _endpoint(pk)
    form = DeliveryFilterForm(request.GET)
    context = {"endpoint": endpoint, "form": form}
    if not form.is_valid():
        return render(request, "webhooks/subscriber_deliveries.html", context, status=400)
    deliveries = selectors.subscriber_deliveries(
        endpoint=endpoint, status=form.cleaned_data["status"]
    )
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, deliveries=page.object_list)
    return render(request, "webhooks/subscriber_deliveries.html", context)


@permission_required(RESEND)
@require_POST
def delivery_resend(request, pk):
    delivery = get_object_or_404(OutboundDelivery.objects.only("id", "endpoint"), pk=pk)
    try:
        outbound.delivery_resend(delivery=delivery)
    except DomainError as error:
        messages.error(request, said(error.message))
    else:
        messages.success(request, _("Delivery #%(id)s queued to be sent again.") % {"id": pk})
    url = reverse("webhooks:subscriber-deliveries", args=[delivery.endpoint_id])
    status = request.POST.get("status", "")
    return redirect(f"{url}?status={status}" if status in OutboundStatus.values else url)
