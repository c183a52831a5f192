"""Key regions of Zhu et al. 2023: TIM, the Eq. 16-17 apex, eye alignment, identification points and blocks."""
import numpy as np
import pytest

from data_prep.key_regions.align import align_clip, apply_transform, canvas_landmarks, eye_alignment
from data_prep.key_regions.points import block_boxes, block_width_10, map_cells, points_10, points_24
from data_prep.key_regions.temporal import frame_differences, relabel_apex, tim_interpolate


def test_tim_matches_the_hand_computed_two_frame_case():
    # Two frames a = 0, b = 1 (n = 2), four outputs at positions 0, 1/3, 2/3, 1:
    # x(s) = (a + b) / 2 + cos(pi (s + 1/2) / 2) (a - b) / sqrt(2), so x(1/3) = 1/2 - cos(5 pi / 12) / sqrt(2)
    # = 1/2 - (sqrt(3) - 1) / 4, and x(2/3) = 1/2 + (sqrt(3) - 1) / 4 (not the straight line's 1/3, 2/3).
    clip = np.array([[0.0], [1.0]])
    step = (np.sqrt(3) - 1) / 4
    np.testing.assert_allclose(tim_interpolate(clip, 4)[:, 0], [0, 0.5 - step, 0.5 + step, 1], atol=1e-6)


def test_tim_keeps_the_frames_when_sampled_at_their_positions():
    rng = np.random.default_rng(0)
    frames = rng.uniform(0, 255, size=(5, 4, 3, 3))
    np.testing.assert_allclose(tim_interpolate(frames, 5), frames, atol=1e-3)
    ten = tim_interpolate(frames, 10)
    assert ten.shape == (10, 4, 3, 3)
    np.testing.assert_allclose(ten[[0, -1]], frames[[0, -1]], atol=1e-3)
    np.testing.assert_allclose(tim_interpolate(frames[:1], 3), np.repeat(frames[:1], 3, axis=0), rtol=1e-6)


def test_frame_differences_match_eq_16_17_by_hand():
    # 1-pixel grey frames 0, 6, 8, 0: dif = [1/1 + 1/1, 7/7 + 7/7, 9/3 + 9/3, 1/9 + 1/9].
    frames = np.array([0, 6, 8, 0], dtype=np.float32).reshape(4, 1, 1)
    np.testing.assert_allclose(frame_differences(frames), [2, 2, 6, 2 / 9])
    assert relabel_apex(frames) == 2


def _real_face(face_clips):
    from data_prep.face import contain_resize, crop_box, detect_landmarks, face_box

    frame = face_clips["single_face"][0]
    landmarks = detect_landmarks(frame)
    box = face_box(landmarks)
    return contain_resize(crop_box(frame, box)), canvas_landmarks(landmarks, box)


def test_alignment_puts_the_real_eyes_level_where_asked(face_clips):
    from data_prep.face import detect_landmarks

    canvas, landmarks = _real_face(face_clips)
    assert canvas[int(landmarks[30, 1]), int(landmarks[30, 0])].mean() > 20  # the nose tip is on the face
    matrix = eye_alignment(landmarks, eye_distance=0.30, eye_height=0.35)
    aligned = apply_transform(matrix, landmarks)
    left, right = aligned[36:42].mean(axis=0), aligned[42:48].mean(axis=0)
    np.testing.assert_allclose(left, [112 - 0.15 * 224, 0.35 * 224], atol=1e-6)
    np.testing.assert_allclose(right, [112 + 0.15 * 224, 0.35 * 224], atol=1e-6)
    # dlib on the aligned 224 x 224 image finds the eyes where the transform put them.
    frame = align_clip(canvas[None], matrix, 224)[0]
    found = detect_landmarks(frame, upsample=1)
    assert np.abs(found[36:42].mean(axis=0) - left).max() < 4
    assert np.abs(found[42:48].mean(axis=0) - right).max() < 4


def test_identification_points_on_a_real_face(face_clips):
    _, landmarks = _real_face(face_clips)
    points = apply_transform(eye_alignment(landmarks), landmarks)
    ips = points_24(points)
    assert ips.shape == (24, 2)
    np.testing.assert_allclose(ips[0], points[18])                              # IP1 = dlib point 19
    np.testing.assert_allclose(ips[16], (points[19] + points[37]) / 2)          # IP17 = mid(20, 38)
    np.testing.assert_allclose(ips[22], points[48] - 16)                        # Zhu et al. 2023 Eq. 4
    np.testing.assert_allclose(ips[23], points[54] + 16)                        # Zhu et al. 2023 Eq. 5 as printed
    np.testing.assert_allclose(points_24(points, "pg_cnn")[23], points[54] + (16, -16))
    assert ips[:4, 1].max() < ips[4:8, 1].min()        # eyebrow points above the eye points
    assert ips[10:16, 1].min() > ips[8:10, 1].max()    # mouth below the nose
    assert np.all((ips > 0) & (ips < 224))

    ten = points_10(points)
    width = block_width_10(points)
    assert 15 < width < 60                             # half a mouth on a 224 face with eyes 67 px apart
    np.testing.assert_allclose(ten[:2], points[[48, 54]])
    np.testing.assert_allclose(ten[8] + ten[9], 2 * ten[7])         # Zhu et al. 2023 Eq. 6-7: symmetric about IP8
    np.testing.assert_allclose(ten[9, 0] - ten[8, 0], 2 * width)
    np.testing.assert_allclose(ten[2], points[8] - (width / 2, 0))              # Zhu et al. 2023 Eq. 12
    assert ten[5, 0] < ten[6, 0] and ten[3, 0] < ten[4, 0]                      # left of right (eyes, nose)
    boxes = block_boxes(points, 10)
    assert boxes.shape == (10, 3) and np.all(boxes[:, 2] == width)
    assert np.all(block_boxes(points, 24)[:, 2] == 48) and block_boxes(points, 0).shape == (0, 3)


def test_a_48_px_block_is_6x6_conv4_2_cells():
    rows, cols = map_cells((100.0, 60.0, 48.0), map_size=28, cells=6)
    # y 36..84 px: samples at 40, 48, ..., 80 px -> cells 5..10; x 76..124 px -> cells 10..15
    assert list(rows) == [5, 6, 7, 8, 9, 10] and list(cols) == [10, 11, 12, 13, 14, 15]
    rows, _ = map_cells((100.0, 4.0, 48.0), map_size=28, cells=6)               # clipped at the border
    assert list(rows) == [0, 0, 0, 1, 2, 3]


def test_block_crop_layer_reads_the_same_cells_as_the_reference(face_clips):
    from micro_expr.gia_bia.layers import BlockCrop

    _, landmarks = _real_face(face_clips)
    points = apply_transform(eye_alignment(landmarks), landmarks)
    boxes = block_boxes(points, 24)
    rng = np.random.default_rng(1)
    frames, channels = 2, 3
    feature_map = rng.normal(size=(frames, 28, 28, channels)).astype("float32")
    out = np.asarray(BlockCrop(6, frames)([feature_map, (boxes / 224)[None].astype("float32")]))
    assert out.shape == (frames, 24, 6 * 6 * channels)
    for t in range(frames):
        for b, box in enumerate(boxes):
            rows, cols = map_cells(box, 28, 6)
            expected = feature_map[t][rows[:, None], cols[None, :]].reshape(-1)
            np.testing.assert_allclose(out[t, b], expected)


def test_clip_cache_builds_aligned_tim_clips_and_refuses_other_settings(tiny_cache, tmp_path):
    from data_prep.cache import RegionCache
    from data_prep.errors import CacheConfigError, InputError
    from data_prep.key_regions.clips import ClipCache, ClipSettings

    settings = ClipSettings(size=64, frames=4, apex="annotated")
    assert settings.source == "frames" and settings.alignment == "eyes_chin"
    roots = f"casme2={tiny_cache.parent / 'casme2'}"
    path = tmp_path / "clips.h5"
    with RegionCache(tiny_cache) as cache:
        keys = cache.keys[:2]
        with pytest.raises(InputError, match="frames_roots"):
            ClipCache(tmp_path / "none.h5", settings).load(cache, keys)
        clips = ClipCache(path, settings, roots).load(cache, keys)
        clip, landmarks = clips[keys[0]]
        assert clip.shape == (4, 64, 64, 3) and clip.dtype == np.uint8 and landmarks.shape == (68, 2)
        left, right = landmarks[36:42].mean(axis=0), landmarks[42:48].mean(axis=0)
        np.testing.assert_allclose([left[1], right[1]], [0.33 * 224] * 2, atol=1e-3)      # eyes level
        np.testing.assert_allclose((left[0] + right[0]) / 2, 112, atol=1e-3)
        assert landmarks[8, 1] == pytest.approx(0.85 * 224, abs=1.0)                      # chin placed
        assert clip[0, :8].mean() > 20          # the forehead above the eyebrows is face, not padding
        # The tiny cache's apex is onset + 2: TIM of frames 0..2 starts at frame 0 and ends at frame 2.
        import h5py

        with h5py.File(path, "r") as handle:
            assert handle["clips"][keys[0]].attrs["apex_index"] == 2
        again = ClipCache(path, settings, roots).load(cache, keys)
        assert np.array_equal(again[keys[0]][0], clip)
        with pytest.raises(CacheConfigError, match="frames"):
            ClipCache(path, ClipSettings(size=64, frames=5, apex="annotated"), roots).load(cache, keys)
        canvas = ClipCache(tmp_path / "canvas.h5", ClipSettings(size=64, frames=4, apex="annotated",
                                                                source="face_canvas", alignment="eyes",
                                                                eye_height=0.35)).load(cache, keys)
        np.testing.assert_allclose(canvas[keys[0]][1][36:42].mean(axis=0), [112 - 0.15 * 224, 0.35 * 224],
                                   atol=1e-3)
        assert canvas[keys[0]][0][0, :8].mean() < 5     # the earlier clips: black above the eyebrow line
