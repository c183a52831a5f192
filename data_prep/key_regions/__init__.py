"""Key facial regions of Zhu et al. 2023 ("Micro-Expression Recognition Based on Spatio-Temporal Feature
Extraction of Key Regions"), section 4.2 and sections 3.2.2-3.2.3.

- :mod:`.temporal`: apex re-labelling by frame differences (Eq. 16-17) and TIM to a fixed number of frames;
- :mod:`.align`: eye-based alignment of the first frame and the square crop (224 x 224 in the paper);
- :mod:`.points`: the 24 identification points (Eq. 4-5) and the 10 FACS-based points (Eq. 6-12), and
  the identification blocks around them;
- :mod:`.clips`: the HDF5 cache of aligned TIM clips built from a region cache's face canvases.
"""
from data_prep.key_regions.align import align_clip, canvas_landmarks, eye_alignment
from data_prep.key_regions.points import BLOCK_SETS, block_boxes, points_10, points_24
from data_prep.key_regions.temporal import relabel_apex, tim_interpolate

__all__ = ["BLOCK_SETS", "align_clip", "block_boxes", "canvas_landmarks", "eye_alignment", "points_10",
           "points_24", "relabel_apex", "tim_interpolate"]
