"""qa/docs_freshness.py: a docs figure older than the code that makes it is flagged (a real git history)."""
import json
import subprocess

import pytest

from qa import docs_freshness


def _git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def _commit(root, message):
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)
    return _git(root, "rev-parse", "--short", "HEAD")


def test_an_entry_goes_stale_when_its_code_changes_after_the_measurement(tmp_path):
    _git(tmp_path, "init", "-q")
    (tmp_path / "docs").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text("EPOCHS = 30\n")
    (tmp_path / "src" / "other.py").write_text("x = 1\n")
    (tmp_path / "docs" / "page.md").write_text("```bash\nmer demo --quick\n```\naccuracy 0.729\n")
    (tmp_path / "docs" / "fig.png").write_bytes(b"png")
    measured = _commit(tmp_path, "measured")
    entry = {"doc": "docs/page.md", "what": "demo accuracy", "command": "mer demo --quick",
             "files": ["docs/fig.png"], "measured_commit": measured, "sources": ["src/model.py"]}
    assert docs_freshness.check_entry(entry, tmp_path)["stale"] is False
    (tmp_path / "src" / "other.py").write_text("x = 2\n")
    (tmp_path / "docs" / "page.md").write_text("```bash\nmer demo --quick\n```\naccuracy 0.729 (typo fixed)\n")
    _commit(tmp_path, "unrelated code and a docs edit")
    assert docs_freshness.check_entry(entry, tmp_path)["stale"] is False     # neither is the figure's code
    (tmp_path / "src" / "model.py").write_text("EPOCHS = 50\n")
    changed = _commit(tmp_path, "new schedule")
    result = docs_freshness.check_entry(entry, tmp_path)
    assert result["stale"] and [c[0] for c in result["changes"]] == [changed]
    assert "STALE   docs/page.md: demo accuracy" in docs_freshness.report([result])
    broken = docs_freshness.check_entry({**entry, "command": "mer demo", "files": ["docs/gone.png"],
                                         "measured_commit": "0" * 40}, tmp_path)
    assert broken["problems"] == ["docs/gone.png: no such file",
                                  f"measured_commit {'0' * 40}: not a commit of this repository"]
    missing = docs_freshness.check_entry({**entry, "command": "mer train --seeds 0-4"}, tmp_path)
    assert missing["problems"] == ["docs/page.md: the command 'mer train --seeds 0-4' is not on the page"]


def test_the_repositorys_manifest_is_well_formed():
    root = docs_freshness.ROOT
    if _git(root, "rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("a shallow clone has not the measured commits; fetch the history to check the manifest")
    entries = json.loads(docs_freshness.MANIFEST.read_text())["entries"]
    assert entries and {e["doc"] for e in entries} >= {"docs/demo_results.md"}
    assert [r["problems"] for r in docs_freshness.check()] == [[]] * len(entries)
