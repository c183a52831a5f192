"""The demo stores the whole face canvases only for a run that reads them; a cache without them is refused early.

On the prepared cache of real faces (tests/conftest.py ``tiny_cache``, prepared with face canvases) and a
copy of it without them (the canvases deleted and the recorded settings changed, as ``mer prepare`` without
``--store-face`` writes it).
"""
import shutil
from dataclasses import replace

import h5py
import pytest

from data_prep.cache import RegionCache
from data_prep.config import PrepConfig
from data_prep.errors import InputError
from micro_expr import demo
from micro_expr.mean.system import MEAN
from micro_expr.stff.config import get_preset
from micro_expr.stff.system import STFF


@pytest.fixture
def with_faces(tiny_cache, tmp_path):
    path = tmp_path / "faces.h5"
    shutil.copy(tiny_cache, path)
    return path


@pytest.fixture
def without_faces(tiny_cache, tmp_path):
    path = tmp_path / "regions.h5"
    shutil.copy(tiny_cache, path)
    with h5py.File(path, "a") as handle:
        config = PrepConfig.from_json(handle.attrs["prep_config"])
        handle.attrs["prep_config"] = replace(config, store_face=False).to_json()
        faces = []
        handle["samples"].visit(lambda name: faces.append(name) if name.endswith("/face") else None)
        assert len(faces) == 9
        for name in faces:
            del handle["samples"][name]
    return path


def test_the_demo_asks_for_face_canvases_only_when_its_configuration_reads_them():
    assert not demo.demo_prep_config("strict").store_face and not demo.demo_prep_config("original").store_face
    assert demo.demo_prep_config("original", store_face=True).store_face
    assert not demo.reads_face(get_preset("strict"))
    assert demo.reads_face(get_preset("strict", region_mode="whole_face"))
    assert "no face canvases" in demo.stored_line(demo.demo_prep_config())
    assert "280 x 240" in demo.stored_line(demo.demo_prep_config(store_face=True))


def test_a_cache_with_face_canvases_is_reused_by_a_run_that_does_not_read_them(with_faces):
    wanted = PrepConfig()                       # the tiny cache's settings, without the faces
    assert demo.demo_cache_config(with_faces, wanted) == PrepConfig(store_face=True)
    assert with_faces.exists()
    assert demo.demo_cache_config(with_faces, PrepConfig(store_face=True)) == PrepConfig(store_face=True)


def test_a_cache_without_them_is_prepared_again_when_they_are_read(without_faces, capsys):
    assert demo.demo_cache_config(without_faces, PrepConfig()) == PrepConfig()     # reused as it is
    assert without_faces.exists()
    assert demo.demo_cache_config(without_faces, PrepConfig(store_face=True)) == PrepConfig(store_face=True)
    assert not without_faces.exists()
    assert "has no face canvases, which this run reads" in capsys.readouterr().out


def test_a_cache_with_other_settings_is_left_to_prepare_to_refuse(with_faces):
    other = PrepConfig(face_crop="pad")
    assert demo.demo_cache_config(with_faces, other) == other and with_faces.exists()


def test_face_reading_systems_refuse_a_cache_without_face_canvases_before_any_work(without_faces, with_faces):
    whole_face = STFF(get_preset("strict", region_mode="whole_face"))
    with RegionCache(without_faces) as cache, pytest.raises(InputError, match="region_mode=whole_face") as error:
        whole_face.protocol_items(cache)
    assert str(without_faces) in str(error.value)
    with RegionCache(without_faces) as cache, pytest.raises(InputError, match="MEAN reads the face canvases"):
        MEAN.from_preset().protocol_items(cache)
    with RegionCache(without_faces) as cache:
        assert len(STFF(get_preset("strict")).protocol_items(cache)) == 9     # the regions suffice
    with RegionCache(with_faces) as cache:
        assert len(whole_face.protocol_items(cache)) == 9
