"""docs/equations.md and the citations in the code: every cited function and test exists,
and every equation or table citation names its paper.

Two checks, both importable so they can be rerun after a merge:

- :func:`equation_entries` parses ``docs/equations.md``: one table per paper,
  one row per equation or table, with the functions (``module.path:attr``)
  that implement it and the tests (``tests/test_x.py::test_name``) that check
  it, or "planned: <module>" / "not implemented: <why>".
- :func:`citation_violations` scans docstrings, comments and string literals
  of the Python code and the Markdown docs. An equation or table citation
  (``Eq. 7``, ``Eqs. 5-6``, ``Table 3``) must name its paper in the same
  docstring, comment block or string (Markdown: the same section), before
  the citation or as "Eq. 7 of <paper>", by its key (STFF, MEAN, Aouayeb et
  al. 2021, Aouayeb et al. 2019, Zhu et al. 2023), by "<Author> et al.
  <year>" or by its title: Eq. 7 of STFF and Eq. 7 of MEAN are different
  equations. Citing a paper by its seed file number ("seed 000") is a
  violation everywhere.

Run ``python -m tests.test_equations`` (from the repository root) to print
the violations and the counts of the equation table.
"""
import ast
import importlib
import io
import re
import sys
import tokenize
from collections import Counter, namedtuple
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EQUATIONS_DOC = Path("docs") / "equations.md"

# Paper key -> (seed file, title). The keys are what code and docs cite.
PAPERS = {
    "STFF": ("000_2cf5e85c636f9cf2.txt",
             "Spatiotemporal Features Fusion From Local Facial Regions for Micro-Expressions Recognition"),
    "Aouayeb et al. 2021": ("001_ae5b1337345f4e21.txt", "Micro-expression recognition from local facial regions"),
    "Aouayeb et al. 2019": ("002_85f30f0a12d46bec.txt",
                            "A spatiotemporal deep learning solution for automatic micro-expressions "
                            "recognition from local facial regions"),
    "Zhu et al. 2023": ("003_f247243bd74ce6a9.txt",
                        "Micro-Expression Recognition Based on Spatio-Temporal Feature Extraction of Key Regions"),
    "MEAN": ("004_0c27819607a3b834.txt",
             "Spot-then-Recognize: A Micro-Expression Analysis Network for Seamless Evaluation of Long Videos"),
}
# Old style: a paper named by the number of its seed file.
SEED_KEYS = {f"seed {seed_file[:3]}": key for key, (seed_file, _) in PAPERS.items()}

CITATION = re.compile(r"\b(?:Eqs?\.|Equations?)\s*\(?\d+|\bTables?\s+\d+")
SEED_CITATION = re.compile(r"\bseeds?[ _]+`?0{2}\d\b|\bseed\s+`0{2}\d_", re.IGNORECASE)
_NAME = r"[A-Z][A-Za-z'\-]+"
PAPER_NAME = re.compile(
    r"\bSTFF\b|\bMEAN\b"                                             # the keys without a year
    + rf"|\b{_NAME}(?: et al\.?| and {_NAME}),? \(?(?:19|20)\d\d\b"  # Aouayeb et al. 2021, Lin et al. 2018, ...
)
NAMED_AFTER = re.compile(r"(?:\s*(?:[\d,\-]|and))*\)?\s+of\s+(?:the\s+)?")  # "Eqs. 5-6 of [the] <name>"
TITLES = tuple(" ".join(title.lower().split()) for _, title in PAPERS.values())

PYTHON_DIRS = ("micro_expr", "data_prep", "experiments", "benchmarks", "tests")
MARKDOWN_DIRS = ("docs", "benchmarks", "experiments")
SELF = Path("tests") / "test_equations.py"  # holds the patterns above as text

Violation = namedtuple("Violation", "file line text")
Entry = namedtuple("Entry", "paper ref status functions tests line")


# --- citations in code and docs ------------------------------------------------------------------

def attributed(text, citation):
    """True when the ``CITATION`` match ``citation`` in ``text`` belongs to a named paper.

    A paper name (or an old "seed 000", reported separately) before it in the
    same unit, "... of [the] <name>" right after it, or a paper's title
    anywhere in the unit. So in "'focal' (Eq. 9) or 'cross_entropy'
    (Aouayeb et al. 2021 Eq. 4)" the Eq. 9 is not attributed.
    """
    before = text[:citation.start()]
    if PAPER_NAME.search(before) or SEED_CITATION.search(before):
        return True
    after = NAMED_AFTER.match(text, citation.end())
    if after and PAPER_NAME.match(text, after.end()):
        return True
    flat = " ".join(text.lower().split())
    return any(title in flat for title in TITLES)


def _unit_violations(path, first_line, text, check_names=True):
    """Violations of one unit (a docstring, comment block, string or Markdown section)."""
    found = []
    lines = text.split("\n")

    def line_of(match):
        index = text.count("\n", 0, match.start())
        return first_line + index, lines[index].strip()

    for match in SEED_CITATION.finditer(text):
        line, shown = line_of(match)
        found.append(Violation(str(path), line, f"cites a seed number, not the paper: {shown}"))
    if check_names:
        citation = next((c for c in CITATION.finditer(text) if not attributed(text, c)), None)
        if citation:
            line, shown = line_of(citation)
            found.append(Violation(str(path), line, f"equation/table citation names no paper: {shown}"))
    return found


def _python_units(source):
    """(first line, text, kind) of every docstring, other string literal and comment block."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                docstrings.add(id(first.value))
    in_fstring = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            in_fstring.update(id(value) for value in node.values)
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            yield node.lineno, text, "string"
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstring:
            yield node.lineno, node.value, "docstring" if id(node) in docstrings else "string"

    # Comments: consecutive full-line comments form one block; an inline comment is its own block.
    block, block_start, previous = [], None, None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        line = token.start[0]
        full_line = token.line[:token.start[1]].strip() == ""
        if full_line and block and previous == line - 1 and block_start is not None:
            block.append(token.string)
        else:
            if block:
                yield block_start, "\n".join(block), "comment"
            block, block_start = [token.string], line
        previous = line if full_line else None
    if block:
        yield block_start, "\n".join(block), "comment"


def _markdown_sections(text):
    """(first line, text) of each section: a heading line up to the next heading (code blocks kept whole)."""
    sections, current, start, fenced = [], [], 1, False
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#") and current:
            sections.append((start, "\n".join(current)))
            current, start = [], number
        current.append(line)
    if current:
        sections.append((start, "\n".join(current)))
    return sections


def _files(root, dirs, suffix):
    for name in dirs:
        folder = root / name
        if folder.is_dir():
            yield from sorted(p for p in folder.rglob(f"*{suffix}")
                              if not any(part.startswith(".") or part == "__pycache__" for part in p.parts))


def citation_violations(root=ROOT):
    """Every citation problem under ``root``, as a list of (file, line, text).

    Python (micro_expr, data_prep, experiments, benchmarks, tests, top-level
    *.py): docstrings, comment blocks and string literals (help texts, table
    titles) must not cite "seed 000"-style numbers, and one that cites an
    equation or table must name its paper. Markdown (top-level *.md, docs,
    benchmarks, experiments): the same per section.
    """
    root = Path(root)
    violations = []
    python_files = sorted(root.glob("*.py")) + list(_files(root, PYTHON_DIRS, ".py"))
    for path in python_files:
        relative = path.relative_to(root)
        if relative == SELF:
            continue
        source = path.read_text(encoding="utf-8")
        try:
            units = list(_python_units(source))
        except SyntaxError as error:
            violations.append(Violation(str(relative), error.lineno or 0, f"cannot parse: {error.msg}"))
            continue
        for first_line, text, _kind in units:
            violations += _unit_violations(relative, first_line, text)
    markdown_files = sorted(root.glob("*.md")) + list(_files(root, MARKDOWN_DIRS, ".md"))
    for path in markdown_files:
        relative = path.relative_to(root)
        for first_line, text in _markdown_sections(path.read_text(encoding="utf-8")):
            violations += _unit_violations(relative, first_line, text)
    return sorted(set(violations), key=lambda v: (v.file, v.line, v.text))


# --- docs/equations.md ---------------------------------------------------------------------------

FUNCTION_REF = re.compile(r"`([A-Za-z_][\w.]*:[A-Za-z_][\w.]*)`")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py::\w+)`")


def _cells(line):
    """The cells of a Markdown table row; ``\\|`` is a pipe inside a cell."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def equation_entries(root=ROOT):
    """One :class:`Entry` per equation/table row of docs/equations.md, under the ``## <key>`` of its paper.

    ``status``: 'planned' ("planned: <module>"), 'not implemented' ("not
    implemented: <why>") or 'implemented' (functions and tests named).
    """
    entries, paper = [], None
    text = (Path(root) / EQUATIONS_DOC).read_text(encoding="utf-8")
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("## "):
            heading = line[3:].strip()
            paper = heading if heading in PAPERS else None
            continue
        if paper is None or not line.startswith("|"):
            continue
        cells = _cells(line)
        if len(cells) < 4 or cells[0] in ("Ref", "") or set(cells[0]) <= set("-: "):
            continue
        implemented_by, tested_by = cells[2], cells[3]
        lowered = implemented_by.lower()
        status = ("planned" if lowered.startswith("planned") else
                  "not implemented" if lowered.startswith("not implemented") else "implemented")
        entries.append(Entry(paper, cells[0], status, FUNCTION_REF.findall(implemented_by),
                             TEST_REF.findall(tested_by), number))
    return entries


def resolve(reference):
    """The object ``module.path:attr.path`` names (ImportError / AttributeError when it does not exist)."""
    module_name, _, attributes = reference.partition(":")
    target = importlib.import_module(module_name)
    for attribute in attributes.split("."):
        target = getattr(target, attribute)
    return target


def test_exists(reference, root=ROOT):
    """True when ``tests/test_x.py::test_name`` is a test function of that file."""
    file_name, _, name = reference.partition("::")
    path = Path(root) / file_name
    return path.is_file() and re.search(rf"^\s*(?:async\s+)?def {name}\b", path.read_text(encoding="utf-8"),
                                        re.MULTILINE) is not None


test_exists.__test__ = False  # a helper, not a pytest test


def counts(entries):
    """{paper: Counter(status)} in the order of :data:`PAPERS`."""
    result = {key: Counter() for key in PAPERS}
    for entry in entries:
        result[entry.paper][entry.status] += 1
    return result


def format_counts(entries):
    lines = []
    for paper, counter in counts(entries).items():
        lines.append(f"{paper}: {sum(counter.values())} equations/tables, {counter['implemented']} implemented, "
                     f"{counter['planned']} planned, {counter['not implemented']} not implemented")
    return "\n".join(lines)


# --- tests ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def entries():
    found = equation_entries()
    print("\n" + format_counts(found))
    return found


def test_every_paper_has_its_key_its_citation_and_its_rows(entries):
    text = (ROOT / EQUATIONS_DOC).read_text(encoding="utf-8")
    key_table = text.split("\n## ", 1)[0]
    for key, (seed_file, title) in PAPERS.items():
        assert f"| {key} |" in key_table, f"{key} missing from the key table at the top"
        assert title.lower() in " ".join(key_table.lower().split()), f"title of {key} missing from the key table"
        assert seed_file in key_table
        assert f"\n## {key}\n" in text, f"no section '## {key}'"
        assert any(entry.paper == key for entry in entries), f"no equation or table listed for {key}"
    refs = Counter((entry.paper, entry.ref) for entry in entries)
    assert not [ref for ref, n in refs.items() if n > 1], "an equation or table is listed twice"


def test_implemented_entries_name_functions_and_tests(entries):
    missing = [f"line {e.line}: {e.paper} {e.ref}" for e in entries
               if e.status == "implemented" and not (e.functions and e.tests)]
    assert not missing, "implemented but without a function or a test:\n" + "\n".join(missing)


def test_every_cited_function_exists(entries):
    problems = []
    for entry in entries:
        if entry.status != "implemented":
            continue
        for reference in entry.functions:
            try:
                resolve(reference)
            except (ImportError, AttributeError) as error:
                problems.append(f"line {entry.line} ({entry.paper} {entry.ref}): {reference}: {error}")
    assert not problems, "\n".join(problems)


def test_every_cited_test_exists(entries):
    problems = [f"line {entry.line} ({entry.paper} {entry.ref}): {reference}"
                for entry in entries if entry.status == "implemented"
                for reference in entry.tests if not test_exists(reference)]
    assert not problems, "tests that do not exist:\n" + "\n".join(problems)


def test_citations_name_their_paper():
    violations = citation_violations(ROOT)
    assert not violations, "\n".join(f"{v.file}:{v.line}: {v.text}" for v in violations)


def test_the_citation_check_finds_what_it_should(tmp_path):
    (tmp_path / "micro_expr").mkdir()
    (tmp_path / "micro_expr" / "a.py").write_text(
        '"""Losses (seed 000 Eq. 9)."""\n\n'
        'def f():\n    """The focal loss, Eq. 9."""\n    return 1  # STF(r), Eq. 6\n\n\n'
        'def g():\n    """STFF Eq. 9 and MEAN Eq. 7; Davison et al. 2017 Table 1."""\n'
        '    # STFF Eq. 7: the temporal SE,\n    # fusing the regions (Table 5).\n'
        '    return "p of the threshold, Eq. 12"\n\n\n'
        'LOSS = "focal (Eq. 9) or cross-entropy (Aouayeb et al. 2021 Eq. 4)"\n'
        'SMOOTH = "Table 5 of the paper, then Eqs. 11-12 of MEAN"\n'
        'HELP = ("see the Spot-then-Recognize: A Micro-Expression Analysis Network "\n'
        '        "for Seamless Evaluation of Long Videos paper, Eq. 11")\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text("# STFF\n\nEq. 1 is the encoder.\n\n## Other\n\nTable 2 sizes.\n")
    found = {(v.file, v.line, v.text.split(":")[0]) for v in citation_violations(tmp_path)}
    a = str(Path("micro_expr") / "a.py")
    assert found == {
        (a, 1, "cites a seed number, not the paper"),
        (a, 4, "equation/table citation names no paper"),
        (a, 5, "equation/table citation names no paper"),
        (a, 12, "equation/table citation names no paper"),
        (a, 15, "equation/table citation names no paper"),
        (a, 16, "equation/table citation names no paper"),
        (str(Path("docs") / "x.md"), 7, "equation/table citation names no paper"),
    }


def test_seed_numbers_map_to_keys():
    assert SEED_KEYS == {"seed 000": "STFF", "seed 001": "Aouayeb et al. 2021", "seed 002": "Aouayeb et al. 2019",
                         "seed 003": "Zhu et al. 2023", "seed 004": "MEAN"}
    assert SEED_CITATION.search("the paper (Seed 000, section 3)") and SEED_CITATION.search("seed `001_ae5.txt`")
    assert not SEED_CITATION.search("seed 42") and not SEED_CITATION.search("split seed 0")


def main(root=ROOT):
    violations = citation_violations(root)
    for v in violations:
        print(f"{v.file}:{v.line}: {v.text}")
    print(f"{len(violations)} citation violation(s)")
    if (Path(root) / EQUATIONS_DOC).is_file():
        print(format_counts(equation_entries(root)))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))
