"""The repository carries its own copy of the Buddy System contract and reads nothing
outside itself, so a fresh clone tests on its own.

Drift check (optional by design): when ``BUDDY_UPSTREAM_CONTRACT`` names the upstream
contract folder, the copy in ``docs/buddy-system/`` must equal it file for file. ``.ci/run``
sets the variable only when the upstream contract folder sits beside the clone; a clone
without one has nothing to compare with, so the drift test is then not collected at all
(it is not a required test being skipped). Set but pointing nowhere is a failure.
"""

import os
import subprocess
from pathlib import Path

from tests.contract import CONTRACT, EVENTS, ROOT, SAMPLE_DIR, SAMPLE_JSON

UPSTREAM = os.environ.get("BUDDY_UPSTREAM_CONTRACT", "")

EVENT_FILES = {
    "match_created.json",
    "event_logged.json",
    "event_attended.json",
    "skill_share_completed.json",
    "checkin_completed.json",
    "feedback_submitted.json",
    "milestone_reached.json",
    "match_ended.json",
}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_repository_has_the_whole_contract():
    assert (CONTRACT / "WEBHOOKS.md").is_file()
    assert (CONTRACT / "EXPORT.md").is_file()
    assert {p.name for p in EVENTS.glob("*.json")} == EVENT_FILES
    assert (SAMPLE_DIR / "users.csv").is_file()
    assert SAMPLE_JSON.is_file()


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    return [ROOT / name.decode() for name in listed if name]


def test_no_tracked_file_reads_the_contract_from_outside_the_repository():
    # .ci/run is the one place allowed to look beside the clone (for the drift check);
    # this file names the patterns it looks for.
    allowed = {ROOT / ".ci" / "run"}
    # (spelt in parts, so this file does not itself match what it looks for)
    folder = "shared"
    patterns = (f"../{folder}", f"{folder}/contract", f'"{folder}" / "contract"')
    offenders = [
        str(path.relative_to(ROOT))
        for path in _tracked_files()
        if path not in allowed
        and path.is_file()
        and path.suffix not in {".png", ".ico", ".woff", ".woff2", ".gz", ".zip"}
        and any(p in path.read_text(errors="ignore") for p in patterns)
    ]
    assert offenders == []


if UPSTREAM:

    def test_the_contract_copy_equals_upstream():
        upstream = Path(UPSTREAM)
        assert upstream.is_dir(), f"BUDDY_UPSTREAM_CONTRACT={UPSTREAM} is not a folder"
        ours, theirs = _files(CONTRACT), _files(upstream)
        assert sorted(ours) == sorted(theirs)
        assert [name for name in ours if ours[name] != theirs[name]] == []
