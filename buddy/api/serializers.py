"""API representations. Serializers shape data; every change goes through a service."""

import datetime
import operator

from django.db import models
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from buddy.access import access_for
from buddy.api.fields import ProgramField, ProgramTypeField, TimestampField
from buddy.models import (
    CheckIn,
    Company,
    EndReason,
    EventAttendance,
    ExternalId,
    Feedback,
    InformalEvent,
    Match,
    MatchTransition,
    MilestoneAchievement,
    Person,
    SkillSession,
)
from buddy.models.matches import END_NOTE_MAX_LENGTH
from core.pii import mask, mask_fields, personal_keys


class LeanListSerializer(serializers.ListSerializer):
    """A read-only page of rows rendered with every field resolved once per page: how each
    key is read and converted (a foreign key's id read from its column, ``int``/``str``/
    ``bool`` for the plain scalar fields, the field's own ``to_representation`` otherwise)
    and which keys are masked (``core.pii``: decided once for the login, applied to each row
    with ``mask``). The JSON is what the row serializer gives (tests compare them); a row
    serializer with its own ``to_representation`` is rendered by it, row by row."""

    def to_representation(self, data):
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        child = self.child
        shape = _shape(type(child))
        if shape is None:
            return super().to_representation(rows)
        fields, sources = shape
        readers = [(field.field_name, *_reader(field, child)) for field in fields]
        masked_keys = ()
        request = self.context.get("request")
        if request is not None and access_for(request.user).masked:
            keys = [field.field_name for field in fields]  # the keys a row has
            masked_keys = personal_keys(child.Meta.model, keys, sources=sources)
        out = []
        for row in rows:
            item = {}
            for key, read, convert in readers:
                value = read(row)
                item[key] = None if value is None else convert(value)
            for key in masked_keys:
                item[key] = mask(item[key])
            out.append(item)
        return out


#: field classes whose representation depends on nothing but their declaration (not on the
#: request or the serializer's context): a template instance's fields serve every page
_STATELESS = {
    serializers.IntegerField,
    serializers.BigIntegerField,  # (its own representation: a string if told to)
    serializers.FloatField,
    serializers.CharField,
    serializers.SlugField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.DateTimeField,
    serializers.DateField,
    serializers.UUIDField,
    serializers.JSONField,
    serializers.PrimaryKeyRelatedField,
    serializers.SlugRelatedField,
    serializers.StringRelatedField,
    serializers.SerializerMethodField,  # its method is looked up on the page's serializer
    ProgramTypeField,
}
_SHAPES: dict[type, tuple | None] = {}


def _shape(serializer_class):
    """(readable fields, representation key → source) of a row serializer, built once per
    class (DRF builds them again for every page: half the cost of a lean page); None when
    the class renders differently (its own ``to_representation`` or ``get_fields``, a
    dotted source: DRF's null rules, a field that may depend on the request)."""
    if serializer_class not in _SHAPES:
        template = serializer_class()
        fields = list(template._readable_fields)
        lean = (
            serializer_class.to_representation is MaskedModelSerializer.to_representation
            and serializer_class.get_fields is serializers.ModelSerializer.get_fields
            and all(len(f.source_attrs) <= 1 for f in fields)
            and all(type(f) in _STATELESS or type(f) in _DATETIMES for f in fields)
        )
        sources = {name: field.source for name, field in template.fields.items()}
        _SHAPES[serializer_class] = (fields, sources) if lean else None
    return _SHAPES[serializer_class]


#: serializer fields whose representation of a model value is a plain conversion
_SCALARS = {
    serializers.IntegerField: int,
    serializers.CharField: str,
    serializers.BooleanField: bool,
}


def _reader(field, serializer):
    """(read the value from a row, convert a value that is not None) for one field, the
    same as DRF's ``get_attribute`` then ``to_representation``."""
    if isinstance(field, serializers.SerializerMethodField):
        return _same, getattr(serializer, field.method_name)
    if field.source == "*":
        return _same, field.to_representation
    (name,) = field.source_attrs
    read = operator.attrgetter(_attribute(field, serializer.Meta.model) or name)
    if type(field) in _DATETIMES:
        return read, _iso_datetime(field)
    if isinstance(field, serializers.PrimaryKeyRelatedField) and field.pk_field is None:
        return read, _same
    if type(field) in _CHOICES:
        return read, _choice(field)
    return read, _SCALARS.get(type(field), field.to_representation)


#: choice fields whose representation is DRF's ``ChoiceField.to_representation``
_CHOICES = {serializers.ChoiceField, ProgramTypeField}


def _choice(field):
    """DRF's ``ChoiceField.to_representation`` of a value that is not None: a plain string
    (a column's value) looked up directly (``''`` is ``''`` either way: a choice maps to
    itself), anything else (an enum member) by the field."""
    get, represent = field.choice_strings_to_values.get, field.to_representation

    def convert(value):
        return get(value, value) if value.__class__ is str else represent(value)

    return convert


def _attribute(field, model) -> str | None:
    """The one attribute of a row a lean page's field reads (a foreign key's id column for
    a related id, no join), None for a field that reads the whole row (a method, ``*``) or
    a related row."""
    if isinstance(field, serializers.SerializerMethodField) or field.source == "*":
        return None
    (name,) = field.source_attrs
    if isinstance(field, serializers.PrimaryKeyRelatedField) and field.pk_field is None:
        return model._meta.get_field(name).attname
    if isinstance(field, serializers.RelatedField):
        return None  # (its representation reads the related row: StringRelatedField…)
    return name


def lean_row_attributes(serializer_class) -> tuple[str, ...] | None:
    """The attributes of a row that a lean page of ``serializer_class`` reads (columns and
    the list's annotations), or None when a field needs more than one plain value of the
    row (a method, a related row, a class not rendered lean). A page of such rows may be
    read as named tuples of these attributes (``CursorPagination``: no model instances)
    and renders the same JSON, each value read by the same reader."""
    shape = _shape(serializer_class)
    if shape is None:
        return None
    model = serializer_class.Meta.model
    names = [_attribute(field, model) for field in shape[0]]
    return None if None in names else tuple(dict.fromkeys(names))


#: date-time fields rendered by ``_iso_datetime`` (DRF's ISO 8601 output, its time zone)
_DATETIMES = {serializers.DateTimeField, TimestampField}


def _iso_datetime(field):
    """DRF's ``DateTimeField.to_representation`` of an aware value with the field's time
    zone looked up once (per page, not per value); anything else goes to the field."""
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    output = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if zone is None or not isinstance(output, str) or output.lower() != ISO_8601:
        return field.to_representation

    in_utc = _is_utc(zone)

    def convert(value):
        if in_utc and value.__class__ is datetime.datetime and value.tzinfo is datetime.UTC:
            # (the database's values: already in the zone; ``astimezone`` would give the
            # same digits and offset, +00:00, which DRF writes as Z)
            return value.isoformat()[:-6] + "Z"
        if not isinstance(value, datetime.datetime) or value.utcoffset() is None:
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _is_utc(zone) -> bool:
    """``zone`` is UTC itself (not merely at offset 0 today): no value's offset moves."""
    return zone is datetime.UTC or getattr(zone, "key", None) in ("UTC", "Etc/UTC")


def _same(value):
    return value


class MaskedModelSerializer(serializers.ModelSerializer):
    """A model's representation with its personal fields (``core.pii``) masked for the
    logins that must not see them (viewers). Every API serializer of rows derives from it,
    so a new personal field is masked without touching the API."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and access_for(request.user).masked:
            sources = {name: field.source for name, field in self.fields.items()}
            mask_fields(self.Meta.model, data, sources=sources)
        return data


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Buddy",
            value={
                "id": 7,
                "role": "buddy",
                "first_name": "Maria",
                "last_name": "Keller",
                "email": "maria.keller@example.com",
                "joined_at": "2026-03-02T09:00:00Z",
                "languages": ["de", "en"],
                "interests": ["cooking", "football"],
                "location": "Berlin",
                "company": "Globex",
                "capacity": 2,
                "external_ids": {"buddy_system": ["usr_7f3a"]},
            },
            response_only=True,
        ),
        OpenApiExample(
            "Buddy, as a viewer reads it",
            value={
                "id": 7,
                "role": "buddy",
                "first_name": "•••",
                "last_name": "•••",
                "email": "•••",
                "joined_at": "2026-03-02T09:00:00Z",
                "languages": ["de", "en"],
                "interests": ["cooking", "football"],
                "location": "Berlin",
                "company": "Globex",
                "capacity": 2,
                "external_ids": {"buddy_system": ["usr_7f3a"]},
            },
            response_only=True,
        ),
    ]
)
class PersonSerializer(MaskedModelSerializer):
    """A person of the login's programs (names and email masked for viewers)."""

    company = serializers.StringRelatedField(allow_null=True, help_text="Buddies only.")
    # a plain string: viewers read it masked (•••), not an email address
    email = serializers.CharField(read_only=True)
    external_ids = serializers.SerializerMethodField()

    class Meta:
        model = Person
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "role",
            "first_name",
            "last_name",
            "email",
            "joined_at",
            "languages",
            "interests",
            "location",
            "company",
            "capacity",
            "external_ids",
        ]

    #: where the people viewset puts a person's external ids (``external_ids_by_person``)
    EXTERNAL_IDS_ATTR = "external_ids_by_provider"

    def get_external_ids(self, person) -> dict[str, list[str]]:
        read = getattr(person, self.EXTERNAL_IDS_ATTR, None)
        if read is not None:
            return read
        ids: dict[str, list[str]] = {}
        for link in person.external_ids.all():
            ids.setdefault(link.provider, []).append(link.external_id)
        return ids


class MatchTransitionSerializer(MaskedModelSerializer):
    class Meta:
        model = MatchTransition
        fields = ["from_status", "to_status", "at", "via", "actor", "reason", "note"]


_MATCH_EXAMPLE = {
    "id": 42,
    "external_id": "5b1f0c1e-8d7a-4c2e-9a53-0f6f3f8e2a10",
    "program": "buddy",
    "participant": 12,
    "buddy": 7,
    "status": "active",
    "matched_at": "2026-04-01T10:00:00Z",
    "ended_at": None,
    "end_reason": "",
    "duration_days": 61,
    "sessions_completed": 4,
    "events_attended": 2,
    "matching_criteria": {"language": 1.0, "interests": 0.5},
    "source": "coordinator",
    "concurrent_active": False,
    "created_at": "2026-03-28T15:12:00Z",
    "updated_at": "2026-06-01T08:30:00Z",
}


@extend_schema_serializer(
    examples=[OpenApiExample("Active match", value=_MATCH_EXAMPLE, response_only=True)]
)
class MatchSerializer(MaskedModelSerializer):
    """A match of a participant and a buddy in a program."""

    program = ProgramTypeField()

    class Meta:
        model = Match
        list_serializer_class = LeanListSerializer
        fields = [
            "id",
            "external_id",
            "program",
            "participant",
            "buddy",
            "status",
            "matched_at",
            "ended_at",
            "end_reason",
            "duration_days",
            "sessions_completed",
            "events_attended",
            "matching_criteria",
            "source",
            "concurrent_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Active match with its history",
            value={
                **_MATCH_EXAMPLE,
                "transitions": [
                    {
                        "from_status": "",
                        "to_status": "proposed",
                        "at": "2026-03-28T15:12:00Z",
                        "via": "coordinator",
                        "actor": 3,
                        "reason": "",
                    },
                    {
                        "from_status": "proposed",
                        "to_status": "active",
                        "at": "2026-04-01T10:00:00Z",
                        "via": "coordinator",
                        "actor": 3,
                        "reason": "first meeting went well",
                    },
                ],
            },
            response_only=True,
        )
    ]
)
class MatchDetailSerializer(MatchSerializer):
    """A match with its status history, oldest first."""

    transitions = MatchTransitionSerializer(many=True, read_only=True)

    class Meta(MatchSerializer.Meta):
        fields = [*MatchSerializer.Meta.fields, "transitions"]
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample("Propose a pair", value={"program": "buddy", "participant": 12, "buddy": 7})
    ]
)
class MatchProposeSerializer(serializers.Serializer):
    """A coordinator's proposal: the program and both people must be in their scope (an id
    out of scope reads as unknown)."""

    program = ProgramField()
    participant = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    buddy = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    matching_criteria = serializers.JSONField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            from buddy.selectors import scope_people

            access = access_for(request.user)
            for name in ("participant", "buddy"):
                self.fields[name].queryset = scope_people(Person.objects.all(), access)


@extend_schema_serializer(
    examples=[OpenApiExample("With a note", value={"note": "both asked for a pause"})]
)
class MatchTransitionInputSerializer(serializers.Serializer):
    """What a coordinator writes with a move (personal data: viewers read it masked). A
    decline needs one."""

    note = serializers.CharField(
        max_length=END_NOTE_MAX_LENGTH, required=False, default="", allow_blank=True
    )
    reason = serializers.CharField(
        max_length=END_NOTE_MAX_LENGTH,
        required=False,
        default="",
        allow_blank=True,
        help_text="Deprecated: the former name of `note`, still accepted.",
    )

    def validate(self, attrs):
        attrs["note"] = attrs["note"] or attrs.pop("reason", "")
        attrs.pop("reason", None)
        return attrs


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Completed",
            value={"end_reason": "completed", "ended_at": "2026-09-30T12:00:00Z", "note": ""},
        )
    ]
)
class MatchEndSerializer(serializers.Serializer):
    ended_at = TimestampField(required=False)
    end_reason = serializers.ChoiceField(choices=EndReason.choices)
    note = serializers.CharField(
        max_length=END_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The coordinator's note on the ending (personal data: masked for viewers).",
    )


class CompanySerializer(MaskedModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "created_at", "updated_at"]
        read_only_fields = fields


class ExternalIdSerializer(MaskedModelSerializer):
    class Meta:
        model = ExternalId
        fields = ["id", "provider", "external_id", "person", "created_at"]
        read_only_fields = fields


def _activity_serializer(model, field_names: list[str]) -> type[MaskedModelSerializer]:
    """A read-only representation of an activity row (personal fields masked for viewers);
    a page of them rendered lean (``LeanListSerializer``)."""
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": field_names,
            "read_only_fields": field_names,
            "list_serializer_class": LeanListSerializer,
        },
    )
    name = f"{model.__name__}Serializer"
    return type(name, (MaskedModelSerializer,), {"Meta": meta, "__module__": __name__})


_ACTIVITY_COMMON = ["source", "created_at", "updated_at"]

InformalEventSerializer = _activity_serializer(
    InformalEvent,
    [
        "id",
        "external_id",
        "match",
        "event_type",
        "event_date",
        "description",
        "location",
        "duration_minutes",
        "attendee_ids",
        *_ACTIVITY_COMMON,
    ],
)
EventAttendanceSerializer = _activity_serializer(
    EventAttendance,
    [
        "id",
        "event_external_id",
        "person",
        "match",
        "event_title",
        "event_type",
        "event_format",
        "attended_at",
        "location",
        "duration_minutes",
        "attendee_count",
        "organizer",
        "categories",
        "sdg_goals",
        *_ACTIVITY_COMMON,
    ],
)
SkillSessionSerializer = _activity_serializer(
    SkillSession,
    [
        "id",
        "external_id",
        "skill_id",
        "skill_name",
        "skill_category",
        "teacher",
        "learner",
        "match",
        "completed_at",
        "scheduled_at",
        "duration_minutes",
        "format",
        "proficiency_level",
        "teacher_rating",
        "learner_rating",
        "teacher_comment",
        "learner_comment",
        "learner_progress",
        "sdg_goals",
        "valuation_points",
        *_ACTIVITY_COMMON,
    ],
)
CheckInSerializer = _activity_serializer(
    CheckIn,
    [
        "id",
        "external_id",
        "match",
        "checkin_date",
        "mood",
        "notes",
        "question_responses",
        *_ACTIVITY_COMMON,
    ],
)
FeedbackSerializer = _activity_serializer(
    Feedback,
    [
        "id",
        "external_id",
        "match",
        "from_role",
        "rating",
        "feedback_text",
        "submitted_at",
        "communication",
        "helpfulness",
        "engagement",
        *_ACTIVITY_COMMON,
    ],
)
MilestoneSerializer = _activity_serializer(
    MilestoneAchievement,
    [
        "id",
        "milestone_id",
        "person",
        "milestone_title",
        "milestone_category",
        "reached_at",
        "points",
        "badge_icon",
        "target_role",
        "progress",
        *_ACTIVITY_COMMON,
    ],
)
