"""Personal-data columns are marked in one place and found by introspection."""

from core.pii import personal_data_fields


def test_every_personal_column_of_the_contract_is_marked():
    fields = personal_data_fields()
    assert set(fields["buddy.Person"]) >= {"first_name", "last_name", "email"}
    assert "notes" in fields["buddy.CheckIn"]
    assert "feedback_text" in fields["buddy.Feedback"]
    assert {"teacher_comment", "learner_comment"} <= set(fields["buddy.SkillSession"])
    assert "description" in fields["buddy.InformalEvent"]


def test_ids_and_enums_are_not_marked_personal():
    fields = personal_data_fields()
    assert "email_hash" not in fields["buddy.Person"]
    assert "rating" not in fields["buddy.Feedback"]
