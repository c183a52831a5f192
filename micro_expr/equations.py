"""The equations and tables of the papers, the code that implements each and the tests that check it.

One data table, :data:`ROWS`: one :class:`Row` per numbered equation, table
(and, for the Aouayeb et al. 2019 slides, which number neither, per slide) of
every paper of :data:`micro_expr.papers.SOURCES`. ``docs/equations.md`` is
generated from it (:func:`render`); edit the rows here, then run::

    python -m micro_expr.equations --write     # rewrite docs/equations.md
    python -m micro_expr.equations --check     # exit 1 when docs/equations.md is stale

``tests/test_equations.py`` checks that the Markdown equals :func:`render`,
that each row sits under its own paper's heading, that every table a seed text
captions has a row of its paper, and that every function and test named exists.
"""
import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from micro_expr.papers import SOURCES

DOC = Path("docs") / "equations.md"
STATUSES = ("planned: ", "not implemented: ", "not reproducible here: ")


@dataclass(frozen=True)
class Row:
    """One equation or table of one paper.

    ``ref`` is how the paper numbers it, without its key (MEAN Table 4 is
    ``Row("MEAN", "Table 4", ...)``; a slide's name for the Aouayeb et al.
    2019 slides); ``title`` is the paper's caption for a table and
    what the equation says for an equation; ``content`` adds how this
    project reads or runs it. ``implemented_by`` names ``module.path:attr``
    objects and ``tested_by`` ``tests/test_x.py::test_name`` tests; a row
    without them has a ``status`` that says so and why ("not implemented:
    <why>", "not reproducible here: <why>", "planned: <module>").
    """
    paper: str
    ref: str
    title: str
    content: str = ""
    implemented_by: tuple = ()
    tested_by: tuple = ()
    status: str = ""

    def __post_init__(self):
        if self.paper not in SOURCES:
            raise ValueError(f"{self.ref}: unknown paper {self.paper!r}; papers: {', '.join(SOURCES)}")
        if self.status and not self.status.startswith(STATUSES):
            raise ValueError(f"{self.paper} {self.ref}: status must start with one of {STATUSES}")
        if not self.status and not (self.implemented_by and self.tested_by):
            raise ValueError(f"{self.paper} {self.ref}: an implemented row names its functions and its tests")

    @property
    def implemented(self):
        return not self.status


INTRO = """\
# Equations and tables of the papers, and the code that implements them

Every equation and table of the five papers this project builds on, with the
function(s) that implement it (`module.path:attribute`) and the test(s) that
check it (`tests/test_x.py::test_name`), or a status that says why not.
This page is generated from `micro_expr/equations.py` (the rows) and
`micro_expr/papers.py` (the papers): edit those and run
`python -m micro_expr.equations --write`; `tests/test_equations.py` fails when
this file differs from the generated text, when a row sits under another
paper's heading, and when a function or test named here does not exist. It
also checks that every equation or table citation in the code names its
paper: **Eq. 7 of STFF and Eq. 7 of MEAN are different equations.** Cite a
paper by its key below (for example "STFF Eq. 9", "MEAN Eqs. 5-6",
"Aouayeb et al. 2021 Table 4"), never by the number of its seed file.
"""

SOURCES_NOTE = """\
Sources of the citations: authors and titles are those on the papers' first
pages, except for STFF, whose stored text starts at the abstract (its running
head reads "STFF for Micro-Expression Recognition"): its title, authors and
venue are those of the Frontiers article page, doi above. The stored MEAN text
does not print its venue; journal, volume and year are those of its doi. The
Aouayeb et al. 2019 slides name the venue (IEEE MLSP 2019, Pittsburgh) on
their title slide.

A table's "Content" starts with the paper's own caption (in italics), then
says how this project reads it. Status words in the "Implemented by" column:
a list of functions means implemented; "planned: <module>" means another
branch of the project adds it; "not implemented: <why>" and "not reproducible
here: <why>" say why not. Results tables (the papers' scores) are
"implemented" when the code that produces the same rows and columns exists;
the figures themselves need the real datasets (SMIC, CASME II, SAMM, ...),
which are not part of the repository.
"""

# Text under a paper's heading, before its table.
SECTION_NOTES = {
    "Aouayeb et al. 2019": "The slides number neither equations nor tables; they are named by their slide.",
}

ROWS = (
    Row('STFF', 'Eq. 1',
        title=('Patch encoder: H = maxP(Conv_8^3(maxP(Conv_4^5(P)))); Out = Concat(maxP(Conv_16^i(H)), i in {0, 1, 3, '
               '5, 7}), 72 channels'),
        implemented_by=('micro_expr.stff.models.patch_cnn:patch_encoder',),
        tested_by=('tests/test_models.py::test_encoder_count_by_hand',
                   'tests/test_models.py::test_spatial_shapes_by_hand',)),
    Row('STFF', 'Eq. 2',
        title='SE squeeze: GAP then FCL of se*F units with ReLU',
        implemented_by=('micro_expr.stff.models.se:squeeze_excite', 'micro_expr.stff.models.se:spatial_se'),
        tested_by=('tests/test_models.py::test_spatial_parameter_counts',
                   'tests/test_models.py::test_spatial_layer_shapes',)),
    Row('STFF', 'Eq. 3',
        title='SE excitation: FCL of F units with sigmoid (one weight per channel)',
        implemented_by=('micro_expr.stff.models.se:squeeze_excite',),
        tested_by=('tests/test_attention.py::test_patch_weights_are_the_mean_gate_of_each_patch_s_72_channels',)),
    Row('STFF', 'Eq. 4',
        title=("FM = Concat(Out of the m patches); SE(FM) = excitation(squeeze(FM)) * FM. The authors' code gates per "
               'pixel instead (preset `original`)'),
        implemented_by=('micro_expr.stff.models.spatial:build_spatial_model',
                        'micro_expr.stff.models.se:pixel_gate_se',),
        tested_by=('tests/test_models.py::test_spatial_parameter_counts',
                   'tests/test_models.py::test_spatial_counts_without_se',)),
    Row('STFF', 'Eq. 5',
        title='SF = FCL_256(FCL_2048(GAP(SE(FM)))), the 256-d spatial feature of a region per frame',
        implemented_by=('micro_expr.stff.models.spatial:build_spatial_model',
                        'micro_expr.stff.models.spatial:feature_extractor',
                        'micro_expr.stff.training:SpatialStage.features',),
        tested_by=('tests/test_models.py::test_forward_pass_features_and_attention',)),
    Row('STFF', 'Eq. 6',
        title='STF(r) = LSTM_64(SF_j(r), j = 1..N) per region, LeakyReLU, dropout 0.2',
        implemented_by=('micro_expr.stff.models.temporal:build_temporal_model', 'micro_expr.stff.training:pad'),
        tested_by=('tests/test_models.py::test_temporal_parameter_counts',
                   'tests/test_models.py::test_temporal_layer_shapes',
                   'tests/test_models.py::test_masking_ignores_post_padding',)),
    Row('STFF', 'Eq. 7',
        title='STF = SE(Concat(STF(r), r = 1..6)), the temporal SE fusion',
        implemented_by=('micro_expr.stff.models.se:temporal_se',
                        'micro_expr.stff.models.temporal:temporal_attention_model',),
        tested_by=('tests/test_models.py::test_temporal_attention',
                   'tests/test_attention.py::test_region_weights_are_the_mean_gate_of_each_region_s_lstm_units',)),
    Row('STFF', 'Eq. 8',
        title='P(S) = Softmax(FCL_K(FCL_256(STF)))',
        implemented_by=('micro_expr.stff.models.temporal:build_temporal_model',),
        tested_by=('tests/test_models.py::test_temporal_parameter_counts',
                   'tests/test_models.py::test_temporal_counts_of_variants',)),
    Row('STFF', 'Eq. 9',
        title=('Focal loss -sum_i alpha_i y_i (1 - p_i)^gamma log p_i, alpha by inverse class frequency, gamma = 2 '
               "(and the code's two variants)"),
        implemented_by=('micro_expr.stff.losses:FocalLoss',
                        'micro_expr.stff.losses:inverse_frequency_alpha',
                        'micro_expr.stff.losses:build_loss',
                        'micro_expr.stff.losses:BinaryFocalLoss',),
        tested_by=('tests/test_losses.py::test_focal_by_hand',
                   'tests/test_losses.py::test_focal_equals_keras_with_per_class_alpha',
                   'tests/test_losses.py::test_inverse_frequency_alpha_by_hand',
                   'tests/test_losses.py::test_build_loss_per_preset',)),
    Row('STFF', 'Eq. 10',
        title='UF1 = (1/C) sum_c 2TP_c / (2TP_c + FP_c + FN_c)',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',
                   'tests/test_metrics.py::test_matches_sklearn_when_every_class_is_present',)),
    Row('STFF', 'Eq. 11',
        title='UAR = (1/C) sum_c TP_c / N_c',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',
                   'tests/test_metrics.py::test_class_absent_from_the_ground_truth',)),
    Row('STFF', 'Table 1',
        title='Facial regions and corresponding AUs',
        content=('Facial regions and their AUs: eyes + eyebrows (1, 2, 4, 7), nose (9), cheeks (6), mouth (10, 12, 14,'
                 ' 15, 25). The regions are implemented as the six canvas boxes; the AU column is descriptive'),
        implemented_by=('data_prep.regions:REGIONS', 'data_prep.regions:cut_regions'),
        tested_by=('tests/test_attention.py::test_patch_boxes_tile_the_region_row_by_row',
                   'tests/test_demo_dataset.py::test_movement_is_local_to_its_regions',)),
    Row('STFF', 'Table 2',
        title=('The dimension for each region on each dataset and the mean between the three databases (CASME II, '
               'SAMM, SMIC)'),
        content='Region sizes per dataset (SMIC, CASME II, SAMM) and the normalised size',
        implemented_by=('data_prep.regions:region_sizes', 'micro_expr.stff.config:STFFConfig.region_sizes'),
        tested_by=('tests/test_config.py::test_patch_sizes_per_mode',
                   'tests/test_prepare.py::test_paper_sizes_every_frame_landmarks_and_face_canvas',)),
    Row('STFF', 'Table 3',
        title='Ablation study of the number of patches',
        content=('m = 1, 4, 9, 16 patches per region, 5-AU classification on SAMM + CASME II, LOSO: config field '
                 '`spatial.patches` (9 by default, the paper\'s choice), `python -m experiments.ablations table3`; '
                 'the m = 16 row trains with batch 32 as the paper'),
        implemented_by=('micro_expr.stff.config:SpatialConfig.patches',
                        'data_prep.regions:patch_size',
                        'data_prep.pipeline:split_patches',
                        'experiments.ablations:ABLATIONS',),
        tested_by=('tests/test_pipeline.py::test_patch_shapes_for_every_m',
                   'tests/test_ablations.py::test_paper_figures_are_the_seeds_figures',
                   'tests/test_ablations.py::test_table3_m16_row_trains_with_batch_32_as_the_paper',)),
    Row('STFF', 'Table 4',
        title='Distribution of classes according to the MEGC conditions',
        content='Class distribution of the MEGC 2019 composite (SMIC 70/51/43, CASME II 88/32/25, SAMM 92/26/15; 442)',
        implemented_by=('data_prep.protocols:megc_samples', 'data_prep.labels:megc_class'),
        tested_by=('tests/test_protocols.py::test_megc_counts_equal_seed001_table3',
                   'tests/test_protocols.py::test_megc_rows_reproduce_the_official_list_byte_for_byte',)),
    Row('STFF', 'Table 5',
        title='Performance of the spatial and temporal fusion blocks',
        content=('Ablation of the SE fusions (spatial / temporal / both); the "Aouayeb et al. (2019)" row is a run of '
                 'the predecessor CNN-LSTM (system `cnn_lstm`), `python experiments/ablations.py --only table5`'),
        implemented_by=('micro_expr.stff.config:set_fusion', 'experiments.ablations:ABLATIONS',
                        'experiments.ablations:row_run',),
        tested_by=('tests/test_config.py::test_fusion_sets_both_switches_and_keeps_the_variant',
                   'tests/test_models.py::test_temporal_counts_of_variants',
                   'tests/test_ablations.py::test_stff_table5_and_table7_take_the_predecessor_from_its_own_runs',
                   'tests/test_ablations.py::test_paper_figures_are_the_seeds_figures',)),
    Row('STFF', 'Table 6',
        title='Performance of using the customized label for each region to train the spatial model',
        content=('Label of the whole face vs label based on region for the spatial models (MEGC, LOSO): config '
                 'field `region_labels`, `python -m experiments.ablations table6`'),
        implemented_by=('micro_expr.stff.config:STFFConfig.region_labels',
                        'data_prep.labels:region_classes',
                        'data_prep.labels:region_label',
                        'experiments.ablations:ABLATIONS',),
        tested_by=('tests/test_config.py::test_region_class_counts',
                   'tests/test_protocols.py::test_region_labels_follow_the_spec',)),
    Row('STFF', 'Table 7',
        title='Performance on three classes based MEGC with LOSO-CV',
        content=('UAR, UF1 per dataset part and FULL (MEGC, LOSO): the predecessor CNN-LSTM\'s run (`cnn_lstm`) '
                 'beside STFF\'s, `python experiments/ablations.py --only table7`'),
        implemented_by=('micro_expr.core.metrics:per_dataset_breakdown', 'micro_expr.core.results:results_markdown',
                        'experiments.ablations:PART_TABLES', 'experiments.ablations:run_part_table',),
        tested_by=('tests/test_metrics.py::test_per_dataset_breakdown',
                   'tests/test_ablations.py::test_stff_table5_and_table7_take_the_predecessor_from_its_own_runs',
                   'tests/test_metrics.py::test_folds_two_accuracies_and_pooled_uf1',)),
    Row('STFF', 'Table 8',
        title='LOSO-CV performance of the proposed method, baselines, and the recent methods',
        content=('LOSO comparison with the state of the art (FULL, SMIC-HS, CASME II, SAMM). Our row comes from the '
                 'same breakdown as Table 7; the other rows are quoted scores of other methods, not rerun'),
        implemented_by=('micro_expr.core.metrics:per_dataset_breakdown', 'micro_expr.core.folds:loso_folds'),
        tested_by=('tests/test_metrics.py::test_per_dataset_breakdown',
                   'tests/test_runs.py::test_loso_and_cross_dataset_folds',)),
    Row('Aouayeb et al. 2021', 'Eq. 1',
        title='Problem formulation: c_i = argmax_k P(c_k | S) = argmax f_C(f_E(S))',
        implemented_by=('micro_expr.core.system:RecognitionSystem.fold_predictions',),
        tested_by=('tests/test_runs.py::test_outputs_of_a_loso_run',)),
    Row('Aouayeb et al. 2021', 'Eq. 2',
        title=('Spatial model: A = MP(Conv_8^3(MP(Conv_4^5))), B = GAP(concat of the five branches), SF = '
               'FCL_20(FCL_250(FCL_1024(B))), Out = FCL_k(r)(SF). The shared encoder A/B is STFF Eq. 1 '
               '(`micro_expr.stff.models.patch_cnn:patch_encoder`, m = 1); the 1024-250-20 head without SE is the '
               'predecessor preset'),
        implemented_by=('micro_expr.cnn_lstm.config:PRESET_OVERRIDES',
                        'micro_expr.cnn_lstm.system:CNNLSTM',
                        'micro_expr.stff.models.spatial:build_spatial_model',),
        tested_by=('tests/test_cnn_lstm.py::test_spatial_parameter_counts',
                   'tests/test_cnn_lstm.py::test_layer_shapes_of_the_whole_region_models',)),
    Row('Aouayeb et al. 2021', 'Eq. 3',
        title='Spatial loss L = FL(Softmax(FCL_k(r)(SF(r))), GT(r)) with per-region ground truth',
        implemented_by=('micro_expr.stff.losses:build_loss', 'micro_expr.stff.data:region_targets'),
        tested_by=('tests/test_losses.py::test_build_loss_per_preset',
                   'tests/test_pipeline.py::test_frame_dataset_reads_all_regions_once_with_labels_and_weights',)),
    Row('Aouayeb et al. 2021', 'Eq. 4',
        title='Categorical cross-entropy CE(p, y) = -sum_i y_i log p_i (the `loss = "cross_entropy"` switch)',
        implemented_by=('micro_expr.stff.losses:stage_loss', 'micro_expr.stff.losses:class_weights'),
        tested_by=('tests/test_losses.py::test_gamma_zero_is_cross_entropy',
                   'tests/test_losses.py::test_build_loss_per_preset',)),
    Row('Aouayeb et al. 2021', 'Eq. 5',
        title='Focal loss FL(p, y) = -sum_i alpha_i y_i (1 - p_i)^gamma log p_i (= STFF Eq. 9)',
        implemented_by=('micro_expr.stff.losses:FocalLoss', 'micro_expr.stff.losses:inverse_frequency_alpha'),
        tested_by=('tests/test_losses.py::test_focal_by_hand',
                   'tests/test_losses.py::test_focal_equals_keras_with_per_class_alpha',)),
    Row('Aouayeb et al. 2021', 'Eq. 6',
        title='STF_r = LSTM_r(SF_1(r), ..., SF_N(r)), zero padding to N',
        implemented_by=('micro_expr.stff.models.temporal:build_temporal_model', 'micro_expr.stff.training:pad'),
        tested_by=('tests/test_models.py::test_temporal_layer_shapes',
                   'tests/test_models.py::test_masking_ignores_post_padding',)),
    Row('Aouayeb et al. 2021', 'Eq. 7',
        title="Out_C = FCL_K(FCL_256(concat of STF_r)): the temporal model without SE (fusion 'none' or 'spatial')",
        implemented_by=('micro_expr.stff.models.temporal:build_temporal_model', 'micro_expr.stff.config:set_fusion'),
        tested_by=('tests/test_models.py::test_temporal_counts_of_variants',)),
    Row('Aouayeb et al. 2021', 'Eq. 8',
        title='UF1 = (1/C) sum_c F1_c, F1_c = 2TP_c / (2TP_c + FP_c + FN_c)',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',)),
    Row('Aouayeb et al. 2021', 'Eq. 9',
        title='UAR = (1/C) sum_c ACC_c, ACC_c = TP_c / N_c',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',)),
    Row('Aouayeb et al. 2021', 'Table 1',
        title='The ROIs and their corresponding emotions',
        content=('Regions of interest and their emotions (happiness, disgust, surprise, repression, sadness, '
                 'contempt); per emotion (`region_label_mode = "emotion"`, the predecessor\'s presets) or mapped to the'
                 ' 3 classes (STFF presets)'),
        implemented_by=('data_prep.labels:EMOTION_REGIONS',
                        'data_prep.labels:emotion_region_classes',
                        'data_prep.labels:emotion_region_label',
                        'micro_expr.stff.data:region_targets',
                        'data_prep.labels:REGION_INVOLVEMENT',
                        'data_prep.labels:region_classes',),
        tested_by=('tests/test_cnn_lstm.py::test_region_labels_per_emotion_on_the_real_coding_sheets',
                   'tests/test_cnn_lstm.py::test_region_targets_read_the_clips_emotion',
                   'tests/test_protocols.py::test_region_labels_follow_the_spec',
                   'tests/test_config.py::test_region_class_counts',)),
    Row('Aouayeb et al. 2021', 'Table 2',
        title='Summary of three publicly available datasets (SMIC, CASME II, SMM) of spontaneous MiEs',
        content='Summary of SMIC, CASME II, SAMM (sequences, participants, resolution, frame rate, classes)',
        implemented_by=('data_prep.datasets:read_dataset', 'data_prep.datasets:FPS'),
        tested_by=('tests/test_prepare.py::test_samm_and_smic_layouts',
                   'tests/test_demo_dataset.py::test_casme2_reader_reads_the_demo_unchanged',)),
    Row('Aouayeb et al. 2021', 'Table 3',
        title='Summary of the MEGC 2019 conditions to get the FULL dataset',
        content='MEGC 2019 conditions: the FULL dataset, 250/109/83 = 442',
        implemented_by=('data_prep.protocols:megc_samples', 'data_prep.protocols:class_counts'),
        tested_by=('tests/test_protocols.py::test_megc_counts_equal_seed001_table3',)),
    Row('Aouayeb et al. 2021', 'Table 4',
        title='The total number of movements assigned to the new classes for both SAMM and CASME II',
        content='Objective classes I-VII per dataset (CASME II, SAMM)',
        implemented_by=('data_prep.protocols:au5_samples', 'data_prep.objective_classes:objective_class'),
        tested_by=('tests/test_protocols.py::test_au5_counts_per_source',
                   'tests/test_coding_sheets.py::test_objective_class_rules',)),
    Row('Aouayeb et al. 2021', 'Table 5',
        title='Evaluation of the model with different regions on the FULL dataset',
        content='Ablation of the regions: whole face / no cheeks / no nose / all regions',
        implemented_by=('micro_expr.stff.config:set_regions',
                        'micro_expr.stff.config:REGION_SUBSETS',
                        'experiments.predecessor_tables:ABLATION_TABLES',),
        tested_by=('tests/test_config.py::test_region_subsets_and_whole_face',
                   'tests/test_models.py::test_whole_face_mode_builds_one_region',
                   'tests/test_ablations.py::test_whole_face_is_skipped_with_a_note_when_the_cache_has_no_faces',)),
    Row('Aouayeb et al. 2021', 'Table 6',
        title='Evaluation of the proposed model depending on the CNN architecture on the FULL dataset',
        content=('Proposed shallow CNN vs a simple CNN (Figure 10; its drawing is not in the stored text: our reading '
                 "chains the proposed CNN's six convolutions)"),
        implemented_by=('micro_expr.stff.models.classic_cnn:classic_encoder',
                        'experiments.predecessor_tables:ABLATION_TABLES',),
        tested_by=('tests/test_cnn_lstm.py::test_spatial_parameter_counts',
                   'tests/test_cnn_lstm.py::test_classic_cnn_learns_a_bright_bar',
                   'tests/test_predecessor_tables.py::test_table6_on_a_prepared_cache',)),
    Row('Aouayeb et al. 2021', 'Table 7',
        title='Evaluation of the proposed model depending on loss function on the FULL dataset',
        content='Cross-entropy vs focal loss (alpha = 1/2, gamma = 2: `focal = "constant"`)',
        implemented_by=('micro_expr.stff.losses:stage_loss',
                        'micro_expr.stff.losses:class_weights',
                        'experiments.predecessor_tables:ABLATION_TABLES',),
        tested_by=('tests/test_predecessor_tables.py::test_paper_figures_are_the_papers',
                   'tests/test_losses.py::test_build_loss_per_preset',)),
    Row('Aouayeb et al. 2021', 'Table 8',
        title='LOSO-CV performance of the proposed method, baselines and the recent methods',
        content=('LOSO comparison under MEGC conditions (FULL, SMIC, CASME II, SAMM). Our row: the breakdown below; '
                 'the other rows are quoted scores of other methods'),
        implemented_by=('micro_expr.core.metrics:per_dataset_breakdown',),
        tested_by=('tests/test_metrics.py::test_per_dataset_breakdown',)),
    Row('Aouayeb et al. 2021', 'Table 9',
        title=('LOSO-CV performance of the proposed method and state-of-the-art based on the 5 classes of AUs on CASME'
               ' II and SAMM datasets'),
        content='LOSO comparison on 5 objective classes (F1-score, accuracy)',
        implemented_by=('micro_expr.core.metrics:evaluate', 'data_prep.protocols:au5_samples'),
        tested_by=('tests/test_metrics.py::test_folds_two_accuracies_and_pooled_uf1',
                   'tests/test_protocols.py::test_au5_counts_per_source',)),
    Row('Aouayeb et al. 2021', 'Table 10',
        title='Performance of the proposed method under the MEGC with LOSO-CV',
        content='UF1, UAR under MEGC with LOSO per dataset part',
        implemented_by=('micro_expr.core.metrics:per_dataset_breakdown',
                        'micro_expr.core.results:results_markdown',
                        'experiments.predecessor_tables:run_part_table',),
        tested_by=('tests/test_metrics.py::test_per_dataset_breakdown',
                   'tests/test_predecessor_tables.py::test_rows_without_their_datasets_are_not_run_and_say_why',)),
    Row('Aouayeb et al. 2021', 'Table 11',
        title='Performance of the proposed method in 5 classes based on AUs with LOSO-CV',
        content='UF1 and accuracy per part (CASME II + SAMM, CASME II, SAMM), 5 objective classes, LOSO',
        implemented_by=('micro_expr.core.metrics:evaluate', 'micro_expr.core.metrics:per_dataset_breakdown'),
        tested_by=('tests/test_metrics.py::test_folds_two_accuracies_and_pooled_uf1',
                   'tests/test_metrics.py::test_per_dataset_breakdown',)),
    Row('Aouayeb et al. 2021', 'Table 12',
        title='Cross dataset performance of the proposed method under the MEGC challenge',
        content=("Cross-dataset evaluation under MEGC (nine train/test pairs); the 'frame50' split draws no "
                 'test-dataset frame'),
        implemented_by=('micro_expr.core.runner:cross_dataset_folds',
                        'experiments.predecessor_tables:run_cross_table',
                        'micro_expr.stff.splits:frame50_indices',),
        tested_by=('tests/test_runs.py::test_loso_and_cross_dataset_folds',
                   'tests/test_predecessor_tables.py::test_cross_dataset_rows_run_on_the_named_datasets',
                   'tests/test_splits.py::test_cross_dataset_never_draws_test_frames',)),
    Row('Aouayeb et al. 2021', 'Table 13',
        title='Cross dataset performance of the proposed method in 5 classes based on AU',
        content='Cross-dataset evaluation, 5 objective classes (CASME II <-> SAMM)',
        implemented_by=('micro_expr.core.runner:cross_dataset_folds',
                        'data_prep.protocols:au5_samples',
                        'experiments.predecessor_tables:run_cross_table',),
        tested_by=('tests/test_runs.py::test_loso_and_cross_dataset_folds',)),
    Row('Aouayeb et al. 2019', 'Slide "Evaluation Metric": UF1',
        title='F1_c = 2TP_c / (2TP_c + FP_c + FN_c), UF1 = mean of F1_c',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',)),
    Row('Aouayeb et al. 2019', 'Slide "Evaluation Metric": UAR',
        title='UAR = (1/C) sum_c ACC_c, ACC_c = TP_c / N_c',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',)),
    Row('Aouayeb et al. 2019', 'Slide "Proposed solution": CNN',
        title=('Shallow inception-style CNN per region (the encoder is STFF Eq. 1, '
               "`micro_expr.stff.models.patch_cnn:patch_encoder`) with the predecessor's head"),
        implemented_by=('micro_expr.cnn_lstm.system:CNNLSTM', 'micro_expr.cnn_lstm.config:get_preset'),
        tested_by=('tests/test_cnn_lstm.py::test_spatial_parameter_counts',)),
    Row('Aouayeb et al. 2019', 'Slide "Proposed solution": LSTM',
        title='One LSTM per region on the CNN features, concatenated, FCL classifier',
        implemented_by=('micro_expr.cnn_lstm.system:CNNLSTM', 'micro_expr.stff.models.temporal:build_temporal_model'),
        tested_by=('tests/test_cnn_lstm.py::test_temporal_parameter_count',)),
    Row('Aouayeb et al. 2019', 'Slide table: provided databases',
        title='SMIC, CASME II, SAMM: participants, frame rate, frames, duration, onset/apex/offset, classes, samples',
        implemented_by=('data_prep.datasets:read_dataset',),
        tested_by=('tests/test_prepare.py::test_samm_and_smic_layouts',)),
    Row('Aouayeb et al. 2019', 'Slide table: 3 classes',
        title='MEGC 2019 composite distribution (250/109/83 = 442)',
        implemented_by=('data_prep.protocols:megc_samples',),
        tested_by=('tests/test_protocols.py::test_megc_counts_equal_seed001_table3',)),
    Row('Aouayeb et al. 2019', 'Slide: network settings',
        title='CNNs batch 64, 100 epochs; LSTM + FCL batch 244, 60 epochs (preset `mlsp2019`)',
        implemented_by=('micro_expr.cnn_lstm.config:MLSP2019_SCHEDULES',),
        tested_by=('tests/test_cnn_lstm.py::test_presets_are_the_papers_switches',)),
    Row('Aouayeb et al. 2019', 'Slide: confusion matrix',
        title='FULL, MEGC 2019 conditions (accuracy 0.9095, UAR 0.9018, UF1 0.9022)',
        implemented_by=('micro_expr.core.metrics:evaluate',
                        'micro_expr.core.plots:plot_confusion',
                        'micro_expr.core.results:classification_results',),
        tested_by=('tests/test_metrics.py::test_hand_example', 'tests/test_runs.py::test_outputs_of_a_loso_run')),
    Row('Aouayeb et al. 2019', 'Slide table: comparison',
        title=('UF1 / UAR of LBP-TOP, Bi-WOOF, OFF-ApexNet, ... and the proposed method on FULL, SMIC, CASME II, SAMM;'
               ' the other rows are quoted scores'),
        implemented_by=('micro_expr.core.metrics:per_dataset_breakdown',),
        tested_by=('tests/test_metrics.py::test_per_dataset_breakdown',)),
    Row('Zhu et al. 2023', 'Eq. 1',
        title='BIA attention weight p_i = phi(c_i) of identification block i',
        implemented_by=('micro_expr.gia_bia.model:build_model', 'micro_expr.gia_bia.layers:Weighted'),
        tested_by=('tests/test_gia_bia_model.py::test_tiny_layer_shapes_and_parameter_counts',
                   'tests/test_gia_bia_model.py::test_explain_reads_the_attention_weights_and_draws_them',)),
    Row('Zhu et al. 2023', 'Eq. 2',
        title='BIA feature learning c~_i = tau(c_i)',
        implemented_by=('micro_expr.gia_bia.layers:PerBlockDense',),
        tested_by=('tests/test_gia_bia_model.py::test_tiny_layer_shapes_and_parameter_counts',)),
    Row('Zhu et al. 2023', 'Eq. 3',
        title='Weighted block feature alpha_i = p_i * c~_i',
        implemented_by=('micro_expr.gia_bia.layers:Weighted',),
        tested_by=('tests/test_gia_bia_model.py::test_explain_reads_the_attention_weights_and_draws_them',)),
    Row('Zhu et al. 2023', 'Eq. 4',
        title='24 IBs: identification point 23 = (x_49 - 16, y_49 - 16) of the 72 key points',
        implemented_by=('data_prep.key_regions.points:points_24',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 5',
        title='24 IBs: identification point 24 = (x_55 + 16, y_55 + 16)',
        implemented_by=('data_prep.key_regions.points:points_24',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 6',
        title='10 IBs: point 9 = (x_8 - width, y_8)',
        implemented_by=('data_prep.key_regions.points:points_10',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 7',
        title='10 IBs: point 10 = (x_8 + width, y_8)',
        implemented_by=('data_prep.key_regions.points:points_10',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 8',
        title='10 IBs: point 6 = (x_37 - width/2, y_37)',
        implemented_by=('data_prep.key_regions.points:points_10',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 9',
        title='10 IBs: point 7 = (x_46 + width/2, y_46)',
        implemented_by=('data_prep.key_regions.points:points_10',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 10',
        title='10 IBs: point 4 = (x_32 - width/2, y_32)',
        implemented_by=('data_prep.key_regions.points:points_10',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 11',
        title='10 IBs: point 5 = (x_36 + width/2, y_36)',
        implemented_by=('data_prep.key_regions.points:points_10',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 12',
        title='10 IBs: point 3 = (x_9 - width/2, y_9)',
        implemented_by=('data_prep.key_regions.points:points_10',),
        tested_by=('tests/test_gia_bia_regions.py::test_identification_points_on_a_real_face',)),
    Row('Zhu et al. 2023', 'Eq. 13',
        title='Bi-LSTM forward hidden state',
        implemented_by=('micro_expr.gia_bia.model:build_model',),
        tested_by=('tests/test_gia_bia_model.py::test_tiny_layer_shapes_and_parameter_counts',)),
    Row('Zhu et al. 2023', 'Eq. 14',
        title='Bi-LSTM backward hidden state',
        implemented_by=('micro_expr.gia_bia.model:build_model',),
        tested_by=('tests/test_gia_bia_model.py::test_tiny_layer_shapes_and_parameter_counts',)),
    Row('Zhu et al. 2023', 'Eq. 15',
        title='Bi-LSTM output y_t from both directions',
        implemented_by=('micro_expr.gia_bia.model:build_model',),
        tested_by=('tests/test_gia_bia_model.py::test_tiny_layer_shapes_and_parameter_counts',)),
    Row('Zhu et al. 2023', 'Eq. 16',
        title='Frame difference f(x_i, x_j) = (|x_i - x_j| + 1) / (|x_i - x_{i-1}| + 1) for apex spotting',
        implemented_by=('data_prep.key_regions.temporal:frame_differences',),
        tested_by=('tests/test_gia_bia_regions.py::test_frame_differences_match_eq_16_17_by_hand',)),
    Row('Zhu et al. 2023', 'Eq. 17',
        title='dif_i = f(x_i, x_on) + f(x_i, x_off); apex = argmax',
        implemented_by=('data_prep.key_regions.temporal:relabel_apex',),
        tested_by=('tests/test_gia_bia_regions.py::test_frame_differences_match_eq_16_17_by_hand',)),
    Row('Zhu et al. 2023', 'Eq. 18',
        title='UF1 = (1/C) sum_i 2TP_i / (2TP_i + FP_i + FN_i) (= STFF Eq. 10)',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',)),
    Row('Zhu et al. 2023', 'Eq. 19',
        title='UAR = (1/C) sum_i TP_i / N_i (= STFF Eq. 11)',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_hand_example',)),
    Row('Zhu et al. 2023', 'Eq. 20',
        title='Acc = TP / (TP + FP), i.e. correct over all predictions (`accuracy_pooled`)',
        implemented_by=('micro_expr.core.metrics:scores_from_confusion',),
        tested_by=('tests/test_metrics.py::test_folds_two_accuracies_and_pooled_uf1',)),
    Row('Zhu et al. 2023', 'Table 1',
        title='Dataset division on CASME II',
        content='Negative (repression, disgust) 251, positive (happiness) 109, surprise 86',
        status=("not reproducible here: it sums to 446 samples of CASME II's 255 clips and the paper names no "
                'sample, so the division cannot be rebuilt (docs/gia_bia.md); the runner uses the MEGC 2019 '
                'CASME II part')),
    Row('Zhu et al. 2023', 'Table 2',
        title='Dataset division on SAMM',
        content='Negative (disgust, contempt, anger, sadness, fear) 83, positive 26, surprise 14',
        status=('not reproducible here: the paper names no sample of its 123 (docs/gia_bia.md); the runner uses '
                'the MEGC 2019 SAMM part (92/26/15 = 133)')),
    Row('Zhu et al. 2023', 'Table 3',
        title='Dataset division on SMIC',
        content='Negative 65, positive 51, surprise 40',
        status=('not reproducible here: 156 of SMIC-HS\'s 164 clips and the paper does not say which were '
                'dropped (docs/gia_bia.md); the runner uses all 164 (MEGC 2019)')),
    Row('Zhu et al. 2023', 'Table 4',
        title='Dataset division on MEGC composite dataset',
        content='SMIC 156, CASME II 149, SAMM 133 = 438 (negative / positive / surprise per dataset)',
        implemented_by=('data_prep.protocols:megc_samples',),
        status=('not reproducible here: the paper does not say which SMIC samples were dropped or which CASME II '
                'samples were added to the official MEGC 2019 list of 442 (docs/gia_bia.md), which the runner '
                'uses instead')),
    Row('Zhu et al. 2023', 'Table 5',
        title='The training results of different IBs',
        content='Results without IBs, with 24 IBs and with 10 IBs on CASME II, SAMM, SMIC, MEGC',
        implemented_by=('experiments.gia_bia_table5:run_table5',),
        tested_by=('tests/test_gia_bia_table5.py::test_table5_page_puts_the_papers_four_columns_beside_ours_and_warns',)),
    Row('Zhu et al. 2023', 'Table 6',
        title='Comparison of recognition effects of different algorithms',
        content='Acc, UF1, UAR of other algorithms beside the proposed method (10 IBs) on CASME II, SAMM, SMIC, MEGC',
        implemented_by=('experiments.gia_bia_table5:run_table5',),
        status=('not implemented: the other rows are quoted scores of other papers, not rerun; the proposed '
                'method\'s row is the 10-IB row of Zhu et al. 2023 Table 5')),
    Row('MEAN', 'Eq. 1',
        title='Optical flow OF = {(u_xy, v_xy)} between F_i and F_{i+k} (TV-L1)',
        implemented_by=('micro_expr.mean.features:optical_flow', 'micro_expr.mean.features:flow_features'),
        tested_by=('tests/test_mean_spotting.py::test_tvl1_flow_finds_a_one_pixel_shift',)),
    Row('MEAN', 'Eq. 2',
        title='Optical strain tensor from the flow derivatives',
        implemented_by=('micro_expr.mean.features:optical_strain',),
        tested_by=('tests/test_mean_spotting.py::test_optical_strain_of_a_linear_flow_is_constant',
                   'tests/test_mean_spotting.py::test_a_rotation_has_no_strain_and_a_translation_neither',)),
    Row('MEAN', 'Eq. 3',
        title='Optical strain magnitude sqrt(u_x^2 + v_y^2 + 1/2 (u_y + v_x)^2)',
        implemented_by=('micro_expr.mean.features:optical_strain',),
        tested_by=('tests/test_mean_spotting.py::test_optical_strain_of_a_linear_flow_is_constant',)),
    Row('MEAN', 'Eq. 4',
        title='(s^_i, c^_i) = M(u_i, v_i, e_i): the three-stream two-output network',
        implemented_by=('micro_expr.mean.model:build_mean', 'micro_expr.mean.model:shared_trunk'),
        tested_by=('tests/test_mean_model.py::test_shapes_follow_section_3_3',
                   'tests/test_mean_model.py::test_parameter_counts_match_hand_counts_and_the_paper',)),
    Row('MEAN', 'Eq. 5',
        title='Pseudo-label g(IoU): Heaviside step of the window / expression IoU',
        implemented_by=('micro_expr.mean.spotting:pseudo_labels',),
        tested_by=('tests/test_mean_spotting.py::test_pseudo_labels_mark_windows_that_overlap_the_expression',)),
    Row('MEAN', 'Eq. 6',
        title='IoU = (W n E) / (W u E) of the window and the expression',
        implemented_by=('micro_expr.mean.spotting:pseudo_labels', 'micro_expr.mean.metrics:interval_iou'),
        tested_by=('tests/test_mean_spotting.py::test_interval_iou_counts_frames',
                   'tests/test_mean_spotting.py::test_pseudo_labels_mark_windows_that_overlap_the_expression',)),
    Row('MEAN', 'Eq. 7',
        title='Spotting score s^(z) = sum w z + b, linear output',
        implemented_by=('micro_expr.mean.model:build_spotting_model',
                        'micro_expr.mean.model:task_head',
                        'micro_expr.mean.reference:reference_outputs',),
        tested_by=('tests/test_mean_model.py::test_shapes_follow_section_3_3',
                   'tests/test_mean_model.py::test_published_file_loads_and_matches_the_numpy_network',)),
    Row('MEAN', 'Eq. 8',
        title='Spotting loss: mean squared error',
        implemented_by=('micro_expr.mean.pipeline:train_fold',),
        tested_by=('tests/test_mean_spotting.py::test_mean_train_runs_a_tiny_fold',)),
    Row('MEAN', 'Eq. 9',
        title='Emotion probabilities: softmax over C classes',
        implemented_by=('micro_expr.mean.model:build_recognition_model', 'micro_expr.mean.reference:softmax'),
        tested_by=('tests/test_mean_model.py::test_shapes_follow_section_3_3',
                   'tests/test_mean_model.py::test_published_file_loads_and_matches_the_numpy_network',)),
    Row('MEAN', 'Eq. 10',
        title='Recognition loss: categorical cross-entropy (trunk frozen, inductive transfer)',
        implemented_by=('micro_expr.mean.pipeline:train_fold', 'micro_expr.mean.model:freeze_trunk'),
        tested_by=('tests/test_mean_spotting.py::test_mean_train_runs_a_tiny_fold',
                   'tests/test_mean_model.py::test_frozen_trunk_keeps_its_weights_while_the_recognition_head_learns',)),
    Row('MEAN', 'Eq. 11',
        title="Simple average smoothing over [i - k', i + k'], borders discarded",
        implemented_by=('micro_expr.mean.spotting:smooth_scores',),
        tested_by=('tests/test_mean_spotting.py::test_smoothing_averages_2k_plus_1_frames_and_drops_the_borders',
                   'tests/test_mean_spotting.py::test_clips_shorter_than_the_window_still_get_one_spot',)),
    Row('MEAN', 'Eq. 12',
        title='Peak threshold T = S_mean + p (S_max - S_mean), p = 0.55',
        implemented_by=('micro_expr.mean.spotting:peak_threshold', 'micro_expr.mean.spotting:find_spot_peaks'),
        tested_by=('tests/test_mean_spotting.py::test_threshold_and_peaks',)),
    Row('MEAN', 'Eq. 13',
        title='Apex spotting rate ASR',
        implemented_by=('micro_expr.mean.metrics:apex_spotting_rate',),
        tested_by=('tests/test_mean_spotting.py::test_apex_spotting_rate',)),
    Row('MEAN', 'Eq. 14',
        title='A spotted interval is a TP when its IoU with a ground truth is >= k_IoU = 0.5',
        implemented_by=('micro_expr.mean.metrics:match_intervals',),
        tested_by=('tests/test_mean_spotting.py::test_a_ground_truth_is_matched_once',
                   'tests/test_mean_spotting.py::test_spotting_counts_and_f1',)),
    Row('MEAN', 'Eq. 15',
        title='Spotting recall A / M, precision A / N',
        implemented_by=('micro_expr.mean.metrics:spotting_counts', 'micro_expr.mean.metrics:precision_recall_f1'),
        tested_by=('tests/test_mean_spotting.py::test_spotting_counts_and_f1',)),
    Row('MEAN', 'Eq. 16',
        title='Spotting F1_s = 2TP / (2TP + FP + FN) = 2A / (M + N)',
        implemented_by=('micro_expr.mean.metrics:precision_recall_f1',),
        tested_by=('tests/test_mean_spotting.py::test_spotting_counts_and_f1',)),
    Row('MEAN', 'Eq. 17',
        title='Average precision over the interpolated precision-recall curve; AP@[.5:.95]',
        implemented_by=('micro_expr.mean.metrics:average_precision',
                        'micro_expr.mean.metrics:average_precision_range',),
        tested_by=('tests/test_mean_spotting.py::test_average_precision_by_hand',
                   'tests/test_mean_spotting.py::test_average_precision_uses_the_interpolated_precision',)),
    Row('MEAN', 'Eq. 18',
        title='Analysis accuracy TP / (TP + FP)',
        implemented_by=('micro_expr.mean.metrics:analysis_scores',),
        tested_by=('tests/test_mean_spotting.py::test_analysis_scores_by_hand',)),
    Row('MEAN', 'Eq. 19',
        title='Analysis recall, macro-averaged',
        implemented_by=('micro_expr.mean.metrics:analysis_scores',),
        tested_by=('tests/test_mean_spotting.py::test_analysis_scores_by_hand',)),
    Row('MEAN', 'Eq. 20',
        title='Analysis precision, macro-averaged',
        implemented_by=('micro_expr.mean.metrics:analysis_scores',),
        tested_by=('tests/test_mean_spotting.py::test_analysis_scores_by_hand',)),
    Row('MEAN', 'Eq. 21',
        title='Analysis F1_a = 2 P R / (P + R)',
        implemented_by=('micro_expr.mean.metrics:analysis_scores',),
        tested_by=('tests/test_mean_spotting.py::test_analysis_scores_by_hand',)),
    Row('MEAN', 'Eq. 22',
        title='UF1',
        implemented_by=('micro_expr.mean.metrics:analysis_scores',),
        tested_by=('tests/test_mean_spotting.py::test_analysis_scores_by_hand',)),
    Row('MEAN', 'Eq. 23',
        title='UAR',
        implemented_by=('micro_expr.mean.metrics:analysis_scores',),
        tested_by=('tests/test_mean_spotting.py::test_analysis_scores_by_hand',)),
    Row('MEAN', 'Eq. 24',
        title='STRS = F1_s x F1_a',
        implemented_by=('micro_expr.mean.metrics:strs', 'micro_expr.mean.pipeline:summarise'),
        tested_by=('tests/test_mean_spotting.py::test_strs_multiplies_the_two_f1_scores',)),
    Row('MEAN', 'Table 1',
        title='Summary of datasets used for ME analysis',
        content=("Datasets: subjects, videos, samples, FPS, emotion classes, annotations and k' per dataset. The "
                 "short-video datasets read here are CASME II and SMIC-HS; k' is computed from the annotated "
                 "intervals"),
        implemented_by=('micro_expr.mean.spotting:half_expression_length',
                        'micro_expr.mean.pipeline:class_names',
                        'micro_expr.mean.config:MEANConfig.num_classes',),
        tested_by=('tests/test_mean_spotting.py::test_half_expression_length',
                   'tests/test_mean_spotting.py::test_mean_evaluate_runs_the_published_folds',)),
    Row('MEAN', 'Table 2',
        title=('Performance comparison for ME spotting and analysis (using all spotted intervals) in terms of ASR and '
               'F1-score metrics respectively on the short video datasets'),
        content=('ASR (spotting) and analysis F1 on the short video datasets (`python -m experiments.mean_tables '
                 "table2` on a run's predictions.csv)"),
        implemented_by=('micro_expr.mean.metrics:apex_spotting_rate',
                        'micro_expr.mean.metrics:analysis_scores',
                        'experiments.mean_tables:table2',),
        tested_by=('tests/test_mean_spotting.py::test_apex_spotting_rate',
                   'tests/test_mean_spotting.py::test_analysis_scores_by_hand',
                   'tests/test_mean_tables.py::test_table2_asr_and_analysis_over_all_spotted_intervals',)),
    Row('MEAN', 'Table 3',
        title='Performance comparison for ME analysis on SMIC-E-VIS dataset under different settings',
        content='Analysis accuracy on SMIC-E-VIS, all spotted intervals vs spotted TPs only',
        implemented_by=('experiments.mean_tables:table2',
                        'micro_expr.mean.metrics:analysis_scores',
                        'data_prep.long_videos:read_smic_e',),
        tested_by=('tests/test_mean_tables.py::test_table2_asr_and_analysis_over_all_spotted_intervals',
                   'tests/test_mean_long_videos.py::test_smic_e_reader_in_each_modality',)),
    Row('MEAN', 'Table 4',
        title='Performance comparison for ME spotting on the long videos in terms of F1-score',
        content=('Spotting F1 on the long videos (CAS(ME)^2, SAMM Long Videos): every peak above T (MEAN Eq. 12) over '
                 'whole videos, published folds; through the runner with `mer train --system mean --protocol '
                 'long-video`'),
        implemented_by=('data_prep.long_videos:read_long_videos',
                        'micro_expr.mean.long_video:evaluate_published',
                        'micro_expr.mean.long_video:LongVideoSet',
                        'micro_expr.mean.system:MEAN.protocol_items',
                        'micro_expr.core.runner:open_data',
                        'experiments.mean_tables:table4',),
        tested_by=('tests/test_mean_long_videos.py::test_long_video_spots_every_peak_and_matches_several_truths',
                   'tests/test_mean_long_videos.py::test_published_weight_sets_run_through_the_runner',
                   'tests/test_mean_long_videos.py::test_published_long_video_folds_run_through_the_runner',)),
    Row('MEAN', 'Table 5',
        title='Detailed results for ME spotting and analysis on short and long videos',
        content='TP, FP, FN, F1 of spotting and analysis and STRS per dataset',
        implemented_by=('micro_expr.mean.pipeline:summarise',
                        'micro_expr.mean.metrics:spotting_counts',
                        'micro_expr.mean.metrics:strs',),
        tested_by=('tests/test_mean_spotting.py::test_spotting_counts_and_f1',
                   'tests/test_mean_spotting.py::test_strs_multiplies_the_two_f1_scores',
                   'tests/test_mean_spotting.py::test_mean_evaluate_runs_the_published_folds',)),
    Row('MEAN', 'Table 6',
        title=('Performance comparison of ME spotting (F1-score), analysis (F1-score), and overall (STRS) using '
               'different k values on the CASME II dataset'),
        content=('Ablation of k = FPS x 0.05 / 0.10 / 0.15 s on CASME II: config field `flow_seconds`, one MEAN run '
                 'through the runner per value (`python -m experiments.mean_tables table6`)'),
        implemented_by=('micro_expr.mean.features:flow_distance',
                        'micro_expr.mean.pipeline:flow_k',
                        'experiments.mean_tables:table6',
                        'experiments.mean_tables:train_variants',),
        tested_by=('tests/test_mean_spotting.py::test_flow_distance_is_a_tenth_of_a_second',
                   'tests/test_mean_original.py::test_table6_k_follows_flow_seconds',
                   'tests/test_mean_tables.py::test_table6_runs_each_k_through_the_runner_and_resumes',)),
    Row('MEAN', 'Table 7',
        title=('Performance comparison of ME spotting (F1-score), analysis (F1-score), and overall (STRS) using '
               'different smoothing functions on the CASME II dataset'),
        content=('Smoothing functions: simple average, Gaussian (sd 1, 3), exponential (decay 1, 3): config field '
                 '`smoothing`; the table runs on synthetic scores (`python -m experiments.mean_tables table7`)'),
        implemented_by=('micro_expr.mean.spotting:smooth_scores', 'experiments.mean_tables:table7'),
        tested_by=('tests/test_mean_original.py::test_table7_smoothing_functions_weight_the_centre_more',
                   'tests/test_mean_tables.py::test_quick_synthetic_tables_print_ours_beside_the_paper',)),
    Row('MEAN', 'Table 8',
        title=('Performance comparison of ME analysis (using only spotted TP) between three different spotted interval'
               ' cases'),
        content=('Spotted interval cases for the analysis: onset to apex (case 1), apex only (case 2), onset to offset'
                 ' (case 3): config field `analysis_interval`; the table runs on synthetic scores (`python -m '
                 'experiments.mean_tables table8`)'),
        implemented_by=('micro_expr.mean.spotting:onset_to_apex_interval',
                        'micro_expr.mean.spotting:spotted_interval',
                        'micro_expr.mean.spotting:vote_emotion',
                        'experiments.mean_tables:table8',),
        tested_by=('tests/test_mean_spotting.py::test_spotted_intervals_and_the_emotion_vote',
                   'tests/test_mean_tables.py::test_quick_synthetic_tables_print_ours_beside_the_paper',)),
    Row('MEAN', 'Table 9',
        title=('Performance comparison of ME analysis (using only spotted TP) between MEAN architecture with and '
               'without ITL'),
        content=('MEAN with and without inductive transfer (ITL): config field `inductive_transfer` (`False`: '
                 'recognition on a second network trained from scratch), one run through the runner per strategy '
                 '(`python -m experiments.mean_tables table9`); learning curves as MEAN Fig. 6 with `mean_tables '
                 'curves`'),
        implemented_by=('micro_expr.mean.pipeline:train_fold',
                        'micro_expr.mean.model:freeze_trunk',
                        'experiments.mean_tables:table9',
                        'micro_expr.mean.system:learning_curves',),
        tested_by=('tests/test_mean_original.py::test_without_inductive_transfer_recognition_has_its_own_trunk',
                   'tests/test_mean_tables.py::test_table9_and_the_learning_curves_of_its_runs',)),
    Row('MEAN', 'Table 10',
        title='Performance comparison for ME spotting and analysis (using all spotted intervals) on MEVIEW',
        content='Spotting and analysis on MEVIEW (in the wild)',
        status='not implemented: no MEVIEW reader (the spotting and analysis metrics are those of MEAN Table 2)'),
)


def _cell(text):
    """Markdown table cell: a pipe inside it is ``\\|``."""
    return text.replace("|", "\\|")


def _code_list(names):
    return ", ".join(f"`{name}`" for name in names)


def row_cells(row):
    """The four cells (Ref, Content, Implemented by, Tested by) of ``row``."""
    is_table = row.ref.startswith("Table ")
    content = f"*{row.title}.* {row.content}" if is_table and row.content else (
        f"*{row.title}*" if is_table else row.title if not row.content else f"{row.title}. {row.content}")
    implemented = row.status if row.status else _code_list(row.implemented_by)
    if row.status and row.implemented_by:
        implemented += "; see " + _code_list(row.implemented_by)
    return [row.ref, content, implemented, _code_list(row.tested_by) if row.implemented else ""]


def row_line(row):
    """The Markdown table line of ``row``."""
    return "| " + " | ".join(_cell(c) if i < 2 else c for i, c in enumerate(row_cells(row))) + " |"


def rows_of(paper, rows=None):
    return [row for row in (ROWS if rows is None else rows) if row.paper == paper]


def key_table():
    lines = ["| Key | Paper | Seed file |", "|---|---|---|"]
    lines += [f"| {p.key} | {_cell(p.reference)} | `{p.seed_file}` |" for p in SOURCES.values()]
    return "\n".join(lines) + "\n"


def section(paper, rows=None):
    """``## <paper>``, its note and its table of rows."""
    parts = [f"## {paper}\n"]
    if paper in SECTION_NOTES:
        parts.append(SECTION_NOTES[paper] + "\n")
    lines = ["| Ref | Content | Implemented by | Tested by |", "|---|---|---|---|"]
    lines += [row_line(row) for row in rows_of(paper, rows)]
    parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def render(rows=None):
    """The whole text of docs/equations.md."""
    rows = ROWS if rows is None else rows
    unknown = sorted({row.paper for row in rows} - set(SOURCES))
    if unknown:
        raise ValueError(f"rows of unknown papers: {unknown}")
    parts = [INTRO, key_table(), SOURCES_NOTE] + [section(paper, rows) for paper in SOURCES]
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m micro_expr.equations",
                                     description="Generate docs/equations.md from micro_expr/equations.py.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite docs/equations.md")
    group.add_argument("--check", action="store_true", help="exit 1 when docs/equations.md differs")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    path = args.root / DOC
    text = render()
    if args.write:
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({len(ROWS)} rows)")
    elif args.check:
        same = path.is_file() and path.read_text(encoding="utf-8") == text
        print(f"{path} is {'up to date' if same else 'stale: run python -m micro_expr.equations --write'}")
        return 0 if same else 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
