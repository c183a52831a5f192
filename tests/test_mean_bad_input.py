"""Bad inputs to MEAN's long-video readers and to ``mer train --system mean --set weights=DIR``: clear errors or warnings, no traceback."""
import logging

import pandas as pd
import pytest

from data_prep import long_videos
from data_prep.errors import InputError
from tests.helpers import _casme_sq_tree


def _rewrite_codes(coding, rows):
    book = pd.ExcelFile(coding)
    sheets = {name: book.parse(name, header=None) for name in book.sheet_names}
    sheets[book.sheet_names[0]] = pd.DataFrame(rows)
    with pd.ExcelWriter(coding) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, header=False, index=False)


@pytest.mark.parametrize("onset, apex, offset, message", [
    (10, 5, 1, r"code_final.xlsx row 1: onset 10 is after offset 1"),      # onset after offset
    (50, 52, 55, r"row 1: onset 50 is after the last frame 40"),            # an ME after the whole video
])
def test_a_casme_sq_row_outside_its_video_is_refused_naming_the_row(tmp_path, onset, apex, offset, message):
    coding = _casme_sq_tree(tmp_path)   # s15/15_0101disgustingteeth has frames 1..40
    _rewrite_codes(coding, [(1, "disgustingteeth_1", onset, apex, offset, "4", "negative", "micro-expression", "d")])
    with pytest.raises(InputError, match=message):
        long_videos.read_casme_sq(tmp_path, coding)


def test_an_offset_beyond_the_last_frame_is_cut_with_a_warning(tmp_path, caplog):
    coding = _casme_sq_tree(tmp_path)   # s15/15_0101disgustingteeth has frames 1..40
    _rewrite_codes(coding, [(1, "disgustingteeth_1", 30, 35, 55, "4", "negative", "micro-expression", "d")])
    with caplog.at_level(logging.WARNING, logger="data_prep.long_videos"):
        videos, _ = long_videos.read_casme_sq(tmp_path, coding)
    assert videos[0].intervals() == [(29, 39)]
    assert "row 1: ME 30..55 reaches outside the frames 1..40" in caplog.text


def test_a_missing_frame_inside_a_video_is_named(tmp_path, caplog):
    coding = _casme_sq_tree(tmp_path)
    (tmp_path / "rawpic" / "s15" / "15_0101disgustingteeth" / "img17.jpg").unlink()
    with caplog.at_level(logging.WARNING, logger="data_prep.long_videos"):
        videos, _ = long_videos.read_casme_sq(tmp_path, coding)
    assert "15_0101disgustingteeth: 1 frame missing between 1 and 40 (17)" in caplog.text


def test_a_code_final_without_its_naming_sheets_says_so(tmp_path):
    coding = _casme_sq_tree(tmp_path)
    pd.read_excel(coding, sheet_name=0, header=None).to_excel(coding, header=False, index=False)
    with pytest.raises(InputError, match=r"has 3 sheets .* this file has 1"):
        long_videos.read_casme_sq(tmp_path, coding)


def test_a_non_excel_coding_file_and_a_missing_coding_are_clear_errors(tmp_path):
    _casme_sq_tree(tmp_path)
    text = tmp_path / "code_final.csv"
    text.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match=r"code_final.csv: cannot read it as an Excel workbook"):
        long_videos.read_casme_sq(tmp_path, text)
    with pytest.raises(InputError, match=r"CAS\(ME\)\^2 coding sheet code_final.xlsx is needed \(--coding FILE\)"):
        long_videos.read_long_videos("casme_sq", tmp_path, None)


def test_sammlv_without_its_long_video_sheet_is_a_clear_error(tmp_path, samm_coding):
    with pytest.raises(InputError, match=r"SAMM-LV coding sheet .* is needed \(--coding FILE\)"):
        long_videos.read_long_videos("sammlv", tmp_path, None, samm_coding)


# ---------------------------------------------------------------- published weights (mer train --system mean --set weights=DIR)


def test_weights_of_another_dataset_are_refused(tmp_path):
    from micro_expr.mean.system import weights_folder

    (tmp_path / "SAMMLV" / "spot_recog").mkdir(parents=True)
    (tmp_path / "CASME2" / "spot_recog").mkdir(parents=True)
    with pytest.raises(InputError, match=r"published weights of SAMMLV, but the data is casme2 .* CASME2"):
        weights_folder(tmp_path / "SAMMLV", "casme2")
    with pytest.raises(InputError, match=r"published weights of SAMMLV"):
        weights_folder(tmp_path / "SAMMLV" / "spot_recog", "casme2")
    assert weights_folder(tmp_path, "casme2") == tmp_path / "CASME2" / "spot_recog"
    assert weights_folder(tmp_path, "samm") == tmp_path / "SAMMLV" / "spot_recog"


def test_a_missing_weights_folder_is_refused_before_any_flow(tiny_cache, tmp_path, monkeypatch):
    from micro_expr.core.runner import run_protocol
    from micro_expr.mean.system import MEAN

    def no_flows(*args, **kwargs):
        raise AssertionError("features were computed before the weights folder was checked")

    monkeypatch.setattr(MEAN, "load_inputs", no_flows)
    with pytest.raises(InputError, match=r"nowhere: weights folder does not exist"):
        run_protocol(MEAN.from_preset("original", weights=str(tmp_path / "nowhere")), tiny_cache, tmp_path / "run")
    assert not (tmp_path / "run" / "run.json").exists()


def test_a_cache_without_any_prepared_sample_says_why(tmp_path):
    from micro_expr.mean.system import _dataset_samples

    cache = type("Cache", (), {"path": tmp_path / "c.h5", "samples": [],
                               "failures": [{"key": "casme2/sub01/EP01", "message": "no face found"}] * 3})()
    with pytest.raises(InputError, match=r"holds no prepared sample; all 3 samples failed preparation, "
                                         r"e.g. casme2/sub01/EP01: no face found"):
        _dataset_samples(cache, None)
