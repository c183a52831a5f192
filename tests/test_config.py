"""Presets, overrides and the JSON round trip of micro_expr.stff.config."""
import json

import pytest

from micro_expr.core.config import flat  # {'preset': ..., 'spatial.patches': ...}: one entry per field
from micro_expr.stff.config import (PRESETS, REGION_SUBSETS, STFFConfig, SpatialConfig, get_preset,
                               keras_initializer, override)




def differences(a, b):
    fa, fb = flat(a), flat(b)
    return {key: (fa[key], fb[key]) for key in fa if fa[key] != fb[key]}


def test_default_is_strict():
    assert get_preset() == get_preset("strict")


def test_strict_is_paper_with_per_fold_spatial_training_and_the_codes_initialisers():
    # The paper's normal(0, 1) initialisers do not train (measured on the demo, see _strict).
    assert differences(get_preset("paper"), get_preset("strict")) == {
        "preset": ("paper", "strict"),
        "spatial.split": ("frame50", "per_fold"),
        "spatial.conv_init": (1.0, 0.1),
        "spatial.se_init": (1.0, 0.1),
        "spatial.dense_init": (1.0, 0.01),
        "spatial.classifier_init": (1.0, "glorot_uniform"),
        "temporal.lstm_init": (1.0, 0.01),
        "temporal.lstm_recurrent_init": (1.0, "orthogonal"),
        "temporal.se_squeeze_init": (1.0, 0.01),
        "temporal.se_excite_init": (1.0, "glorot_uniform"),
        "temporal.dense_init": (1.0, 0.1),
        "temporal.classifier_init": (1.0, "glorot_uniform"),
    }


def test_every_difference_between_paper_and_code_is_one_named_field():
    # The spec's list (original-code.md sections 1-4), one switch each.
    assert differences(get_preset("paper"), get_preset("original")) == {
        "preset": ("paper", "original"),
        "spatial.patch_mode": ("paper", "original"),
        "spatial.region_size_table": ("normalized", "canvas"),
        "spatial.input_scaling": ("unit", "symmetric"),
        "spatial.se": ("paper", "original"),
        "spatial.conv_init": (1.0, 0.1),
        "spatial.se_init": (1.0, 0.1),
        "spatial.dense_init": (1.0, 0.01),
        "spatial.classifier_init": (1.0, "glorot_uniform"),
        "spatial.focal": ("paper", "original_spatial"),
        "spatial.batch_size": (128, 32),
        "temporal.se_activation": ("relu", "leaky_relu"),
        "temporal.lstm_init": (1.0, 0.01),
        "temporal.lstm_recurrent_init": (1.0, "orthogonal"),
        "temporal.se_squeeze_init": (1.0, 0.01),
        "temporal.se_excite_init": (1.0, "glorot_uniform"),
        "temporal.dense_init": (1.0, 0.1),
        "temporal.dense_l1": (0.0, 1e-5),
        "temporal.classifier_init": (1.0, "glorot_uniform"),
        "temporal.padding": ("post", "pre"),
        "temporal.masking": (True, False),
        "temporal.cast_int32": (False, True),
        "temporal.standardize": ("sequence", "none"),
        "temporal.focal": ("paper", "original_temporal"),
        "temporal.learning_rate": (5e-5, 1e-4),
        # Issue 20: what the code computed (docs/original-code.md).
        "spatial.resize_antialias": (True, False),
        "spatial.class_weights": ("balanced", "none"),
        "spatial.split_draw": ("numpy", "sklearn"),
        "temporal.recurrent_activation": ("sigmoid", "hard_sigmoid_keras2"),
    }


def test_shared_values_of_all_presets():
    for name in PRESETS:
        c = get_preset(name)
        spatial = c.spatial
        assert (spatial.patches, spatial.learning_rate, spatial.epochs, spatial.shuffle_buffer) == (9, 1e-4, 60, 400)
        assert (c.temporal.batch_size, c.temporal.epochs, c.temporal.sequence_length) == (128, 250, 250)
        assert (c.spatial.split_fraction, c.spatial.split_seed, c.seed) == (0.5, 42, 42)
        assert c.fusion == "both" and c.regions == (0, 1, 2, 3, 4, 5) and c.region_labels


@pytest.mark.parametrize("name", PRESETS)
def test_json_round_trip(name):
    config = override(get_preset(name), fusion="temporal", regions="no_nose", **{"spatial.head_units": (1024, 250, 20)})
    text = json.dumps(config.to_dict())
    assert STFFConfig.from_dict(json.loads(text)) == config
    assert json.loads(text)["regions"] == [0, 1, 3, 4, 5]


def test_from_dict_rejects_unknown_fields():
    data = get_preset().to_dict()
    data["spatial"]["patchez"] = 4
    with pytest.raises(ValueError, match="patchez"):
        STFFConfig.from_dict(data)


def test_dotted_overrides_change_one_field():
    config = override(get_preset("paper"), **{"spatial.patches": 16, "temporal.padding": "pre", "seed": 7})
    assert differences(get_preset("paper"), config) == {
        "spatial.patches": (9, 16), "temporal.padding": ("post", "pre"), "seed": (42, 7)}
    with pytest.raises(ValueError):
        override(config, **{"spatial.nonsense": 1})
    with pytest.raises(ValueError):
        override(config, **{"model.patches": 1})


@pytest.mark.parametrize("fusion, spatial_se, temporal_se", [
    ("none", "none", False), ("spatial", "original", False), ("temporal", "none", True), ("both", "original", True)])
def test_fusion_sets_both_switches_and_keeps_the_variant(fusion, spatial_se, temporal_se):
    config = override(get_preset("original"), fusion=fusion)
    assert (config.spatial.se, config.temporal.se, config.fusion) == (spatial_se, temporal_se, fusion)
    # Back on after 'none': the paper variant.
    assert override(config, fusion="both").spatial.se == ("paper" if fusion in ("none", "temporal") else "original")


def test_region_subsets_and_whole_face():
    assert REGION_SUBSETS["no_cheeks"] == (0, 1, 2, 5) and REGION_SUBSETS["no_nose"] == (0, 1, 3, 4, 5)
    config = override(get_preset(), regions="no_cheeks")
    assert config.region_names == ("R0", "R1", "R2", "R5")
    assert config.region_sizes == ((81, 102), (81, 102), (81, 120), (60, 160))
    face = override(get_preset(), regions="whole_face")
    assert face.region_mode == "whole_face" and face.region_names == ("face",)
    assert face.region_sizes == ((280, 240),) and face.patch_sizes == ((93, 80),)
    assert face.region_class_names == (("negative", "positive", "surprise"),)
    with pytest.raises(ValueError):
        override(get_preset(), regions="no_eyes")
    with pytest.raises(ValueError):
        override(get_preset(), regions=(0, 0))


def test_patch_sizes_per_mode():
    # paper: normalised region (STFF Table 2) split 3 x 3; original: the code's one size for every
    # region, half the mean canvas box (mean width 100, mean height 70) with rows and columns swapped.
    assert get_preset("paper").patch_sizes == ((27, 34), (27, 34), (27, 40), (20, 20), (20, 20), (20, 53))
    assert get_preset("original").patch_sizes == ((50, 35),) * 6


@pytest.mark.parametrize("protocol, region_labels, sizes, k", [
    ("megc", True, (3, 3, 2, 2, 2, 3), 3),
    ("megc", False, (3, 3, 3, 3, 3, 3), 3),
    ("au5", True, (5, 5, 2, 2, 2, 4), 5),
    ("au5", False, (5, 5, 5, 5, 5, 5), 5),
])
def test_region_class_counts(protocol, region_labels, sizes, k):
    config = override(get_preset(), protocol=protocol, region_labels=region_labels)
    assert tuple(len(c) for c in config.region_class_names) == sizes
    assert config.n_classes == k


def test_invalid_values_are_rejected():
    for bad in ({"patches": 5}, {"se": "cbam"}, {"patch_mode": "x"}, {"input_scaling": "z"}, {"se_ratio": 0}):
        with pytest.raises(ValueError):
            SpatialConfig(**bad)
    with pytest.raises(ValueError):
        override(get_preset(), loss="hinge")
    with pytest.raises(ValueError):
        get_preset("nonexistent")


def test_keras_initializer():
    normal = keras_initializer(0.1)
    assert type(normal).__name__ == "RandomNormal" and normal.stddev == 0.1 and normal.mean == 0.0
    assert type(keras_initializer("glorot_uniform")).__name__ == "GlorotUniform"


def test_the_preset_table_of_the_docs_is_generated_from_the_presets():
    from pathlib import Path

    from micro_expr.stff.config import preset_table_markdown

    text = (Path(__file__).parent.parent / "docs" / "presets.md").read_text()
    block = text.split("<!-- preset-table -->\n")[1].split("<!-- /preset-table -->")[0]
    assert block == preset_table_markdown()
    # strict differs from paper in the split and the ten initialisers, nothing else
    rows = [line for line in block.splitlines()[2:]]
    strict_vs_paper = [r.split("|")[1].strip(" `") for r in rows if r.split("|")[3] != r.split("|")[5]]
    assert len(strict_vs_paper) == 11 and "spatial.split" in strict_vs_paper
    assert all(name.endswith("_init") for name in strict_vs_paper if name != "spatial.split")
