"""docs/tutorial.md: every ```bash block runs as written, in order, and produces what the text shows.

The blocks run in a scratch folder that looks like the repository root for
them (``experiments/`` linked in), so the tutorial's outputs do not touch the
checkout. The scratch folder starts as the README leaves it (a ``demo_out``
of `mer demo --quick`), and the tutorial must leave that and the committed
``docs/img`` alone: it writes only below ``tutorial_out/``.
"""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # every test here trains folds or runs the CLI end to end

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "docs" / "tutorial.md"


def bash_blocks(text):
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)


def test_tutorial_writes_only_below_its_own_folder():
    """Commands that write (--out, savefig folders) stay in tutorial_out/, away from demo_out and docs/."""
    blocks = "\n".join(bash_blocks(TUTORIAL.read_text()))
    outputs = re.findall(r"--out\s+(\S+)", blocks) + re.findall(r'Path\("([^"]+)"\)', blocks)
    assert outputs
    assert all(path.startswith("tutorial_out") for path in outputs), outputs
    assert "demo_out" not in blocks and "seed 00" not in TUTORIAL.read_text()


def test_tutorial_images_exist_and_are_small():
    text = TUTORIAL.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert len(images) >= 7
    for image in images:
        path = TUTORIAL.parent / image
        assert path.is_file(), f"{image} is referenced by the tutorial but missing"
        assert path.stat().st_size < 200_000, f"{image} is {path.stat().st_size} bytes (limit 200 KB)"


def test_every_bash_block_runs_as_written(tmp_path, pyfeat_wheel):
    pytest.importorskip("dlib")
    blocks = bash_blocks(TUTORIAL.read_text())
    assert len(blocks) >= 8
    (tmp_path / "experiments").symlink_to(REPO / "experiments", target_is_directory=True)
    readme_state = tmp_path / "demo_out" / "results.json"  # what the README's `mer demo --quick` left
    readme_state.parent.mkdir()
    readme_state.write_text('{"from": "mer demo --quick"}')
    shutil.copytree(REPO / "docs", tmp_path / "docs")  # a copy of the committed docs, to see if they change
    committed = {path: path.read_bytes() for path in (tmp_path / "docs").rglob("*") if path.is_file()}
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
                   "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    started = time.perf_counter()
    for number, block in enumerate(blocks, 1):
        done = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=environment, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"block {number} failed:\n{block}\n--- output ---\n{done.stdout[-3000:]}" \
                                     f"\n{done.stderr[-3000:]}"
    seconds = time.perf_counter() - started

    assert readme_state.read_text() == '{"from": "mer demo --quick"}'
    assert sorted(p.name for p in readme_state.parent.iterdir()) == ["results.json"]
    changed = [str(p) for p, data in committed.items() if not p.is_file() or p.read_bytes() != data]
    assert not changed, f"following the tutorial changed committed files: {changed}"
    fold = tmp_path / "tutorial_out" / "folds" / "00_casme2_sub01"
    assert (fold / "done.json").is_file() and (fold / "spatial" / "R5.keras").is_file()
    for name in ("01_face_to_regions.png", "02_mouth_patches.png", "predict/patch_attention.png",
                 "predict/region_attention.png", "predict/feature_change.png", "predict/prediction.md",
                 "attention_check/attention_check.md", "attention_check/class_recall.png"):
        assert (tmp_path / "tutorial_out" / "img" / name).is_file(), name
    assert (tmp_path / "tutorial_out" / "predict_sub01" / "prediction.json").is_file()
    for exercise in ("m1", "no_temporal_se", "cross_entropy"):
        fold = tmp_path / "tutorial_out" / "exercises" / exercise / "folds" / "00_casme2_sub01"
        assert (fold / "done.json").is_file(), exercise
    print(f"tutorial: {len(blocks)} blocks in {seconds:.0f} s")
