"""The real CASME II and SAMM coding sheets: reading, validation, objective classes."""
import pandas as pd
import pytest

from data_prep.coding_sheets import read_coding_sheet
from data_prep.errors import CodingSheetError
from data_prep.objective_classes import objective_class, parse_action_units


def test_casme2_sheet_rows_and_unknown_apex(casme2_coding):
    rows, has_objective = read_coding_sheet(casme2_coding, "casme2")
    assert len(rows) == 255
    assert len({r["subject"] for r in rows}) == 26
    assert has_objective
    first = rows[0]
    assert (first["subject"], first["sample"], first["onset"], first["apex"], first["offset"]) == \
        (1, "EP02_01f", 46, 59, 86)
    assert first["emotion"] == "happiness" and first["row"] == 2
    # CASME II writes an unknown apex as "/".
    assert sum(r["apex"] is None for r in rows) == 1


def test_samm_sheet_header_on_row_14(samm_coding):
    rows, has_objective = read_coding_sheet(samm_coding, "samm")
    assert len(rows) == 159
    # 32 participants were recorded; 29 of them have coded micro-movements.
    assert len({r["subject"] for r in rows}) == 29
    assert (rows[0]["sample"], rows[0]["onset"], rows[0]["apex"], rows[0]["offset"]) == \
        ("006_1_2", 5562, 5588, 5632)
    assert rows[0]["row"] == 15 and has_objective


@pytest.mark.parametrize("text, expected", [
    ("4+7+L10", {4, 7, 10}),
    ("(R6 or R12)+R15", {6, 12, 15}),
    ("12A+ref(24)", {12}),
    ("4D+ref(6)+7C+43E", {4, 7, 43}),
    (12, {12}),
    ("", set()),
])
def test_parse_action_units(text, expected):
    assert parse_action_units(text) == expected


@pytest.mark.parametrize("aus, expected", [("6+12", 1), ("1+2", 2), ("4+7", 3), ("4+9", 4), ("15+17", 5),
                                           ("1+2+4", 6), ("14", 7), ("4+7+L10", 4)])
def test_objective_class_rules(aus, expected):
    assert objective_class(aus) == expected


@pytest.mark.parametrize("dataset, fixture, agree", [("casme2", "casme2_coding", 253),
                                                     ("samm", "samm_coding", 147)])
def test_au_rules_against_the_sheets_own_column(dataset, fixture, agree, request):
    """Davison's AU rules reproduce most of the sheets' Objective Classes column (documented figure)."""
    rows, _ = read_coding_sheet(request.getfixturevalue(fixture), dataset)
    matches = sum(objective_class(r["action_units"]) == r["objective_class"] for r in rows)
    assert matches == agree


def test_missing_column_names_file_and_column(casme2_coding, tmp_path):
    table = pd.read_excel(casme2_coding).rename(columns={"OnsetFrame": "Onset"})
    broken = tmp_path / "renamed.xlsx"
    table.to_excel(broken, index=False)
    with pytest.raises(CodingSheetError, match=r"renamed\.xlsx: missing column\(s\) \['OnsetFrame'\]"):
        read_coding_sheet(broken, "casme2")


def test_samm_sheet_read_with_wrong_header_row_is_refused(samm_coding):
    with pytest.raises(CodingSheetError, match="SAMM_Micro_FACS_Codes_v2.xlsx: missing column"):
        read_coding_sheet(samm_coding, "casme2")


def test_unreadable_and_absent_sheets(tmp_path):
    garbage = tmp_path / "sheet.xlsx"
    garbage.write_bytes(b"not a spreadsheet")
    with pytest.raises(CodingSheetError, match="sheet.xlsx: cannot read"):
        read_coding_sheet(garbage, "casme2")
    with pytest.raises(CodingSheetError, match="nowhere.xlsx: coding sheet not found"):
        read_coding_sheet(tmp_path / "nowhere.xlsx", "casme2")


def test_non_numeric_frame_is_refused(casme2_coding, tmp_path):
    table = pd.read_excel(casme2_coding)
    table["OnsetFrame"] = table["OnsetFrame"].astype(object)
    table.loc[3, "OnsetFrame"] = "soon"
    broken = tmp_path / "onset.xlsx"
    table.to_excel(broken, index=False)
    with pytest.raises(CodingSheetError, match=r"onset.xlsx: row 5, column 'OnsetFrame': 'soon'"):
        read_coding_sheet(broken, "casme2")
