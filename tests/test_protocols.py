"""Protocol lists from the real coding sheets: MEGC 2019 (official rows) and 5 objective classes."""
import csv

from data_prep import protocols
from data_prep.labels import NO_REACTION, region_classes, region_label
from micro_expr.cli import main


def test_megc_rows_reproduce_the_official_list_byte_for_byte(casme2_coding, samm_coding, megc_official, tmp_path):
    out = tmp_path / "megc.csv"
    protocols.write_megc_list(protocols.megc_samples(casme2_coding, samm_coding), out)
    official = [line for line in megc_official.read_bytes().splitlines(keepends=True)
                if not line.startswith(b"smic,")]
    ours = out.read_bytes().splitlines(keepends=True)
    assert len(ours) == 145 + 133
    assert ours == official


def test_megc_counts_equal_seed001_table3(casme2_coding, samm_coding):
    counts = protocols.class_counts(protocols.megc_samples(casme2_coding, samm_coding), "megc")
    assert counts["casme2"] == {"negative": 88, "positive": 32, "surprise": 25}
    assert counts["samm"] == {"negative": 92, "positive": 26, "surprise": 15}


def test_the_five_excluded_casme2_samples_are_exactly_the_rule_extras(casme2_coding):
    with_all = protocols.megc_samples(casme2_coding, exclude=())
    official = protocols.megc_samples(casme2_coding)
    extra = {(s.subject, s.sample) for s in with_all} - {(s.subject, s.sample) for s in official}
    assert len(with_all) == 150
    assert extra == set(protocols.MEGC_CASME2_EXCLUDED)


def test_au5_counts_per_source(casme2_coding, samm_coding):
    from_column = protocols.class_counts(protocols.au5_samples(casme2_coding, samm_coding), "au5")
    # SAMM v2's column equals Aouayeb et al. 2021 Table 4; the authors' CASME II file differs
    # from Table 4 (25/15/99/26/20), see README "Label sources".
    assert list(from_column["samm"].values()) == [24, 13, 20, 8, 3]
    assert list(from_column["casme2"].values()) == [30, 18, 93, 15, 18]
    from_rules = protocols.class_counts(protocols.au5_samples(casme2_coding, samm_coding, "au_rules"), "au5")
    assert list(from_rules["casme2"].values()) == [30, 18, 93, 13, 18]
    assert list(from_rules["samm"].values()) == [19, 13, 18, 6, 3]


def test_region_labels_follow_the_spec():
    # spec section 3: eyes keep II..V, cheeks I, nose IV, mouth I, II, V; others -> no reaction.
    assert [len(c) for c in region_classes("au5")] == [5, 5, 2, 2, 2, 4]
    assert [len(c) for c in region_classes("megc")] == [3, 3, 2, 2, 2, 3]
    names = region_classes("au5")
    labels = [names[r][region_label("au5", r, "I")] for r in range(6)]
    assert labels == [NO_REACTION, NO_REACTION, NO_REACTION, "I", "I", "I"]
    labels = [names[r][region_label("au5", r, "IV")] for r in range(6)]
    assert labels == ["IV", "IV", "IV", NO_REACTION, NO_REACTION, NO_REACTION]
    # Whole-face labels: every region gets the sequence's class.
    assert [region_label("megc", r, "surprise", region_labels=False) for r in range(6)] == [2] * 6


def test_protocol_command_prints_counts_and_writes_region_labels(casme2_coding, samm_coding, tmp_path, capsys):
    out, regions = tmp_path / "megc.csv", tmp_path / "regions.csv"
    code = main(["protocol", "megc", "--casme2-coding", str(casme2_coding), "--samm-coding", str(samm_coding),
                 "--out", str(out), "--region-labels-out", str(regions)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "| negative | 88 | 92 | 180 |" in printed and "| total | 145 | 133 | 278 |" in printed
    rows = list(csv.DictReader(open(regions)))
    assert len(rows) == 278
    happy = next(r for r in rows if r["sample"] == "EP02_01f" and r["subject"] == "sub01")
    assert [happy[f"R{r}"] for r in range(6)] == [NO_REACTION] * 3 + ["positive"] * 3


def test_protocol_command_au5_reports_sources(casme2_coding, samm_coding, capsys):
    assert main(["protocol", "au5", "--casme2-coding", str(casme2_coding), "--samm-coding", str(samm_coding),
                 "--source", "au_rules"]) == 0
    printed = capsys.readouterr().out
    assert "casme2: 172 labels from the AU rules" in printed and "samm: 59 labels from the AU rules" in printed


def test_protocol_command_missing_sheet_is_a_clear_error(tmp_path, capsys):
    assert main(["protocol", "megc", "--casme2-coding", str(tmp_path / "none.xlsx")]) == 2
    assert "none.xlsx: coding sheet not found" in capsys.readouterr().err
