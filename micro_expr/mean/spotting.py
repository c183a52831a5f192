"""MEAN spotting: pseudo-labels for training and the post-processing of predicted scores (Liong et al. 2023).

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


def smooth_scores(scores, k_prime, borders="discard"):
    """Simple average over [i - k', i + k'] (MEAN Eq. 11).

    Returns an array as long as ``scores``. ``borders="discard"`` (the paper):
    the k' frames at each end are NaN, so no interval leaves the video.
    ``borders="shrink"``: there, the average of the frames of the window that
    exist (used only for clips shorter than 2k' + 1, see ``spot_video``).
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    width = 2 * k_prime + 1
    if borders == "shrink":
        index = np.arange(len(scores))
        first, stop = np.maximum(index - k_prime, 0), np.minimum(index + k_prime + 1, len(scores))
        sums = np.concatenate([[0.0], np.cumsum(scores)])
        return (sums[stop] - sums[first]) / (stop - first)
    smoothed = np.full(scores.shape, np.nan)
    if len(scores) >= width:
        smoothed[k_prime:len(scores) - k_prime] = np.convolve(scores, np.ones(width) / width, mode="valid")
    return smoothed


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


def spotted_interval(peak, k_prime):
    """The spotted ME, [F_p - k', F_p + k' - 1] (section 3.4)."""
    return peak - k_prime, peak + k_prime - 1


def onset_to_apex_interval(peak, k_prime):
    """Case 1 of the analysis, [F_p - k', F_p - 1]: the frames whose classes are voted (section 3.4)."""
    return peak - k_prime, peak - 1


def vote_emotion(class_probabilities, peak, k_prime):
    """The mode of the per-frame predicted classes over [F_p - k', F_p - 1] (case 1, section 3.4).

    Ties go to the class seen first; frames outside the video are skipped.
    """
    probabilities = np.asarray(class_probabilities)
    first, last = onset_to_apex_interval(peak, k_prime)
    first, last = max(0, first), min(len(probabilities) - 1, last)
    if last < first:
        first = last = min(max(peak, 0), len(probabilities) - 1)
    classes = np.argmax(probabilities[first:last + 1], axis=-1)
    return int(Counter(classes.tolist()).most_common(1)[0][0])


def spot_video(scores, k_prime, p=0.55, multiple=True):
    """Spotted MEs of one video: [{"peak", "interval", "score"}], score = smoothed score at the peak.

    A short video (one peak) shorter than 2k' + 1 scores has no frame left by
    MEAN Eq. 11; it is then smoothed with shrinking border windows so that it still
    gets its one spot, as the authors' code (which never drops borders) does.
    """
    smoothed = smooth_scores(scores, k_prime)
    if not multiple and np.isnan(smoothed).all() and len(smoothed):
        smoothed = smooth_scores(scores, k_prime, borders="shrink")
    return [{"peak": peak, "interval": spotted_interval(peak, k_prime), "score": float(smoothed[peak])}
            for peak in find_spot_peaks(smoothed, k_prime, p, multiple)]
