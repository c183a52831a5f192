"""The preset ``original`` computes what the authors' code computed (issue 20, docs/original-code.md).

Every expected value here is worked out by hand from the authors' scripts
(MouathAb/AnalyseMiE-CNN_LSTM_SE: crop_6_ROIs.py, CNN_SE.py, LSTM_SE.py) and the
libraries they call, not from the project's code.
"""
import math

import numpy as np
import pytest

from data_prep.config import PRESETS as PREP_PRESETS
from data_prep.config import PrepConfig
from data_prep.face import crop_box, face_to_canvas, resize_contain_code
from micro_expr.stff.config import get_preset, override

WHITE, GREY = 255, 90


# --- 1. the face canvas: resizeimage.resize_contain(face, [240, 280]) (crop_6_ROIs.py:133) ------------

def test_a_face_smaller_than_the_canvas_is_not_enlarged_and_sits_on_white_centred_by_ceil():
    # 101 wide x 51 high: thumbnail() leaves it as it is; pasted at (ceil(139 / 2), ceil(229 / 2)) = (70, 115)
    # (floor centring would give 69, 114).
    face = np.full((51, 101, 3), GREY, np.uint8)
    canvas = resize_contain_code(face)
    assert canvas.shape == (280, 240, 3) and canvas.dtype == np.uint8
    inside = np.zeros((280, 240), bool)
    inside[115:166, 70:171] = True
    assert (canvas[inside] == GREY).all()
    assert (canvas[~inside] == WHITE).all()
    # The project's canvas enlarges it (scale 240 / 101) and pads black.
    clean = face_to_canvas(face, "contain")
    assert (clean[:, :, 0] == GREY).sum() == 240 * 121 and (clean == 0).any()   # 101 x 51 -> 240 x 121


def test_a_face_larger_than_the_canvas_is_shrunk_keeping_its_aspect_and_centred_by_ceil():
    # 480 wide x 282 high: thumbnail((240, 280)) keeps the ratio 480 / 282 -> 240 x 141 (240 / 141 is nearer
    # the ratio than 240 / 142); pasted at (0, ceil(139 / 2) = 70): white rows 0..69 and 211..279.
    face = np.full((282, 480, 3), GREY, np.uint8)
    canvas = resize_contain_code(face)
    assert (canvas[70:211] == GREY).all()
    assert (canvas[:70] == WHITE).all() and (canvas[211:] == WHITE).all()


def test_the_code_canvas_is_pil_thumbnail_lanczos():
    from PIL import Image

    rng = np.random.default_rng(0)
    face = rng.integers(0, 256, (300, 250, 3), dtype=np.uint8)      # taller than the canvas: shrunk to 233 x 280
    expected = Image.fromarray(face).resize((233, 280), Image.LANCZOS)
    canvas = resize_contain_code(face)
    assert (canvas[:, :4] == WHITE).all() and (canvas[:, 237:] == WHITE).all()   # x0 = ceil(7 / 2) = 4
    np.testing.assert_array_equal(canvas[:, 4:237], np.asarray(expected))


def test_pil_crop_pads_a_box_leaving_the_frame_with_black():
    frame = np.full((10, 10, 3), GREY, np.uint8)
    padded = crop_box(frame, (-2, 5, 6, 14), mode="pad")            # Image.crop((x1, y1, x2, y2)), :106-107
    assert padded.shape == (9, 8, 3)
    assert (padded[:5, 2:] == GREY).all() and (padded[:, :2] == 0).all() and (padded[5:] == 0).all()
    assert crop_box(frame, (-2, 5, 6, 14)).shape == (5, 6, 3)      # the project clips


def test_the_prep_presets():
    original = PREP_PRESETS["original"]
    assert (original.canvas, original.face_crop, original.frames, original.frame_order) == (
        "resize_contain", "pad", "all", "string")
    assert PREP_PRESETS["clean"] == PrepConfig()
    # A cache written before these fields existed reads back as what it was made with (the clean canvas).
    old = '{"canvas_height": 280, "canvas_width": 240, "frames": "onset_offset", "landmarks": "first", ' \
          '"region_sizes": "canvas", "store_face": false, "upsample": 1}'
    assert PrepConfig.from_json(old) == PREP_PRESETS["clean"]
    assert PrepConfig.from_json(original.to_json()) == original
    assert [d.split(":")[0] for d in original.differences(PREP_PRESETS["clean"])] == [
        "frames", "canvas", "face_crop", "frame_order"]
    with pytest.raises(ValueError, match="canvas"):
        PrepConfig(canvas="stretch")


# --- 2. the patch geometry of CNN_SE.py:617-631 and process_image (:172-196) ---------------------------

def test_the_code_patch_size_is_half_the_mean_region_size_rows_and_columns_swapped():
    from data_prep.regions import code_patch_size, region_sizes

    # PIL sizes (width, height) of the six boxes: (100, 80) (100, 80) (120, 80) (60, 60) (60, 60) (160, 60).
    # si0 = int(600 / 6) = 100, si1 = int(420 / 6) = 70; IWG_WIDTH = 50 rows, IMG_HEIGHT = 35 columns.
    assert code_patch_size(region_sizes("canvas")) == (50, 35)
    for m in (1, 4, 9, 16):
        config = get_preset("original", **{"spatial.patches": m})
        assert config.patch_sizes == ((50, 35),) * 6
    # A subset of regions keeps the code's size: its loop always runs over the six rows of Data_url.
    assert get_preset("original", regions="no_cheeks").patch_sizes == ((50, 35),) * 4


def test_patches_are_cut_from_the_region_resized_without_antialias_as_the_code_cut_them():
    import tensorflow as tf

    from data_prep.pipeline import split_patches

    rng = np.random.default_rng(1)
    mouth = rng.integers(0, 256, (60, 160, 3), dtype=np.uint8)       # R5: shrunk to 105 columns
    x, y = 50, 35                                                      # IWG_WIDTH, IMG_HEIGHT
    # process_image (CNN_SE.py:172-196) for a 3 x 3 grid: tf.image.resize to (3x, 3y), crops row by row.
    image = tf.image.resize(tf.constant(mouth), (x * 3, y * 3))       # bilinear, antialias=False (the default)
    expected = np.stack([tf.image.crop_to_bounding_box(image, row * x, col * y, x, y).numpy()
                         for row in range(3) for col in range(3)])
    patches = split_patches(mouth, 9, (x, y), antialias=False).numpy()
    assert patches.shape == (9, 50, 35, 3)
    np.testing.assert_allclose(patches, expected, atol=1e-4)
    smoothed = split_patches(mouth, 9, (x, y), antialias=True).numpy()  # the project's resize differs
    assert np.abs(smoothed - expected).max() > 10


# --- 3. LSTM gates: Keras 2 hard_sigmoid (LSTM_SE.py:603, TF 1.14 LSTM v1 default) -----------------------

def _numpy_lstm(x, kernel, recurrent, bias, gate):
    """Keras 2's LSTM cell (gates i, f, c, o in that order), the last h; x (batch, T, F)."""
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = gate(f) * c + gate(i) * np.tanh(g)
        h = gate(o) * np.tanh(c)
    return h


def _keras2_hard_sigmoid(v):
    return np.clip(0.2 * v + 0.5, 0.0, 1.0)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_keras2_hard_sigmoid_is_not_keras3_hard_sigmoid():
    import keras

    from micro_expr.stff.models.fast.region_lstms import hard_sigmoid_keras2

    v = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 2.4, 3.0], np.float32)
    np.testing.assert_allclose(np.asarray(hard_sigmoid_keras2(v)), [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 1], atol=1e-6)
    assert not np.allclose(np.asarray(keras.activations.hard_sigmoid(v)), np.asarray(hard_sigmoid_keras2(v)))


@pytest.mark.parametrize("layout", ["per_region", "batched"])
@pytest.mark.slow
def test_the_temporal_lstms_gate_with_keras2_hard_sigmoid(layout, tmp_path):
    import keras

    from micro_expr.stff.models import build_temporal_model, copy_temporal_weights

    cfg = get_preset("original", **{"temporal.units": 3, "temporal.sequence_length": 5}).temporal
    regions = ("R0", "R5")
    reference = build_temporal_model(cfg, regions, n_classes=2, feature_dim=4, layout="per_region")
    rng = np.random.default_rng(2)
    for region in regions:
        layer = reference.get_layer(f"{region}_lstm")
        layer.set_weights([rng.normal(0, 1.0, w.shape).astype("float32") for w in layer.get_weights()])
    model = reference if layout == "per_region" else copy_temporal_weights(
        reference, build_temporal_model(cfg, regions, n_classes=2, feature_dim=4, layout="batched"))
    x = [rng.normal(0, 1.5, (2, 5, 4)).astype("float32") for _ in regions]
    if layout == "batched":
        states = keras.Model(model.inputs, model.get_layer("region_lstms").output)
    else:
        states = keras.Model(model.inputs, [model.get_layer(f"{r}_lstm").output for r in regions])
    got = states.predict(x, verbose=0)
    got = np.concatenate(got, axis=1) if isinstance(got, list) else got
    weights = [reference.get_layer(f"{r}_lstm").get_weights() for r in regions]
    expected = np.concatenate([_numpy_lstm(xi, *w, _keras2_hard_sigmoid) for xi, w in zip(x, weights)], axis=1)
    np.testing.assert_allclose(got, expected, atol=2e-6)
    with_sigmoid = np.concatenate([_numpy_lstm(xi, *w, _sigmoid) for xi, w in zip(x, weights)], axis=1)
    assert np.abs(with_sigmoid - expected).max() > 1e-2          # the gate function matters

    path = tmp_path / "temporal.keras"                             # saved models reload with the gate
    model.save(path)
    reloaded = keras.saving.load_model(path, compile=False)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


# --- 4. the spatial loss is unweighted (CNN_SE.py:247, 355) ---------------------------------------------

def test_the_code_trained_its_spatial_models_unweighted():
    from micro_expr.stff.losses import class_weights

    labels = np.array([0, 0, 0, 0, 0, 0, 1, 2])
    assert class_weights(get_preset("original"), "spatial", 3, labels) is None
    asked = override(get_preset("original"), **{"spatial.class_weights": "balanced"})
    np.testing.assert_allclose(class_weights(asked, "spatial", 3, labels), [8 / 18, 8 / 3, 8 / 3])


# --- 5. the 50 % frame split: train_test_split(test_size=0.5, random_state=42), train part (CNN_SE.py:609)

@pytest.mark.parametrize("n", [10, 11, 257])
def test_the_frame50_draw_is_the_train_part_of_train_test_split(n):
    from sklearn.model_selection import train_test_split

    from micro_expr.stff.splits import frame50_indices

    owner = np.repeat(np.arange(n), 1)
    config = get_preset("original")
    chosen = frame50_indices(owner, None, fraction=config.spatial.split_fraction, seed=config.spatial.split_seed,
                             draw=config.spatial.split_draw)
    train, _ = train_test_split(np.arange(n), test_size=0.5, random_state=42)
    np.testing.assert_array_equal(chosen, train)
    # By hand: ShuffleSplit puts the first ceil(n / 2) of RandomState(42).permutation(n) in the test part.
    permutation = np.random.RandomState(42).permutation(n)
    np.testing.assert_array_equal(chosen, permutation[math.ceil(n / 2):])
    assert len(chosen) == n // 2
    # The project's draw for the other presets is unchanged: a default_rng permutation, the first half, sorted.
    numpy_draw = frame50_indices(owner, None, fraction=0.5, seed=42)
    np.testing.assert_array_equal(numpy_draw, np.sort(np.random.default_rng(42).permutation(n)[: n // 2]))


# --- 6. frames in string order (crop_6_ROIs.py:53, 213, 219) ------------------------------------------------

def test_string_order_puts_img100_before_img46(tmp_path):
    from data_prep.datasets import select_frames
    from data_prep.samples import Sample

    folder = tmp_path / "sub01" / "EP01"
    folder.mkdir(parents=True)
    for number in (8, 9, 10, 11, 46, 100):
        (folder / f"img{number}.jpg").write_bytes(b"")
    sample = Sample(dataset="casme2", subject="sub01", sample="EP01", folder=folder, onset=9, offset=100)
    sorted_as_text = sorted(f"img{n}.jpg" for n in (8, 9, 10, 11, 46, 100))
    assert sorted_as_text == ["img10.jpg", "img100.jpg", "img11.jpg", "img46.jpg", "img8.jpg", "img9.jpg"]
    select_frames(sample, "all", order="string")
    assert [p.name for p in sample.frames] == sorted_as_text
    assert sample.frame_numbers == [10, 100, 11, 46, 8, 9]
    select_frames(sample, "all")
    assert sample.frame_numbers == [8, 9, 10, 11, 46, 100]


# --- the canvas on real faces: what a cache prepared for original stores --------------------------------

def test_a_real_face_on_the_code_canvas(face_clips):
    """The regions a cache prepared for ``original`` stores are the code's: boxes of the PIL canvas."""
    from PIL import Image

    from data_prep.face import detect_landmarks, face_box
    from data_prep.prepare import prepare_frames
    from data_prep.regions import REGIONS

    frames = face_clips["single_face"][:2]
    landmarks = detect_landmarks(frames[0])
    left, top, right, bottom = face_box(landmarks)
    prepared = prepare_frames([(f"f{i}", frame) for i, frame in enumerate(frames)], PREP_PRESETS["original"])
    # The authors' lines, with PIL only: Image.crop(box) (:106-107), thumbnail + white paste (:133), crop (:136).
    face = Image.fromarray(frames[1], "RGB").crop((left, top, right, bottom))
    face.thumbnail((240, 280), Image.LANCZOS)
    canvas = Image.new("RGB", (240, 280), (255, 255, 255))
    canvas.paste(face, (math.ceil((240 - face.size[0]) / 2), math.ceil((280 - face.size[1]) / 2)))
    for r, box in enumerate(REGIONS):
        expected = np.asarray(canvas.crop((box.x0, box.y0, box.x1, box.y1)))
        np.testing.assert_array_equal(prepared["regions"][r][1], expected)


# --- 9. the protocol the code ships: 5-AU (its README; Dense(5), LSTM_SE.py:681) -------------------------

def test_mer_summary_of_original_defaults_to_the_5au_protocol(capsys):
    from micro_expr.cli import main

    counts = []
    for extra in ([], ["--protocol", "au5"], ["--protocol", "megc"]):
        assert main(["summary", "--preset", "original", "--patches", "1", "--json"] + extra) == 0
        counts.append(capsys.readouterr().out)
    assert counts[0] == counts[1] != counts[2]
