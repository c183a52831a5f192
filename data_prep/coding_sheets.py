"""Read the coding sheets of CASME II and SAMM as distributed (Excel or CSV)."""
from pathlib import Path

from data_prep.errors import CodingSheetError

# Canonical field -> column name in each sheet. The SAMM sheet has 13 rows of
# notes above its header (header on row 14).
SHEET_FORMATS = {
    "casme2": {
        "header_row": 0,
        "columns": {"subject": "Subject", "sample": "Filename", "onset": "OnsetFrame",
                    "apex": "ApexFrame", "offset": "OffsetFrame", "action_units": "Action Units",
                    "emotion": "Estimated Emotion"},
    },
    "samm": {
        "header_row": 13,
        "columns": {"subject": "Subject", "sample": "Filename", "onset": "Onset Frame",
                    "apex": "Apex Frame", "offset": "Offset Frame", "action_units": "Action Units",
                    "emotion": "Estimated Emotion"},
    },
}
OBJECTIVE_COLUMN = "Objective Classes"  # optional in both sheets


def read_coding_sheet(path, dataset):
    """Rows of a coding sheet as dicts with canonical keys (see ``SHEET_FORMATS``).

    Each dict also has ``row`` (the spreadsheet row number, for messages) and
    ``objective_class`` (int 1..7, or None when the sheet has no such column).
    Raises CodingSheetError naming the file when it is missing, unreadable or
    lacks a required column.
    """
    import pandas as pd

    path = Path(path)
    fmt = SHEET_FORMATS[dataset]
    if not path.is_file():
        raise CodingSheetError(f"{path}: coding sheet not found")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            table = pd.read_excel(path, header=fmt["header_row"])
        else:
            table = pd.read_csv(path, header=fmt["header_row"])
    except Exception as error:  # pandas raises many types for a broken file
        raise CodingSheetError(f"{path}: cannot read the coding sheet ({error})") from error
    table.columns = [str(name).strip() for name in table.columns]
    missing = [name for name in fmt["columns"].values() if name not in table.columns]
    if missing:
        raise CodingSheetError(
            f"{path}: missing column(s) {missing} for a {dataset} coding sheet "
            f"(header expected on row {fmt['header_row'] + 1}; found {list(table.columns)})")
    has_objective = OBJECTIVE_COLUMN in table.columns
    rows = []
    for index, record in table.iterrows():
        if all(_is_blank(record[name]) for name in fmt["columns"].values()):
            continue  # trailing empty rows of spreadsheets
        row = {field: record[name] for field, name in fmt["columns"].items()}
        row["row"] = index + fmt["header_row"] + 2  # 1-based, after the header row
        row["objective_class"] = (_to_int(record[OBJECTIVE_COLUMN], path, row["row"], OBJECTIVE_COLUMN)
                                  if has_objective and not _is_blank(record[OBJECTIVE_COLUMN]) else None)
        for field in ("onset", "offset"):
            row[field] = _to_int(row[field], path, row["row"], fmt["columns"][field])
        # CASME II marks an unknown apex with "/".
        row["apex"] = None if _is_blank(row["apex"]) or str(row["apex"]).strip() == "/" else \
            _to_int(row["apex"], path, row["row"], fmt["columns"]["apex"])
        row["sample"] = str(row["sample"]).strip()
        row["action_units"] = "" if _is_blank(row["action_units"]) else str(row["action_units"]).strip()
        row["emotion"] = "" if _is_blank(row["emotion"]) else str(row["emotion"]).strip().lower()
        rows.append(row)
    return rows, has_objective


def _is_blank(value):
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def _to_int(value, path, row, column):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise CodingSheetError(f"{path}: row {row}, column {column!r}: {value!r} is not a frame number") from None
