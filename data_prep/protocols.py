"""Protocol label lists: MEGC 2019 composite (3 classes) and the 5 objective classes.

Both are built from the coding sheets alone (and SMIC's folders), so they can be
checked without the licensed frames.
"""
import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from data_prep.coding_sheets import read_coding_sheet
from data_prep.labels import (AU5_CLASSES, MEGC_CLASSES, megc_class, protocol_classes, region_classes,
                              region_label)
from data_prep.objective_classes import ROMAN, objective_class

# The official MEGC 2019 list leaves out five CASME II samples that the emotion
# rules would include (two disgust, three surprise); we follow the official list.
MEGC_CASME2_EXCLUDED = (
    ("sub04", "EP12_01f"),
    ("sub05", "EP09_05f"),
    ("sub24", "EP07_01"),
    ("sub24", "EP07_04f"),
    ("sub24", "EP10_03"),
)
DATASET_ORDER = ("smic", "casme2", "samm")


@dataclass(frozen=True)
class LabelledSample:
    """One row of a protocol list."""

    dataset: str
    subject: str      # as on disk: sub01, 006, s1
    sample: str
    label: str        # class name of the protocol
    source: str = ""  # where the label came from (emotion, objective column, AU rules)

    def official_subject(self):
        """Subject as the official MEGC list writes it: sub01, 6, s01."""
        if self.dataset == "samm":
            return str(int(self.subject))
        if self.dataset == "smic":
            return f"s{int(self.subject[1:]):02d}"
        return self.subject

    def official_sample(self):
        if self.dataset == "smic":
            head, _, rest = self.sample.partition("_")
            return f"s{int(head[1:]):02d}_{rest}"
        return self.sample


def _sheet_subject(dataset, value):
    number = int(str(value).strip().lower().removeprefix("sub"))
    return f"sub{number:02d}" if dataset == "casme2" else f"{number:03d}"


def megc_samples(casme2_coding=None, samm_coding=None, smic_root=None, exclude=MEGC_CASME2_EXCLUDED):
    """The MEGC 2019 composite samples, in the official order (SMIC, CASME II, SAMM; sheet order)."""
    from data_prep.datasets import read_smic

    result = []
    if smic_root is not None:
        samples, _ = read_smic(smic_root)
        result += [LabelledSample("smic", s.subject, s.sample, s.megc_class, "folder") for s in samples]
    for dataset, coding in (("casme2", casme2_coding), ("samm", samm_coding)):
        if coding is None:
            continue
        rows, _ = read_coding_sheet(coding, dataset)
        for row in rows:
            label = megc_class(dataset, row["emotion"])
            subject = _sheet_subject(dataset, row["subject"])
            if label is None or (dataset == "casme2" and (subject, row["sample"]) in exclude):
                continue
            result.append(LabelledSample(dataset, subject, row["sample"], label, f"emotion {row['emotion']}"))
    return result


def au5_samples(casme2_coding=None, samm_coding=None, source="column"):
    """Samples of classes I..V (VI and VII dropped) from CASME II and SAMM.

    ``source``: ``column`` uses the sheet's "Objective Classes" column when it
    has one (the authors' choice), falling back to the AU rules; ``au_rules``
    always derives the class from the action units (Davison et al. 2017).
    """
    result = []
    for dataset, coding in (("casme2", casme2_coding), ("samm", samm_coding)):
        if coding is None:
            continue
        rows, has_column = read_coding_sheet(coding, dataset)
        for row in rows:
            if source == "column" and has_column:
                cls, how = row["objective_class"], "column"
            else:
                cls, how = objective_class(row["action_units"]), "au_rules"
            if cls is None or cls > len(AU5_CLASSES):
                continue
            result.append(LabelledSample(dataset, _sheet_subject(dataset, row["subject"]), row["sample"],
                                         ROMAN[cls], how))
    return result


def write_megc_list(samples, path):
    """Write the list in the official format: dataset, subject, sample, label 0/1/2; no header.

    Lines end with CRLF, as in the official ``combined_3class_gt.csv``, so the
    CASME II and SAMM rows come out byte for byte identical.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        for s in samples:
            writer.writerow([s.dataset, s.official_subject(), s.official_sample(), MEGC_CLASSES.index(s.label)])


def write_label_table(samples, protocol, path, region_labels=True):
    """Write a CSV with the class and the six region labels of every sample (spec section 3)."""
    names = region_classes(protocol, region_labels)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["dataset", "subject", "sample", "label", "source"] + [f"R{r}" for r in range(6)])
        for s in samples:
            writer.writerow([s.dataset, s.subject, s.sample, s.label, s.source] +
                            [names[r][region_label(protocol, r, s.label, region_labels)] for r in range(6)])


def class_counts(samples, protocol):
    """{dataset: {class: count}} plus a ``total`` entry, classes in protocol order."""
    classes = protocol_classes(protocol)
    datasets = [d for d in DATASET_ORDER if any(s.dataset == d for s in samples)]
    counts = {d: Counter(s.label for s in samples if s.dataset == d) for d in datasets}
    counts["total"] = Counter(s.label for s in samples)
    return {d: {c: counts[d][c] for c in classes} for d in counts}


def format_counts(counts, title):
    """A Markdown table of class counts per dataset."""
    columns = list(counts)
    classes = list(counts[columns[0]])
    lines = [f"{title}", "", "| class | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for c in classes:
        lines.append(f"| {c} | " + " | ".join(str(counts[d][c]) for d in columns) + " |")
    lines.append("| total | " + " | ".join(str(sum(counts[d].values())) for d in columns) + " |")
    return "\n".join(lines)
