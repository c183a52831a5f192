"""qa/bad_input_replay.py: its verdicts, and a quick subset of its cases through the real CLI."""
import pytest
from qa.bad_input_replay import CASES, Outcome, format_table, judge, replay

QUICK = ["version", "prepare_out_below_file", "prepare_header_only_sheet", "demo_set_unknown",
         "checkpoint_directory", "prepare_truncated_jpeg"]


def test_verdicts():
    assert judge(Outcome(2, "", "mer x: error: bad", 0), 2, "bad") == "ok"
    assert judge(Outcome(1, "", "Traceback (most recent call last):\n ...", 0), 2, "bad") == "traceback"
    assert judge(Outcome(0, "done", "", 0), 2, "bad") == "silent acceptance"
    assert judge(Outcome(2, "", "mer x: error: other", 0), 2, "bad") == "unclear message"
    assert judge(Outcome(1, "", "bad", 0), 2, "bad") == "wrong exit code"
    assert judge(Outcome(2, "", "bad", 0), 2, "bad", corrupt="cache unreadable") == "corruption"
    assert set(QUICK) <= set(CASES) and len(CASES) >= 43


@pytest.mark.slow
def test_quick_cases_pass_through_the_real_cli(tmp_path, pyfeat_wheel):
    rows = replay(QUICK, tmp_path)
    table = format_table(rows)
    print(table)
    assert [row[0] for row in rows] == QUICK
    assert [row[2] for row in rows] == ["ok"] * len(QUICK), table
    assert f"{len(QUICK)} runs: {len(QUICK)} ok" in table
