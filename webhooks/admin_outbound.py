"""Admin for the subscribers of our events and their deliveries (imported by ``webhooks.admin``).

Endpoints are created and changed through ``webhooks.outbound`` (URL guard, event types,
secret); a secret is shown once, in the message after creation or rotation, never on a
page. Deliveries are read-only, with every attempt; the action re-sends them.
"""

from django import forms
from django.contrib import admin, messages

from core.errors import DomainError
from core.outbox import EVENT_TYPES
from webhooks import outbound
from webhooks.models import OutboundAttempt, OutboundDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["id", "url", "active", "disabled_reason", "failing_since", "created_at"]
    list_filter = ["active", "disabled_reason"]
    readonly_fields = ["active", "failing_since", "disabled_reason", "disabled_at", "created_at"]
    actions = ["rotate_secret", "enable", "disable"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                outbound.endpoint_update(
                    endpoint=obj,
                    url=data["url"],
                    description=data["description"],
                    event_types=data["event_types"],
                )
                return
            endpoint, secret = outbound.endpoint_create(
                url=data["url"], description=data["description"], event_types=data["event_types"]
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = endpoint.pk
        self.message_user(
            request, f"Subscriber #{endpoint.pk} secret (shown once): {secret}", messages.WARNING
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        original_clean = form.clean

        def clean(form_self):
            cleaned = original_clean(form_self)
            if "url" in cleaned:
                refusal = outbound.url_refusal(cleaned["url"])
                if refusal:
                    form_self.add_error("url", refusal)
            return cleaned

        form.clean = clean
        return form

    @admin.action(description="Rotate the secret (the old one keeps signing until dropped)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = outbound.endpoint_rotate_secret(endpoint=endpoint)
            self.message_user(
                request,
                f"Subscriber #{endpoint.pk} new secret (shown once): {secret}",
                messages.WARNING,
            )

    @admin.action(description="Enable (pending deliveries go out)")
    def enable(self, request, queryset):
        for endpoint in queryset:
            outbound.endpoint_set_active(endpoint=endpoint, active=True)

    @admin.action(description="Disable")
    def disable(self, request, queryset):
        for endpoint in queryset:
            outbound.endpoint_set_active(endpoint=endpoint, active=False)


class AttemptInline(admin.TabularInline):
    model = OutboundAttempt
    fields = ["at", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "due_at",
        "last_status_code",
    ]
    list_filter = ["status", "event__type"]
    list_select_related = ["event", "endpoint"]
    fields = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "due_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "succeeded_at",
    ]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["resend"]

    @admin.display(description="type")
    def event_type(self, obj):
        return obj.event.type

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Re-send now")
    def resend(self, request, queryset):
        sent = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                outbound.delivery_resend(delivery=delivery)
                sent += 1
            except DomainError as exc:
                self.message_user(request, f"#{delivery.pk}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{sent} deliveries queued to be sent again.")
