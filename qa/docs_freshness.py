"""Flag a figure or number in the docs that is older than the code that makes it.

    python -m qa.docs_freshness            # every entry of docs/measurements.json; exit 1 when one is stale
    python -m qa.docs_freshness --json     # the same as JSON

``docs/measurements.json`` lists what the docs quote: for each entry the page, the command that makes it
(it must stand on that page, beside the figure), the files it wrote into docs/ (they must exist), the commit
whose code made it (``measured_commit``: run.json and results.json record it as ``versions.git_commit``) and the
source paths whose change can change it. An entry is **stale** when its sources at HEAD differ from those at
``measured_commit`` (``git diff --name-only measured_commit HEAD -- sources``; the commits are listed): the figure
is then older than its code and should be made again with its command. Commit order, not file dates, decides (a checkout sets every file's
date); the dates shown are the commits' (git's committer timestamps).
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "docs" / "measurements.json"
FIELDS = ("doc", "what", "command", "files", "measured_commit", "sources")


def _git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def problems_of(entry, root):
    """What is wrong with an entry itself (fields, files, command on its page, commit), as lines."""
    missing = [field for field in FIELDS if field not in entry]
    if missing:
        return [f"missing fields {missing}"]
    found = []
    doc = root / entry["doc"]
    if not doc.is_file():
        return [f"{entry['doc']}: no such page"]
    if entry["command"] not in doc.read_text():
        found.append(f"{entry['doc']}: the command {entry['command']!r} is not on the page")
    found += [f"{name}: no such file" for name in entry["files"] if not (root / name).is_file()]
    found += [f"{name}: no such source" for name in entry["sources"] if not (root / name).exists()]
    try:
        _git(root, "cat-file", "-e", f"{entry['measured_commit']}^{{commit}}")
    except subprocess.CalledProcessError:
        found.append(f"measured_commit {entry['measured_commit']}: not a commit of this repository")
    return found


def check_entry(entry, root=ROOT):
    """{"what", "doc", "problems", "stale", "changes": [commit, date, subject]} of one manifest entry."""
    result = {"what": entry.get("what"), "doc": entry.get("doc"), "problems": problems_of(entry, root),
              "changes": [], "stale": False}
    if result["problems"]:
        return result
    changed = _git(root, "diff", "--name-only", entry["measured_commit"], "HEAD", "--", *entry["sources"])
    result["changed_files"] = changed.splitlines()
    result["stale"] = bool(result["changed_files"])   # the net change: a commit undone later does not count
    if result["stale"]:
        log = _git(root, "log", "--format=%h %cs %s", f"{entry['measured_commit']}..HEAD", "--", *result["changed_files"])
        result["changes"] = [line.split(" ", 2) for line in log.splitlines() if line]
    result["measured"] = _git(root, "log", "-1", "--format=%h %cs", entry["measured_commit"])
    return result


def check(manifest=MANIFEST, root=ROOT):
    entries = json.loads(Path(manifest).read_text())["entries"]
    return [check_entry(entry, root) for entry in entries]


def report(results):
    lines = []
    for r in results:
        if r["problems"]:
            lines.append(f"BROKEN  {r['doc']}: {r['what']}: " + "; ".join(r["problems"]))
        elif r["stale"]:
            newest = r["changes"][0]
            lines.append(f"STALE   {r['doc']}: {r['what']} (measured at {r['measured']}; {len(r['changed_files'])} of its "
                         f"files changed since, in {len(r['changes'])} commits, newest {newest[0]} {newest[1]} "
                         f"{newest[2][:50]})")
        else:
            lines.append(f"ok      {r['doc']}: {r['what']} (measured at {r['measured']})")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", default=str(MANIFEST))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = check(args.manifest)
    print(json.dumps(results, indent=1) if args.json else report(results))
    return 1 if any(r["stale"] or r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
