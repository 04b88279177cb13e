"""``import_buddy_export`` names the path it could not find (the operator's typo shows)."""

import re

import pytest
from django.core.management import CommandError, call_command

from buddy.models import ImportRun


def test_a_missing_export_path_is_named_in_the_error(tmp_path, program):
    missing = tmp_path / "no-such-export.zip"

    with pytest.raises(CommandError, match=re.escape(f"not found: {missing}")):
        call_command("import_buddy_export", str(missing))

    assert not ImportRun.objects.exists()
