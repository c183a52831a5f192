"""MEAN spotting: pseudo-labels for training and the post-processing of predicted scores (MEAN, section 3).

Frame indices here are indices of the spotting features: score i belongs to
the pair (F_i, F_{i+k}). Intervals are (first, last) with both ends included.
"""
from collections import Counter

import numpy as np


def half_expression_length(intervals):
    """k' = (N + 1) / 2 rounded down, N the mean length (offset - onset) of the MEs (section 3.3).

    Like the authors' code, the length of an interval is offset - onset.
    """
    lengths = [last - first for first, last in intervals]
    if not lengths:
        raise ValueError("k' needs at least one ground-truth interval")
    return max(1, int((np.mean(lengths) + 1) / 2))


def pseudo_labels(n_frames, intervals, k_prime):
    """Spotting targets s_j (MEAN Eqs. 5-6): 1 when the window [j, j + k' - 1] overlaps an ME, else 0.

    g(IoU) is the Heaviside step: any overlap (IoU > 0) gives 1.
    """
    labels = np.zeros(n_frames, dtype=np.float32)
    for first, last in intervals:
        # window [j, j + k' - 1] overlaps [first, last]  <=>  first - k' + 1 <= j <= last
        labels[max(0, first - k_prime + 1):max(0, last + 1)] = 1.0
    return labels


def smooth_scores(scores, k_prime, borders="discard", method="centered", short_clip="clip"):
    """Smoothed spotting scores, an array as long as ``scores`` (but see ``short_clip``).

    ``method``:

    - ``"centered"`` (the paper, MEAN Eq. 11): the simple average over [i - k', i + k'].
      ``borders="discard"``: the k' frames at each end are NaN, so no interval
      leaves the video; ``borders="shrink"``: there, the average of the frames of
      the window that exist (only for clips shorter than 2k' + 1, see ``spot_video``);
    - ``"same"`` (the authors' code): an even window of 2k' frames, [i - k', i + k' - 1],
      with zeros outside the video, divided by 2k' everywhere; no frame is dropped,
      so the borders are damped but can still hold the peak. ``short_clip="numpy"``: the
      code's own call, ``np.convolve(scores, np.ones(2k') / 2k', mode="same")``
      (training_utils.py:11-15), which returns max(len(scores), 2k') values: on a clip of
      fewer than 2k' scores the result is longer than the clip, its maximum is a plateau
      of equal sums starting mid-window, and the spotted peak may lie after the clip's
      last frame. ``"clip"``: one value per score (zeros outside the clip);
    - ``"gaussian1"``, ``"gaussian3"``, ``"exponential1"``, ``"exponential3"``: the
      weighted windows of the paper's MEAN Table 7 ablation (scipy's Gaussian window with
      sigma 1 or 3 and exponential window with tau 1 or 3, 2k' + 1 frames, normalised),
      borders dropped as in MEAN Eq. 11.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if method == "same" and short_clip == "numpy":
        return np.convolve(scores, np.ones(2 * k_prime) / (2 * k_prime), mode="same")
    if method == "same":
        padded = np.concatenate([np.zeros(k_prime), scores, np.zeros(k_prime)])
        sums = np.concatenate([[0.0], np.cumsum(padded)])
        index = np.arange(len(scores))  # window [i - k', i + k' - 1] is padded[i : i + 2k']
        return (sums[index + 2 * k_prime] - sums[index]) / (2 * k_prime)
    width = 2 * k_prime + 1
    if borders == "shrink":
        index = np.arange(len(scores))
        first, stop = np.maximum(index - k_prime, 0), np.minimum(index + k_prime + 1, len(scores))
        sums = np.concatenate([[0.0], np.cumsum(scores)])
        return (sums[stop] - sums[first]) / (stop - first)
    smoothed = np.full(scores.shape, np.nan)
    if len(scores) >= width:
        weights = _window(method, width)
        smoothed[k_prime:len(scores) - k_prime] = np.convolve(scores, weights[::-1], mode="valid")
    return smoothed


def _window(method, width):
    """Normalised weights of a centred window of ``width`` frames (MEAN Eq. 11 and MEAN Table 7)."""
    from scipy.signal import windows

    if method == "centered":
        weights = np.ones(width)
    elif method.startswith("gaussian"):
        weights = windows.gaussian(width, std=float(method[len("gaussian"):]))
    elif method.startswith("exponential"):
        weights = windows.exponential(width, tau=float(method[len("exponential"):]))
    else:
        raise ValueError(f"unknown smoothing {method!r}")
    return weights / weights.sum()


def peak_threshold(smoothed, p=0.55):
    """T = S_mean + p (S_max - S_mean) over the video's smoothed scores (MEAN Eq. 12)."""
    valid = np.asarray(smoothed)[~np.isnan(smoothed)]
    return float(valid.mean() + p * (valid.max() - valid.mean()))


def find_spot_peaks(smoothed, k_prime, p=0.55, multiple=True):
    """Spotted peak frames F_p of one video (section 3.4).

    ``multiple`` (long videos): the local maxima above T (MEAN Eq. 12) at least k'
    apart, with scipy's ``find_peaks``. Otherwise (short videos, section 4.3):
    only the highest frame, without a threshold.
    """
    from scipy.signal import find_peaks

    smoothed = np.asarray(smoothed, dtype=np.float64)
    valid = np.flatnonzero(~np.isnan(smoothed))
    if len(valid) == 0:
        return []
    if not multiple:
        return [int(valid[np.argmax(smoothed[valid])])]
    first = valid[0]  # the valid frames are one block in the middle
    peaks, _ = find_peaks(smoothed[valid], height=peak_threshold(smoothed, p), distance=k_prime)
    return [int(first + peak) for peak in peaks]


def spotted_interval(peak, k_prime, end=-1):
    """The spotted ME, [F_p - k', F_p + k' - 1] (section 3.4; ``end=-1``).

    ``end=0``: [F_p - k', F_p + k'], one frame more, as the authors' code did.
    """
    return peak - k_prime, peak + k_prime + end


def onset_to_apex_interval(peak, k_prime):
    """Case 1 of the analysis, [F_p - k', F_p - 1]: the frames whose classes are voted (section 3.4)."""
    return peak - k_prime, peak - 1


VOTE_CASES = {"onset_apex": (-1, -1), "apex": (0, 0), "onset_offset": (-1, 1)}  # (first, last) in units of k'


def voted_interval(peak, k_prime, case="onset_apex"):
    """Frames whose classes are voted (section 3.4, MEAN Table 8): case 1 ``onset_apex`` [F_p - k', F_p - 1],
    case 2 ``apex`` [F_p], case 3 ``onset_offset`` [F_p - k', F_p + k' - 1]."""
    if case == "onset_apex":
        return onset_to_apex_interval(peak, k_prime)
    if case == "apex":
        return peak, peak
    if case == "onset_offset":
        return spotted_interval(peak, k_prime)
    raise ValueError(f"unknown analysis interval {case!r}; choose one of {tuple(VOTE_CASES)}")


def vote_emotion(class_probabilities, peak, k_prime, case="onset_apex"):
    """The mode of the per-frame predicted classes over the voted interval (case 1 by default, section 3.4).

    Ties go to the class seen first; frames outside the video are skipped.
    """
    probabilities = np.asarray(class_probabilities)
    first, last = voted_interval(peak, k_prime, case)
    first, last = max(0, first), min(len(probabilities) - 1, last)
    if last < first:
        first = last = min(max(peak, 0), len(probabilities) - 1)
    classes = np.argmax(probabilities[first:last + 1], axis=-1)
    return int(Counter(classes.tolist()).most_common(1)[0][0])


def spot_video(scores, k_prime, p=0.55, multiple=True, smoothing="centered", interval_end=-1, empty_spot="none",
               short_clip="clip"):
    """Spotted MEs of one video: [{"peak", "interval", "score"}], score = smoothed score at the peak.

    A short video (one peak) shorter than 2k' + 1 scores has no frame left by
    MEAN Eq. 11; it is then smoothed with shrinking border windows so that it still
    gets its one spot. ``smoothing``, ``interval_end``: see ``smooth_scores`` and
    ``spotted_interval``. ``empty_spot="dummy"``: a long video without a peak
    above T gets the spot (0, 0) with score 0, as the authors' code added one
    (it counts as a false positive). ``short_clip``: see ``smooth_scores``.
    """
    smoothed = smooth_scores(scores, k_prime, method=smoothing, short_clip=short_clip)
    if not multiple and np.isnan(smoothed).all() and len(smoothed):
        smoothed = smooth_scores(scores, k_prime, borders="shrink")
    spots = [{"peak": peak, "interval": spotted_interval(peak, k_prime, interval_end), "score": float(smoothed[peak])}
             for peak in find_spot_peaks(smoothed, k_prime, p, multiple)]
    if not spots and empty_spot == "dummy":
        spots = [{"peak": 0, "interval": (0, 0), "score": 0.0}]
    return spots
