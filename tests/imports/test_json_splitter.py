"""The JSON form is split per entity in one pass (``readers._split_items``); anything but
plain well-formed JSON of the export's shape goes to the careful path (one ijson pass per
entity), which says what is wrong exactly as before, with nothing written."""

import json

import pytest

from buddy.models import Feedback, InformalEvent, Person
from webhooks.imports import readers
from webhooks.imports.readers import ExportUnreadable, JsonSource


def _opened(path, *, careful: bool = False, monkeypatch=None):
    """(spooled lines per entity, scans, metadata) of the JSON export at ``path``."""
    if careful:
        monkeypatch.setattr(JsonSource, "_split", lambda self, handle: False)
    with JsonSource(path) as source:
        lines = {name: spool.read() for name, (spool, _count) in source.spools.items()}
        scans = {name: (s.total, s.last_of_repeated) for name, s in source.scans.items()}
        return lines, scans, source.metadata


def _write(tmp_path, text: bytes, name: str = "export.json"):
    path = tmp_path / name
    path.write_bytes(text)
    return path


@pytest.fixture
def careful_path_refused(monkeypatch):
    """The careful path fails the test if it is taken (the one pass must have read it)."""

    def refuse(handle, spec):
        raise AssertionError("the careful path was taken")

    monkeypatch.setattr(JsonSource, "_spool", staticmethod(refuse))


def test_a_plain_export_is_split_in_one_pass(sample_json, careful_path_refused):
    _lines, scans, metadata = _opened(sample_json)
    assert scans["users"][0] == len(json.loads(sample_json.read_text())["users"])
    assert metadata is not None


SHAPES = {
    "repeated keys and odd items": b'{"users":[{"user_id":"a"},{"user_id":" A ","x":1.5},3,"s",'
    b'[1,2],null,true],"export_metadata":{"record_counts":{"users":1}}}',
    "white space everywhere": b' {\n "users" :\t[ {"user_id" : "b" , "n": 12}\r\n , -0 ] } \n',
    "an entity twice": b'{"users":[{"user_id":"a"}],"users":[{"user_id":"a"}]}',
    "other members skipped": b'{"other":[1,{"x":[]}],"matches":[{"match_id":"m"}, 12345]}',
    "empty object": b"{}",
    "empty arrays": b'{"users":[],"matches":[ ]}',
    "escapes and emoji": b'{"users":[{"a":"\\u00e9\\n\\"","b":"\xf0\x9f\x98\x80"}]}',
    "numbers at the edges": b'{"users":[1e308,2.5e-308,0.0,0e5,-0.0,9223372036854775807,'
    b"-9223372036854775807,1.0e-5,12.50]}",
    "a NUL escape": b'{"users":[{"a":"\\u0000"}]}',
    "a lone surrogate escape": b'{"users":[{"a":"\\ud800"}]}',
    "a surrogate pair escape": b'{"users":[{"a":"\\ud83d\\ude00"}]}',
    "deep nesting": b'{"users":[' + b"[" * 500 + b"]" * 500 + b"]}",
    "deeper than the scanner goes": b'{"users":[' + b"[" * 5000 + b"]" * 5000 + b"]}",
    "an entity that is an object": b'{"users":{"item":{"user_id":"a"}}}',
    "a dotted key": b'{"users.item":{"user_id":"a"}}',
    "metadata twice": b'{"export_metadata":[1],"export_metadata":{"a":1}}',
}


@pytest.mark.parametrize("text", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("read_chars", [1 << 20, 7])
def test_the_one_pass_reads_what_the_careful_path_reads(tmp_path, monkeypatch, text, read_chars):
    monkeypatch.setattr(readers, "SPLIT_READ_CHARS", read_chars)  # values across reads too
    path = _write(tmp_path, text)
    fast = _opened(path)
    assert fast == _opened(path, careful=True, monkeypatch=monkeypatch)


UNREADABLE = {
    "truncated": b'{"users":[{"user_id":"a"}',
    "trailing data": b'{"users":[]} x',
    "a missing colon": b'{"users" []}',
    "a trailing comma": b'{"users":[1,]}',
    "NaN": b'{"users":[{"a":NaN}]}',
    "a float that overflows": b'{"users":[{"a":1e400}]}',
    "an integer beyond 64 bits": b'{"users":[{"a":9223372036854775808}]}',
    "invalid UTF-8": b'{"users":[{"a":"\xff"}]}',
    "a raw control character": b'{"users":[{"a":"x\x01"}]}',
    "a byte-order mark": b'\xef\xbb\xbf{"users":[]}',
    "not an object": b"[]",
    "empty": b"",
}


@pytest.mark.parametrize("text", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_malformed_json_is_unreadable_and_nothing_is_written(run_import, tmp_path, text):
    users = b'{"users":[{"user_id":"00000000-0000-4000-8000-000000000001","role":"buddy"}],'
    path = _write(tmp_path, users + text[1:] if text.startswith(b"{") else text)
    before = Person.objects.count()
    with pytest.raises(ExportUnreadable) as refused:
        run_import(path)
    assert refused.value.message == "the JSON file cannot be parsed"
    assert Person.objects.count() == before


def test_rows_rejected_by_the_one_pass_keep_their_paths(
    run_import, export, sample_rows, careful_path_refused
):
    sample_rows["events"][1]["description"] = "a\x00b"
    sample_rows["feedback"][0]["rating"] = "0.8"
    report = run_import(export(sample_rows, form="json"))
    assert report.rejections.as_list() == [
        "events[1].description: must not contain NUL",
        "feedback[0].rating: Input should be a JSON number",
    ]
    assert InformalEvent.objects.count() == len(sample_rows["events"]) - 1
    assert Feedback.objects.count() == len(sample_rows["feedback"]) - 1


@pytest.mark.parametrize("notes", [3000, 3 * 1024 * 1024], ids=["in the window", "beyond it"])
def test_a_json_row_over_the_row_limit_rejects_only_itself(
    run_import, export, sample_rows, settings, notes
):
    settings.BUDDY_IMPORT_MAX_ROW_BYTES = 2000
    sample_rows["checkins"][0]["notes"] = "x" * notes
    sample_rows["checkins"][1]["notes"] = "y" * 1500  # within the limit
    report = run_import(export(sample_rows, form="json"))
    assert report.rejections.as_list() == ["checkins[0]: the row is longer than 2000 bytes"]
    assert report.entities["checkins"]["created"] == len(sample_rows["checkins"]) - 1
