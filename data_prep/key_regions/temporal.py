"""Apex re-labelling and temporal interpolation (Zhu et al. 2023, section 4.2)."""
import numpy as np


def _grey(frames):
    frames = np.asarray(frames, dtype=np.float32)
    if frames.ndim == 4:  # (T, H, W, 3) RGB -> luma
        frames = frames @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return frames


def frame_differences(frames):
    """dif_i of every frame (Zhu et al. 2023, Eq. 16-17), onset = first frame, offset = last frame.

    f(x_i, x_j) = (|x_i - x_j| + 1) / (|x_i - x_{i-1}| + 1), where |a - b| is the mean absolute grey
    difference of two frames (the paper does not say how pixels are pooled; we average them). The first
    frame has no predecessor: its denominator is 1.
    """
    grey = _grey(frames)

    def distance(a, b):
        return float(np.mean(np.abs(a - b)))

    onset, offset = grey[0], grey[-1]
    result = []
    for i, frame in enumerate(grey):
        noise = distance(frame, grey[i - 1]) if i > 0 else 0.0
        result.append((distance(frame, onset) + 1) / (noise + 1) + (distance(frame, offset) + 1) / (noise + 1))
    return np.array(result)


def relabel_apex(frames):
    """Index (into ``frames``, onset..offset) of the frame with the largest dif_i (Zhu et al. 2023, Eq. 17)."""
    return int(np.argmax(frame_differences(frames)))


def tim_interpolate(frames, n_out):
    """The temporal interpolation model (TIM, Zhou et al. 2011) of a clip, sampled at ``n_out`` frames.

    TIM embeds the n frames on the path graph: the graph Laplacian's eigenvectors are
    v_k(i) = cos(pi k (i + 1/2) / n) (k = 0..n-1, the DCT-II basis), so every frame is exactly
    mean + sum_k v_k(i) w_k. The curve is continuous in i; new frames are read from it at n_out
    positions evenly spaced from the first to the last frame. The first and last frames are kept
    exactly; in between the curve is a cosine series, not a straight line.
    Returns float32 of shape (n_out,) + frame shape.
    """
    frames = np.asarray(frames, dtype=np.float32)
    n = len(frames)
    if n == 1:
        return np.repeat(frames, n_out, axis=0)
    k = np.arange(n)[None, :]

    def basis(positions):
        scale = np.where(k == 0, np.sqrt(1.0 / n), np.sqrt(2.0 / n))
        return scale * np.cos(np.pi * k * (np.asarray(positions)[:, None] + 0.5) / n)

    flat = frames.reshape(n, -1)
    weights = basis(np.arange(n)).T @ flat                      # orthonormal basis: projection = inverse
    positions = np.linspace(0.0, n - 1.0, n_out)
    return (basis(positions) @ weights).reshape((n_out,) + frames.shape[1:]).astype(np.float32)
