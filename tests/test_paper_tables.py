"""docs/paper_tables.md: every table and figure of the five papers, the command that makes it, and what it ran on.

The page is the text generated from micro_expr/paper_tables.py; every table of docs/equations.md and every
figure a seed text numbers has its item; every command names a script, sub-command and table that exist.
"""
import argparse
import importlib
import re
import shlex
from pathlib import Path

import pytest

from micro_expr import equations, paper_tables
from micro_expr.papers import SOURCES
from tests.helpers import seed_text

ROOT = Path(__file__).resolve().parents[1]
FIGURE = re.compile(r"\b(?:FIGURE|Figure|Figs?\.)\s+(\d+)")


def test_the_page_is_the_generated_text():
    assert (ROOT / paper_tables.DOC).read_text(encoding="utf-8") == paper_tables.render(), \
        "docs/paper_tables.md is stale: run python -m micro_expr.paper_tables --write"


def test_every_table_of_the_equations_page_has_its_item_and_no_other():
    tables = {(row.paper, row.ref) for row in equations.ROWS
              if row.ref.startswith("Table ") or row.ref.startswith("Slide table")
              or row.ref in ('Slide: confusion matrix',)}
    items = {(item.paper, item.ref) for item in paper_tables.ITEMS}
    assert tables - items == set()
    stray = {(p, r) for p, r in items - tables if not re.match(r"(Figure|Fig\.) \d+$|demo$", r)
             and not r.startswith("Slide")}
    assert stray == set()
    assert len(items) == len(paper_tables.ITEMS)   # no item twice


@pytest.mark.parametrize("key", ["STFF", "Aouayeb et al. 2021", "Zhu et al. 2023", "MEAN"])
def test_every_figure_a_seed_numbers_has_its_item(key):
    numbers = {int(n) for n in FIGURE.findall(seed_text(key))}
    ours = {int(item.ref.split()[-1]) for item in paper_tables.items_of(key) if item.ref.startswith("Fig")}
    assert numbers == ours == set(range(1, max(numbers) + 1))


def _parser_of(module):
    """The argparse parser a script's main() builds (captured, not run)."""
    captured = {}

    class Stop(Exception):
        pass

    def capture(self, *args, **kwargs):
        captured["parser"] = self
        raise Stop

    original = argparse.ArgumentParser.parse_args
    argparse.ArgumentParser.parse_args = capture
    try:
        module.main([])
    except Stop:
        pass
    finally:
        argparse.ArgumentParser.parse_args = original
    return captured["parser"]


def _subcommands(parser):
    return {name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices}


@pytest.mark.parametrize("item", [i for i in paper_tables.ITEMS if i.command], ids=lambda i: f"{i.paper} {i.ref}")
def test_every_command_names_what_exists(item):
    words = shlex.split(item.command)
    if words[0] == "mer":
        from micro_expr import cli

        assert words[1] in _subcommands(_parser_of(cli)), item.command
        return
    assert words[0] == "python"
    if words[1] == "-m":
        module = importlib.import_module(words[2])
        rest = words[3:]
    else:
        assert (ROOT / words[1]).is_file(), words[1]
        module = importlib.import_module(words[1][:-3].replace("/", "."))
        rest = words[2:]
    subcommands = _subcommands(_parser_of(module))
    if subcommands:
        assert rest[0] in subcommands, f"{item.command}: no sub-command {rest[0]}"
    if "--only" in rest:
        assert rest[rest.index("--only") + 1] in getattr(module, "TABLES"), item.command


def test_every_result_says_what_data_it_ran_on():
    for item in paper_tables.ITEMS:
        if item.kind in ("runs", "quoted"):
            assert item.data, f"{item.paper} {item.ref}"
        if "demo" in item.command or "--quick" in item.command:
            assert "demo" in item.data or "synthetic" in item.data, f"{item.paper} {item.ref}: {item.data}"
    text = paper_tables.render()
    for key in SOURCES:
        assert f"## {key}: {SOURCES[key].title}" in text
    assert "s001" not in text and "seed 00" not in text   # tables named by paper and number


def test_items_without_a_command_say_why():
    with pytest.raises(ValueError, match="say why"):
        paper_tables.Item("MEAN", "MEAN Table 10", "x", "needs data")
    with pytest.raises(ValueError, match="command and its data"):
        paper_tables.Item("MEAN", "MEAN Table 5", "x", "runs", command="python -m experiments.mean_tables table5")


def test_every_item_that_runs_says_what_its_quick_form_printed():
    items = {(item.paper, item.ref): item for item in paper_tables.ITEMS}
    assert set(paper_tables.OURS) - set(items) == set()          # no output without its item
    for key, item in items.items():
        if item.kind in ("runs", "quoted"):
            assert paper_tables.OURS.get(key), f"{key}: no quick-run output, nor why it was not run"
        else:
            assert key not in paper_tables.OURS, f"{key}: a {item.kind} item has no quick run"
    for key, text in paper_tables.OURS.items():
        for page in re.findall(r"(?:docs/[\w/.-]+\.(?:md|png)|README\.md)", text):
            assert (ROOT / page).is_file(), f"{key}: {page} does not exist"
