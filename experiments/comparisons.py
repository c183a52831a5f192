"""The papers' comparison tables: other methods' quoted scores, with our row from a run folder placed among them.

    python -m experiments.comparisons stff_table8 --run RUN           # STFF Table 8 (UF1, UAR per dataset)
    python -m experiments.comparisons zhu_table6 --run RUN            # Zhu et al. 2023 Table 6 (Acc, UF1, UAR)
    python -m experiments.comparisons slides_comparison --run RUN     # Aouayeb et al. 2019, slide "Comparison"

The other rows are quoted as the paper prints them (each names the work the paper cites; we rerun none of
them). Our row is the finished folds of RUN (any system's run folder, e.g. ``mer demo --quick``'s
``demo_out``) scored on FULL and on each dataset part it holds; a part the run lacks is "-". The page says
what data our row ran on: on the demo (real faces, synthetic movements) it is not comparable with the quoted
rows, measured on SMIC, CASME II and SAMM. Writes ``<name>.md`` and ``<name>.json`` to ``--out`` (default: RUN).
"""
import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable, as ``python -m`` would
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data_prep.errors import InputError  # noqa: E402


@dataclass(frozen=True)
class Comparison:
    """One comparison table: its columns (dataset part, metric) and the quoted rows, as the paper prints them."""

    name: str
    source: str          # the paper (micro_expr.papers key) and table
    caption: str
    parts: tuple         # (column label, dataset of a run, or None for all samples)
    metrics: tuple       # per part, e.g. ("uf1", "uar")
    rows: tuple          # (method as printed, approach, figures in column order; None where the paper has a dash)
    note: str = ""


METRIC_NAMES = {"uf1": "UF1", "uar": "UAR", "accuracy_pooled": "Acc"}
MEGC_PARTS = (("FULL", None), ("SMIC", "smic"), ("CASME II", "casme2"), ("SAMM", "samm"))

COMPARISONS = {
    "stff_table8": Comparison(
        "stff_table8", "STFF Table 8", "LOSO-CV performance of the proposed method, baselines, and the recent methods "
        "(* references from the MEGC 2019 challenge)", MEGC_PARTS, ("uf1", "uar"),
        (("See et al. (2019)", "handcrafted", (0.58, 0.57, 0.20, 0.52, 0.70, 0.74, 0.39, 0.41)),
         ("Guo et al. (2019)", "deep learning", (0.62, 0.62, 0.57, 0.58, 0.78, 0.80, 0.52, 0.51)),
         ("Zhou et al. (2019)", "", (0.73, 0.72, 0.66, 0.67, 0.86, 0.85, 0.58, 0.56)),
         ("Liong et al. (2019)", "", (0.73, 0.76, 0.68, 0.70, 0.83, 0.86, 0.65, 0.68)),
         ("Liu Y et al. (2019)", "hybrid", (0.78, 0.78, 0.74, 0.75, 0.82, 0.82, 0.77, 0.71)),
         ("Choi and Song (2020)", "", (0.77, 0.75, 0.72, 0.71, 0.87, 0.84, 0.67, 0.60)),
         ("Liu et al. (2021)", "hybrid", (0.83, 0.83, 0.81, 0.81, 0.88, 0.89, 0.80, 0.79)),
         ("Zhang et al. (2021)", "", (0.81, 0.79, 0.72, 0.70, 0.90, 0.88, 0.71, 0.64)),
         ("Zhao et al. (2021)", "hybrid", (0.91, 0.90, 0.85, 0.85, 0.97, 0.97, 0.91, 0.89)),
         ("Aouayeb et al. (2019)", "deep learning", (0.90, 0.90, 0.88, 0.88, 0.98, 0.98, 0.78, 0.81)),
         ("Yu et al. (2020)", "deep learning", (0.85, 0.84, 0.79, 0.79, 0.87, 0.86, 0.85, 0.82)),
         ("Ours (STFF), as printed", "deep learning", (0.94, 0.93, 0.91, 0.91, 0.99, 0.98, 0.92, 0.89))),
        note="Approach: the stored text's marks are OCR symbols, read against its legend (handcrafted, hybrid, "
             "deep learning); '-' where the mark cannot be read."),
    "slides_comparison": Comparison(
        "slides_comparison", "Aouayeb et al. 2019, slide \"Comparison\"", "UF1 / UAR under the MEGC 2019 "
        "conditions", MEGC_PARTS, ("uf1", "uar"),
        (("LBP-TOP [22]", "handcrafted", (0.5882, 0.5785, 0.2000, 0.5280, 0.7026, 0.7429, 0.3954, 0.4102)),
         ("Bi-WOOF [5]", "handcrafted", (0.6296, 0.6227, 0.5727, 0.5829, 0.7805, 0.8026, 0.5211, 0.5139)),
         ("OFF-ApexNet [7]", "hybrid", (0.7196, 0.7096, 0.6817, 0.6695, 0.8764, 0.8681, 0.5409, 0.5392)),
         ("Micro-Attention [13]", "deep learning", (0.5080, 0.4930, 0.4730, 0.4660, 0.5390, 0.5170, 0.4030, 0.3400)),
         ("ATNet (Fusion) [26]", "deep learning", (0.6310, 0.6130, 0.5530, 0.5430, 0.7980, 0.7750, 0.4960, 0.4820)),
         ("Quang et al. [12]", "deep learning", (0.6520, 0.6506, 0.5820, 0.5877, 0.7068, 0.7018, 0.5882, 0.5989)),
         ("Zhou et al. [27]", "hybrid", (0.7322, 0.7278, 0.6645, 0.6726, 0.8621, 0.8560, 0.5868, 0.5663)),
         ("Liong et al. [8]", "hybrid", (0.7353, 0.7605, 0.6801, 0.7013, 0.8382, 0.8686, 0.6588, 0.6810)),
         ("Liu et al. [28]", "hybrid", (0.7885, 0.7824, 0.7461, 0.7530, 0.8293, 0.8209, 0.7754, 0.7152)),
         ("Our proposed method (the predecessor CNN-LSTM), as printed", "deep learning",
          (0.9022, 0.9018, 0.8886, 0.8828, 0.9857, 0.9857, 0.7855, 0.8103)))),
    "zhu_table6": Comparison(
        "zhu_table6", "Zhu et al. 2023 Table 6", "Comparison of recognition effects of different algorithms",
        (("CASME II", "casme2"), ("SAMM", "samm"), ("SMIC", "smic"), ("MEGC", None)),
        ("accuracy_pooled", "uf1", "uar"),
        (("LBP-TOP [47]", "", (0.4588, 0.3602, 0.3839, 0.4717, 0.3258, 0.3452, 0.4390, 0.4274, 0.4284, None,
                               0.5882, 0.5785)),
         ("AU-assisted [9]", "", (0.7120, 0.3550, None, 0.7020, 0.4330) + (None,) * 7),
         ("OFF-ApexNet [11]", "", (0.7137, 0.6101, 0.5781, 0.7233, 0.6536, 0.6457, 0.5732, 0.5505, 0.5613, None,
                                   None, None)),
         ("SHCFNet [12]", "", (0.8235, 0.6540, 0.6536, 0.7484, 0.6089, 0.5926, 0.6280, 0.6100, 0.6311, 0.7406,
                               0.6242, 0.6222)),
         ("CBAM-DPN [15]", "", (None, 0.7484, 0.7516, None, None, None, None, 0.6316, 0.6561, None, 0.7203,
                                0.7293)),
         ("RCN [8]", "", (None, 0.8087, 0.8563, None, 0.6771, 0.6976, None, 0.5980, 0.5991, None, 0.7052, 0.7164)),
         ("P3D ResNet [14]", "", (None, 0.8189, 0.8107, None, 0.6403, 0.6268, None, 0.6530, 0.6499, None, 0.7353,
                                  0.7243)),
         ("GP [13]", "", (None, 0.8459, 0.8396, None, 0.6003, 0.5954, None, 0.6737, 0.6660, 0.7636, 0.7204,
                          0.7063)),
         ("Our (10 IBs), as printed", "", (0.8513, 0.8256, 0.8570, 0.7642, 0.6850, 0.7207, 0.6858, 0.6749, 0.6735, 0.7658,
                               0.7364, 0.7337))),
        note="Each column is LOSO on that dataset alone (MEGC: the composite); our row scores one run's "
             "predictions per part, so on a composite run the per-dataset columns are parts, not separate runs."),
}
TABLES = COMPARISONS


def run_data(folder):
    """(system, what the run's data is: "synthetic demo" or the cache path) from a run folder's run.json."""
    path = Path(folder) / "run.json"
    if not path.is_file():
        raise InputError(f"{path}: not a run folder (no run.json); give --run a folder written by mer train or "
                         f"mer demo")
    run = json.loads(path.read_text())
    demo = "demo" in (run.get("note") or "").lower()
    return run.get("system", "stff"), "synthetic demo (real faces, synthetic movements)" if demo else \
        f"cache {run.get('cache')}"


def our_row(comparison, folder):
    """Our figures in the comparison's column order (None for a part the run has no sample of) and the counts."""
    from experiments.ablations import scores
    from micro_expr.core.run_folder import RunFolder

    predictions = RunFolder(folder).predictions(RunFolder(folder).finished_folds())
    if not predictions:
        raise InputError(f"{folder}: no finished fold (run it, or wait for a fold to finish)")
    present = {p["dataset"] for p in predictions}
    figures, counts = [], {}
    for label, dataset in comparison.parts:
        if dataset is not None and dataset not in present:
            figures += [None] * len(comparison.metrics)
            continue
        result = scores(folder, dataset)
        figures += [result[m] for m in comparison.metrics]
        counts[label] = result["n_samples"]
        counts["folds"] = f"{result['folds_done']}/{result['folds_total']}"
    return figures, counts


def _cell(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def comparison_markdown(comparison, ours, counts, system, data, folder):
    digits = 4 if comparison.name != "stff_table8" else 2
    headers = [f"{part} {METRIC_NAMES[m]}" for part, _ in comparison.parts for m in comparison.metrics]
    lines = [f"# {comparison.source}: {comparison.caption}", "",
             f"Quoted rows: {comparison.source}, as printed (scores of the works it cites; not rerun here). "
             f"**Our row** (bold): system `{system}`, run `{folder}`, folds {counts.get('folds', '-')}, "
             f"data: **{data}**" + (" — not comparable with the quoted rows, measured on SMIC, CASME II and SAMM"
                                     if "demo" in data else "") + ".", ""]
    if comparison.note:
        lines += [comparison.note, ""]
    lines += ["| method | approach | " + " | ".join(headers) + " |", "|---|---|" + "---|" * len(headers)]
    for method, approach, figures in comparison.rows:
        lines.append(f"| {method} | {approach or '-'} | " + " | ".join(_cell(v, digits) for v in figures) + " |")
    lines.append(f"| **this project's run, {data}** | `{system}` | " + " | ".join(
        f"**{_cell(v, 3)}**" if v is not None else "-" for v in ours) + " |")
    samples = ", ".join(f"{part}: {n}" for part, n in counts.items() if part != "folds")
    lines += ["", f"Our samples per column: {samples}; a column without samples of the run is '-'."]
    return "\n".join(lines) + "\n"


def run_comparison(name, run, out=None):
    """Write ``<name>.md`` / ``<name>.json`` beside the run (or in ``out``); returns the Markdown."""
    if name not in COMPARISONS:
        raise InputError(f"unknown comparison {name!r}; choose from {', '.join(COMPARISONS)}")
    comparison = COMPARISONS[name]
    system, data = run_data(run)
    ours, counts = our_row(comparison, run)
    text = comparison_markdown(comparison, ours, counts, system, data, run)
    out = Path(out or run)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(text)
    (out / f"{name}.json").write_text(json.dumps({
        "source": comparison.source, "run": str(run), "system": system, "data": data, "counts": counts,
        "columns": [[part, m] for part, _ in comparison.parts for m in comparison.metrics], "ours": ours,
        "quoted": [{"method": m, "approach": a, "figures": list(f)} for m, a, f in comparison.rows]}, indent=1))
    return text


def main(argv=None):
    from micro_expr.cli import run_command

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="name", required=True)
    for name, comparison in COMPARISONS.items():
        sub = commands.add_parser(name, help=f"{comparison.source}: {comparison.caption}")
        sub.add_argument("--run", required=True, type=Path, help="a run folder (mer train / mer demo) for our row")
        sub.add_argument("--out", type=Path, help="where to write the page (default: the run folder)")

    def command(args):
        print(run_comparison(args.name, args.run, args.out))
        return 0

    return run_command(command, parser.parse_args(argv), "comparisons")


if __name__ == "__main__":
    sys.exit(main())
