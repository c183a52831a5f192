"""micro_expr.git_commit: the commit of the code the process loaded, read once when micro_expr is imported."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_commit_is_read_at_import_and_not_again(tmp_path):
    """A process that imported micro_expr from one commit records that commit after the checkout moves on."""
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    repo = tmp_path / "checkout"   # a checkout of this package's code as it is now, committed once
    shutil.copytree(REPO / "micro_expr", repo / "micro_expr", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "data_prep", repo / "data_prep", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "the loaded code"], check=True)
    first = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                           check=True).stdout.strip()
    script = (
        "import subprocess, sys\n"
        "import micro_expr\n"
        "subprocess.run(['git', '-C', sys.argv[1], '-c', 'user.name=t', '-c', 'user.email=t@t',\n"
        "                'commit', '-q', '--allow-empty', '-m', 'moved on'], check=True)\n"
        "print(micro_expr.git_commit())\n")
    done = subprocess.run([sys.executable, "-c", script, str(repo)], cwd=repo, capture_output=True, text=True,
                          env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == first
    moved = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert moved != first
