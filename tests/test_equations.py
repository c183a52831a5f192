"""docs/equations.md and the citations in the code: the page is the text generated from
micro_expr/equations.py, each row sits under its own paper, every table and equation of the seed
texts has its row, every cited function and test exists, and every equation or table citation
names its paper.

The checks are importable so they can be rerun after a merge:

- :func:`misplaced_rows` compares each ``## <key>`` section of an equations
  page with the data rows of that paper (a row under another paper's
  heading, a missing row, a row edited by hand); :func:`seed_captions` and
  :func:`seed_equation_numbers` read the tables and equations a seed text
  numbers (the seed files are named in ``micro_expr.papers.SOURCES``, the
  one paper list).
- :func:`equation_entries` parses ``docs/equations.md``: one table per paper,
  one row per equation or table, with the functions (``module.path:attr``)
  that implement it and the tests (``tests/test_x.py::test_name``) that check
  it, or "planned: <module>" / "not implemented: <why>" / "not reproducible
  here: <why>".
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

from micro_expr import equations
from micro_expr.papers import SOURCES
from tests.helpers import seed_text

ROOT = Path(__file__).resolve().parents[1]
EQUATIONS_DOC = Path("docs") / "equations.md"

# Old style: a paper named by the number of its seed file.
SEED_KEYS = {f"seed {paper.seed_file[:3]}": key for key, paper in SOURCES.items()}

CITATION = re.compile(r"\b(?:Eqs?\.|Equations?)\s*\(?\d+|\bTables?\s+\d+")
SEED_CITATION = re.compile(r"\bseeds?[ _]+`?0{2}\d\b|\bseed\s+`0{2}\d_", re.IGNORECASE)
_NAME = r"[A-Z][A-Za-z'\-]+"
PAPER_NAME = re.compile(
    r"\bSTFF\b|\bMEAN\b"                                             # the keys without a year
    + rf"|\b{_NAME}(?: et al\.?| and {_NAME}),? \(?(?:19|20)\d\d\b"  # Aouayeb et al. 2021, Lin et al. 2018, ...
)
NAMED_AFTER = re.compile(r"(?:\s*(?:[\d,\-]|and))*\)?\s+of\s+(?:the\s+)?")  # "Eqs. 5-6 of [the] <name>"
TITLES = tuple(" ".join(paper.title.lower().split()) for paper in SOURCES.values())

PYTHON_DIRS = ("micro_expr", "data_prep", "experiments", "benchmarks", "tests")
MARKDOWN_DIRS = ("docs", "benchmarks", "experiments")
SELF = Path("tests") / "test_equations.py"  # holds the patterns above as text
EQUATION_DATA = Path("micro_expr") / "equations.py"  # the rows of docs/equations.md
TABLE_DATA = Path("micro_expr") / "paper_tables.py"  # the rows of docs/paper_tables.md (refs under their paper key)

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
        for first_line, text, kind in units:
            # The rows' strings name no paper ("Eq. 7"): the paper is the row's first field, and the page
            # renders each row under its paper's heading, where the Markdown check below reads it.
            check_names = not (relative in (EQUATION_DATA, TABLE_DATA) and kind == "string")
            violations += _unit_violations(relative, first_line, text, check_names)
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
            paper = heading if heading in SOURCES else None
            continue
        if paper is None or not line.startswith("|"):
            continue
        cells = _cells(line)
        if len(cells) < 4 or cells[0] in ("Ref", "") or set(cells[0]) <= set("-: "):
            continue
        implemented_by, tested_by = cells[2], cells[3]
        lowered = implemented_by.lower()
        status = ("planned" if lowered.startswith("planned") else
                  "not implemented" if lowered.startswith("not implemented") else
                  "not reproducible" if lowered.startswith("not reproducible") else "implemented")
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
    """{paper: Counter(status)} in the order of :data:`micro_expr.papers.SOURCES`."""
    result = {key: Counter() for key in SOURCES}
    for entry in entries:
        result[entry.paper][entry.status] += 1
    return result


def format_counts(entries):
    lines = []
    for paper, counter in counts(entries).items():
        lines.append(f"{paper}: {sum(counter.values())} equations/tables, {counter['implemented']} implemented, "
                     f"{counter['planned']} planned, {counter['not implemented']} not implemented, "
                     f"{counter['not reproducible']} not reproducible here")
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
    for key, paper in SOURCES.items():
        assert f"| {key} |" in key_table, f"{key} missing from the key table at the top"
        assert paper.title.lower() in " ".join(key_table.lower().split()), f"title of {key} missing from the key table"
        assert paper.seed_file in key_table
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
        if entry.status == "planned":
            continue
        for reference in entry.functions:  # a row that is not implemented may point at related code: it exists
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


@pytest.mark.slow
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


# --- the page is generated from micro_expr/equations.py, each row under its own paper -----------

def section_rows(text):
    """{heading: [table line, ...]}: the rows of the table under each ``## <heading>`` of an equations page."""
    found, heading = {}, None
    for line in text.split("\n"):
        if line.startswith("## "):
            heading = line[3:].strip()
            found.setdefault(heading, [])
        elif heading is not None and line.startswith("| ") and not line.startswith("| Ref |"):
            found[heading].append(line)
    return found


def misplaced_rows(text, rows=None):
    """What is wrong with the sections of the equations page ``text`` against the data rows (a list of str).

    Each ``## <key>`` section must hold exactly the rows of that paper in
    :data:`micro_expr.equations.ROWS`, in their order: a row of another paper
    under a heading, a row that is no data row, a missing row, a section
    that is no paper and a paper without a section are each reported.
    """
    rows = equations.ROWS if rows is None else rows
    expected = {key: [equations.row_line(row) for row in equations.rows_of(key, rows)] for key in SOURCES}
    owner = {equations.row_line(row): row for row in rows}
    found = section_rows(text)
    problems = [f"## {heading} is not a paper key" for heading in found if heading not in SOURCES]
    problems += [f"no section ## {key}" for key in SOURCES if key not in found]
    for heading, lines in found.items():
        if heading not in SOURCES:
            continue
        for line in lines:
            row = owner.get(line)
            ref = _cells(line)[0]
            if row is None:
                problems.append(f"## {heading}: '{ref}' is not a row of micro_expr/equations.py: {line[:100]}")
            elif row.paper != heading:
                problems.append(f"## {heading}: {row.paper} {row.ref} sits under another paper's heading")
        missing = [owner[line] for line in expected[heading] if line not in lines]
        problems += [f"## {heading}: {row.paper} {row.ref} is missing" for row in missing]
        if not missing and sorted(lines) == sorted(expected[heading]) and lines != expected[heading]:
            problems.append(f"## {heading}: rows out of order")
    return problems


CAPTION = re.compile(r"^\s*(?:\*\*)?(?:Table|TABLE)\s+(\d+)\b:?(?:\*\*)?[\s:.|]*(.*)$")
EQUATION_TAG = re.compile(r"\((\d{1,2})\)\s*\$\$|^[^\t]*\S\s\((\d{1,2})\)\s*$", re.MULTILINE)


def seed_captions(text):
    """{table number: caption} of a seed text: the first line that starts with "Table N" / "**Table N**" /
    "TABLE N |", and its text (or the next non-empty line when the marker stands alone)."""
    lines, captions = text.split("\n"), {}
    for index, line in enumerate(lines):
        match = CAPTION.match(line)
        if not match or int(match.group(1)) in captions:
            continue
        caption = match.group(2).strip()
        following = iter(lines[index + 1:])
        while not caption:
            caption = next(following, "<end>").strip()
        captions[int(match.group(1))] = caption
    return captions


def seed_equation_numbers(text):
    """The equation numbers a seed text tags: "(7)$$" after a display equation, or "... (7)" ending a line."""
    return {int(a or b) for a, b in EQUATION_TAG.findall(text)}


def words(text, n=5):
    return re.findall(r"[a-z0-9]+", text.lower())[:n]


def test_the_page_is_the_generated_text():
    text = (ROOT / EQUATIONS_DOC).read_text(encoding="utf-8")
    assert text == equations.render(), "docs/equations.md is stale: run python -m micro_expr.equations --write"


def test_each_row_sits_under_its_own_papers_heading():
    assert not misplaced_rows((ROOT / EQUATIONS_DOC).read_text(encoding="utf-8"))
    rendered = section_rows(equations.render())
    for row in equations.ROWS:
        assert row.paper in SOURCES
        assert equations.row_line(row) in rendered[row.paper], f"{row.paper} {row.ref} not in its section"
    keys = Counter((row.paper, row.ref) for row in equations.ROWS)
    assert not [key for key, n in keys.items() if n > 1], "an equation or table has two rows"


def test_a_row_moved_under_another_heading_is_found(tmp_path):
    text = equations.render()
    lines = text.split("\n")
    stff_table3 = next(line for line in lines if line.startswith("| Table 3 |") and "number of patches" in line)
    mean_table4 = next(line for line in lines if line.startswith("| Table 4 |") and "long videos" in line)
    # The corruption this page once had: MEAN Table 4 under STFF, STFF's own row gone.
    moved = tmp_path / "equations.md"
    stff_table4 = lines.index(next(line for line in section_rows(text)["STFF"] if line.startswith("| Table 4 |")))
    corrupted = list(lines)
    corrupted[stff_table4] = mean_table4
    moved.write_text("\n".join(corrupted), encoding="utf-8")
    problems = misplaced_rows(moved.read_text(encoding="utf-8"))
    assert "## STFF: MEAN Table 4 sits under another paper's heading" in problems
    assert "## STFF: STFF Table 4 is missing" in problems
    # One row moved from its section to the end of another's.
    corrupted = [line for line in lines if line != stff_table3]
    corrupted.insert(len(corrupted) - 1, stff_table3)
    problems = misplaced_rows("\n".join(corrupted))
    assert "## MEAN: STFF Table 3 sits under another paper's heading" in problems
    assert "## STFF: STFF Table 3 is missing" in problems
    # A row edited by hand instead of in micro_expr/equations.py.
    edited = text.replace(stff_table3, stff_table3.replace("number of patches", "number of frames"))
    assert any("is not a row of micro_expr/equations.py" in p for p in misplaced_rows(edited))
    assert misplaced_rows(text) == []


def test_rows_of_unknown_papers_or_without_code_are_refused():
    with pytest.raises(ValueError, match="unknown paper"):
        equations.Row("STFF 2022", "Eq. 1", "the encoder", implemented_by=("a:b",), tested_by=("t",))
    with pytest.raises(ValueError, match="names its functions and its tests"):
        equations.Row("STFF", "Eq. 1", "the encoder", implemented_by=("a:b",))
    with pytest.raises(ValueError, match="status must start"):
        equations.Row("STFF", "Eq. 1", "the encoder", status="later")


@pytest.mark.parametrize("key", list(SOURCES))
def test_every_captioned_table_of_a_seed_has_its_row_with_its_caption(key):
    captions = seed_captions(seed_text(key))
    rows = {row.ref: row for row in equations.rows_of(key)}
    tables = sorted(int(ref.split()[1]) for ref in rows if ref.startswith("Table "))
    assert tables == sorted(captions), f"{key}: the seed captions tables {sorted(captions)}, the rows {tables}"
    for number, caption in captions.items():
        title = rows[f"Table {number}"].title
        assert words(title) == words(caption), f"{key} Table {number}: title {title!r}, the paper's {caption!r}"


@pytest.mark.parametrize("key", list(SOURCES))
def test_every_numbered_equation_of_a_seed_has_its_row(key):
    tagged = seed_equation_numbers(seed_text(key))
    numbers = sorted(int(row.ref.split()[1]) for row in equations.rows_of(key) if row.ref.startswith("Eq. "))
    assert numbers == list(range(1, len(numbers) + 1)), f"{key}: equation rows {numbers} are not 1..N"
    assert tagged <= set(numbers), f"{key}: equations {sorted(tagged - set(numbers))} have no row"


def test_seed_captions_parse_the_three_layouts():
    text = ("TABLE 3 | Ablation study of the number of patches. The\nmodel\n"
            "**Table 4**\n\n \nPerformance comparison for ME spotting\n"
            "**Table 5:** The training results of different IBs\n"
            "Table 6\n\nEvaluation of the proposed model\nTable 6 shows that the model\n")
    assert seed_captions(text) == {3: "Ablation study of the number of patches. The",
                                   4: "Performance comparison for ME spotting",
                                   5: "The training results of different IBs", 6: "Evaluation of the proposed model"}
    assert seed_equation_numbers("x = y. (1)\n$$ a = b \\tag{} (2)$$\n\tHap (32)\t\t\n") == {1, 2}


def test_the_rows_the_issue_names():
    row = {(r.paper, r.ref): r for r in equations.ROWS}
    patches = row["STFF", "Table 3"]
    assert "number of patches" in patches.title and "spatial.patches" in patches.content
    assert "micro_expr.stff.config:SpatialConfig.patches" in patches.implemented_by
    assert "experiments.ablations:ABLATIONS" in patches.implemented_by
    labels = row["STFF", "Table 6"]
    assert "label for each region" in labels.title and "region_labels" in labels.content
    assert "micro_expr.stff.config:STFFConfig.region_labels" in labels.implemented_by
    spotting = row["MEAN", "Table 4"]
    assert "long videos" in spotting.title and spotting.implemented
    assert "micro_expr.mean.long_video:evaluate_published" in spotting.implemented_by
    not_done = [r for r in equations.ROWS if not r.implemented]
    assert all(len(r.status.split(": ", 1)[1]) > 10 for r in not_done), "a row that is not implemented says why"


def test_the_paper_list_is_the_one_the_systems_cite():
    from micro_expr.papers import PAPERS
    from micro_expr.registry import SYSTEMS

    assert list(PAPERS) == list(SOURCES) and all(PAPERS[k] == SOURCES[k].citation for k in SOURCES)
    for paper in SOURCES.values():
        assert paper.title in paper.citation and paper.title in paper.reference
    for name, target in SYSTEMS.items():  # read, not imported: importing a system loads Keras
        source = (ROOT / (target.split(":")[0].replace(".", "/") + ".py")).read_text(encoding="utf-8")
        cited = re.findall(r'citation = PAPERS\["([^"]+)"\]', source)
        assert len(cited) == 1 and cited[0] in SOURCES, f"system {name} cites {cited}"
    # No second paper list: the seed file names are written only in micro_expr/papers.py.
    seeds = [paper.seed_file for paper in SOURCES.values()]
    elsewhere = [str(path.relative_to(ROOT)) for path in _files(ROOT, PYTHON_DIRS, ".py")
                 if path.relative_to(ROOT) != Path("micro_expr") / "papers.py"
                 and any(seed in path.read_text(encoding="utf-8") for seed in seeds)]
    assert not elsewhere, f"seed file names outside micro_expr/papers.py: {elsewhere}"

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
