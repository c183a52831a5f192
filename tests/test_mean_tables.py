"""experiments/mean_tables.py: each sub-command runs, and Tables 2-3 of MEAN are computed as by hand."""
import csv

import pytest

from experiments import mean_tables


def test_table2_asr_and_analysis_over_all_spotted_intervals(tmp_path, capsys):
    rows = [  # key, truth, class, spots (peak, TP, predicted)
        ("a", (10, 20), 0, [(15, True, 0)]),            # apex inside, TP, right
        ("b", (10, 20), 1, [(20, False, 1)]),           # apex on the offset: not strictly inside (MEAN Eq. 13)
        ("c", (10, 20), 2, [(12, True, 0), (40, False, 2)]),   # ASR uses the first spot
    ]
    path = tmp_path / "predictions.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["fold", "key", "truth_first", "truth_last", "true_class", "peak", "first", "last", "score",
                         "true_positive", "predicted_class"])
        for key, (first, last), label, spots in rows:
            for peak, tp, predicted in spots:
                writer.writerow([1, key, first, last, label, peak, peak - 3, peak + 2, 0.5, tp, predicted])
    mean_tables.main(["table2", str(path), "--dataset", "smic_vis"])
    out = capsys.readouterr().out
    assert "ASR 0.6667" in out                       # a and c inside, b on the border
    # all four spots: (0,0) (1,1) (2,0) (2,2) -> accuracy 3/4; TP only: (0,0) (2,0) -> 1/2
    assert "all spotted 0.7500" in out and "spotted TP only 0.5000" in out


@pytest.mark.parametrize("command", ["presets", "table7", "table8"])
def test_quick_synthetic_tables_print_ours_beside_the_paper(command, capsys):
    mean_tables.main([command, "--quick"])
    out = capsys.readouterr().out
    if command == "presets":
        assert out.count("original") == 2 and "paper + interval_end" in out
    elif command == "table7":
        assert "gaussian1" in out and "0.6516" in out   # the paper's simple average, CASME II
    else:
        assert "onset_offset" in out and "0.5927" in out
