"""Admin for logins, companies, people and their external ids."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q

from buddy.access_log import AccessLoggedAdmin
from buddy.admin.common import AuditReadOnlyMixin
from buddy.models import ApiToken, Company, ExternalId, Person, Role, RoleGrant, User
from buddy.models.people import email_digest, normalize_email
from buddy.schemas import UserRecord, validate_fields
from buddy.services.people import external_ids_linked, people_delete
from core.errors import ValidationFailed

#: Autocomplete fields that only make sense for one role: (model_name, field_name) → role.
ROLE_OF_FIELD = {
    ("match", "participant"): Role.PARTICIPANT,
    ("match", "buddy"): Role.BUDDY,
}


class RoleGrantInline(admin.TabularInline):
    """A login's scope (``buddy.access``): its programs as coordinator or viewer, or its
    company. The role's group is added with the first grant (``manage.py grant_role`` does
    both; here, also tick the group under Permissions)."""

    model = RoleGrant
    extra = 0
    fields = ("role", "program", "company", "granted_at")
    readonly_fields = ("granted_at",)


class ApiTokenInline(admin.TabularInline):
    """Personal API tokens: digests only; delete a row to revoke the token."""

    model = ApiToken
    extra = 0
    fields = ("name", "token_key", "created", "last_used_at", "expiry")
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False  # tokens are made by their owner (page) or manage.py create_token


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "is_staff", "is_superuser", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    inlines = [RoleGrantInline, ApiTokenInline]


@admin.register(Company)
class CompanyAdmin(AuditReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "people_count", "created_at")
    search_fields = ("name",)
    readonly_fields = ("people_count",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(people_count=Count("people"))

    @admin.display(description="people", ordering="people_count")
    def people_count(self, obj):
        return obj.people_count


class UserRecordForm(forms.ModelForm):
    """The columns a Buddy System user record sets are validated by its schema's rules
    (``UserRecord``) when changed here: the same rules and messages as the webhooks' and
    imports' (a form field's own parsing, e.g. of a date, runs first)."""

    #: Form field → the user record's field that sets that column.
    record_fields: dict[str, str] = {}

    def clean(self):
        cleaned = super().clean()
        fields = {f: r for f, r in self.record_fields.items() if f in self.changed_data}
        values = {r: cleaned[f] for f, r in fields.items() if f in cleaned}
        try:
            valid = validate_fields(UserRecord, values)
        except ValidationFailed as exc:
            by_record = {r: f for f, r in fields.items()}
            for error in exc.errors:
                field = by_record.get(error.path.split(".")[0])
                self.add_error(field, error.message if field else f"{error.path}: {error.message}")
        else:
            for field, name in fields.items():
                if field in self.fields and name in valid:
                    cleaned[field] = self.clean_value(field, valid[name])
        return cleaned

    def clean_value(self, field, value):
        return value


class PersonForm(UserRecordForm):
    record_fields = {
        "role": "role",
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "joined_at": "joined_at",
        "languages": "language_preference",
        "interests": "interests",
        "location": "location",
    }


class ExternalIdForm(UserRecordForm):
    """A Buddy System id is a user record's ``id`` (a UUID), stored in its canonical form
    (the form every look-up by id uses)."""

    record_fields = {"external_id": "id"}

    def clean(self):
        provider = self.cleaned_data.get("provider") if hasattr(self, "cleaned_data") else None
        if provider != settings.BUDDY_PROVIDER:
            return forms.ModelForm.clean(self)
        return super().clean()

    def clean_value(self, field, value):
        return str(value)


class ExternalIdInline(admin.TabularInline):
    model = ExternalId
    form = ExternalIdForm
    extra = 0
    fields = ("provider", "external_id", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Person)
class PersonAdmin(AccessLoggedAdmin, AuditReadOnlyMixin, admin.ModelAdmin):
    """People: staff may see names here; ``__str__`` (history, autocomplete) never shows them.

    Search takes an id (``42``), a Buddy System id (a UUID), an email (compared by its
    hash, any case) or a name.
    """

    list_display = (
        "id",
        "role",
        "name",
        "company",
        "location",
        "joined_at",
        "language_list",
        "buddy_system_id",
    )
    list_display_links = ("id", "role")
    list_filter = ("role", "location", "company")
    list_select_related = ("company",)
    search_fields = ("=external_ids__external_id", "first_name", "last_name")
    search_help_text = "An id, a Buddy System id, an email address or a name."
    autocomplete_fields = ("company",)
    readonly_fields = ("email_hash",)
    form = PersonForm
    date_hierarchy = "joined_at"
    inlines = (ExternalIdInline,)
    fieldsets = (
        (None, {"fields": ("role", "first_name", "last_name", "email", "email_hash")}),
        ("Program", {"fields": ("joined_at", "company", "capacity")}),
        ("Matching", {"fields": ("languages", "interests", "location")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("external_ids")

    # Deleting queues the recompute of the other people their skill sessions named
    # (``people_delete``).
    def delete_model(self, request, obj):
        people_delete(rows=Person.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        people_delete(rows=queryset)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is ExternalId:
            external_ids_linked(
                [*formset.new_objects, *(link for link, _ in formset.changed_objects)]
            )

    def get_search_results(self, request, queryset, search_term):
        queryset = self._only_role_of_autocomplete_field(request, queryset)
        term = search_term.strip().lstrip("#")
        if "@" in term:
            return queryset.filter(email_hash=email_digest(normalize_email(term))), False
        if term.isdigit():
            return queryset.filter(Q(pk=int(term)) | Q(external_ids__external_id=term)), True
        return super().get_search_results(request, queryset, search_term)

    @staticmethod
    def _only_role_of_autocomplete_field(request, queryset):
        key = (request.GET.get("model_name"), request.GET.get("field_name"))
        if request.path.endswith("/autocomplete/") and key in ROLE_OF_FIELD:
            return queryset.filter(role=ROLE_OF_FIELD[key])
        return queryset

    @admin.display(description="name", ordering="last_name")
    def name(self, obj):
        return f"{obj.first_name} {obj.last_name}".strip() or "—"

    @admin.display(description="languages")
    def language_list(self, obj):
        return ", ".join(obj.languages or [])

    @admin.display(description="Buddy System id")
    def buddy_system_id(self, obj):
        # Uses the prefetched rows: no query per line.
        ids = [
            e.external_id for e in obj.external_ids.all() if e.provider == settings.BUDDY_PROVIDER
        ]
        return ids[0] if ids else "—"


@admin.register(ExternalId)
class ExternalIdAdmin(admin.ModelAdmin):
    form = ExternalIdForm
    list_display = ("external_id", "provider", "person", "created_at")
    list_filter = ("provider",)
    list_select_related = ("person",)
    search_fields = ("=external_id",)
    autocomplete_fields = ("person",)
    readonly_fields = ("created_at",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        external_ids_linked([obj])

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lstrip("#")
        if term.isdigit():  # an id here may be a person's id or a numeric external id
            return queryset.filter(Q(person_id=int(term)) | Q(external_id=term)), False
        return super().get_search_results(request, queryset, search_term)
