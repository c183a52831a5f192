"""Synthetic micro-movements driven by the 68 dlib landmarks, and the class recipes.

An action unit (AU) is a table of *pushes*: a point of the face (the mean of a
few landmarks) moved in a direction. The displacement field of a push is a
Gaussian bump around its point, so the skin moves smoothly and only near the
landmarks of the AU; pushes on the image-left side are mirrored to the
image-right side. A field is scaled so that its largest displacement equals the
AU's amplitude, made to rise onset -> apex and fall apex -> offset with a
raised cosine, and applied to every frame with ``cv2.remap``.

Sides: ``left``/``right`` always mean the *image* left/right (as the region
boxes R0/R1 and R3/R4 do). FACS codes L/R for the *subject's* side, which is
the image right/left of a camera facing the person; the AU codes written to the
coding sheet follow FACS.

Classes (MEGC 3 classes) and their emotions follow Aouayeb et al. 2021 Table 1:
happiness (cheeks + mouth) -> positive; disgust (eyes, nose, mouth) and
repression (mouth) -> negative; surprise (eyes + mouth) -> surprise.
"""
from dataclasses import dataclass, field

import numpy as np

from data_prep.labels import REGION_INVOLVEMENT
from data_prep.objective_classes import objective_class
from data_prep.regions import REGION_NAMES

REFERENCE_FACE_WIDTH = 200.0  # amplitudes are given in px for a face box this wide

# dlib's 68 points mirrored left <-> right (jaw 0..16, brows 17..26, nose 27..35,
# eyes 36..47, mouth 48..67); midline points map to themselves.
_PAIRS = ([(i, 16 - i) for i in range(8)] + [(17 + i, 26 - i) for i in range(5)] + [(31, 35), (32, 34)]
          + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
          + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)])
MIRROR = list(range(68))
for _a, _b in _PAIRS:
    MIRROR[_a], MIRROR[_b] = _b, _a


@dataclass(frozen=True)
class Push:
    """A face point (mean of landmarks) pushed in a direction (x right, y down), on the image-left side.

    ``mirrored``: the same push on the image-right side (x direction flipped).
    Midline pushes (``mirrored=False``) act once.
    """

    points: tuple
    direction: tuple
    weight: float = 1.0
    mirrored: bool = True


@dataclass(frozen=True)
class ActionUnit:
    """An AU as pushes; ``sigma`` is the width of the bumps, as a fraction of the face width."""

    number: int
    name: str
    sigma: float
    pushes: tuple

    @property
    def sided(self):
        return all(push.mirrored for push in self.pushes)


UP, DOWN = (0, -1), (0, 1)
# Anchors and widths are chosen so that each AU moves the region boxes of the
# face canvas that Aouayeb et al. 2021 Table 1 gives its emotion (measured on the 9 demo
# faces). On the canvas the brows lie mostly above the eye boxes R0/R1 (which
# start at y = 20), so the brow AUs push hardest on the skin between brow and
# upper eyelid (the mean of brow and eyelid landmarks), inside R0/R1. The lip
# corners sit at the lower edge of the nose box R2, so AU12 also shows in R2.
_AU_TABLE = (
    # number, name, sigma (x face width), pushes (image-left side; mirrored unless False)
    (1, "inner brow raiser", 0.07, (Push((20, 21), UP, 0.7), Push((20, 21, 38, 39), UP))),
    (2, "outer brow raiser", 0.07, (Push((17, 18), UP, 0.7), Push((17, 18, 36, 37), UP))),
    (4, "brow lowerer", 0.07, (Push((19, 20), (0.3, 1), 0.7), Push((20, 21, 38, 39), DOWN))),
    (6, "cheek raiser", 0.06, (Push((2, 48), UP),)),
    (7, "lid tightener", 0.035, (Push((40, 41), UP),)),
    (9, "nose wrinkler", 0.05, (Push((31,), UP), Push((32,), UP, 0.7), Push((33,), UP, 0.7, False),
                                Push((28, 29), UP, 0.4, False))),
    (10, "upper lip raiser", 0.045, (Push((50,), UP), Push((51,), UP, 1.0, False), Push((49,), UP, 0.6))),
    (12, "lip corner puller", 0.05, (Push((48,), (-0.8, -0.6)), Push((48, 59, 5), (-0.6, -0.6), 0.8))),
    (15, "lip corner depressor", 0.05, (Push((48, 59, 6), DOWN), Push((59,), DOWN, 0.6))),
    (25, "lips part", 0.05, (Push((57, 66), DOWN, 1.0, False), Push((56, 58), DOWN, 0.8))),
)
ACTION_UNITS = {row[0]: ActionUnit(*row) for row in _AU_TABLE}


@dataclass(frozen=True)
class Emotion:
    """A CASME II emotion word, its MEGC class, how often it is drawn, and its AU combinations.

    Every combination moves only regions that Aouayeb et al. 2021 Table 1 gives the
    emotion, and is one of Davison et al.'s objective classes I..V.
    """

    word: str
    megc_class: str
    weight: float
    combinations: tuple


EMOTIONS = (
    Emotion("happiness", "positive", 1.0, ((6, 12),)),
    Emotion("disgust", "negative", 0.7, ((4,), (9,), (4, 9), (10,), (4, 7, 10))),
    Emotion("repression", "negative", 0.3, ((15,),)),
    Emotion("surprise", "surprise", 1.0, ((1, 2, 25),)),
)
CLASSES = ("negative", "positive", "surprise")  # MEGC 2019 order (0, 1, 2)
RELATIVE_AMPLITUDE = {7: 0.5, 25: 1.2}  # a lid tightening is smaller; a mouth opening a little larger


@dataclass
class Settings:
    """Random ranges of the recipes. Amplitudes in px for a 200 px face box."""

    # 4-8 px (2-4 % of the face width): with 1.5-4 px the STFF temporal model stayed at chance
    # on the quick demo (a linear probe of the feature changes: 0.60-0.67 against 0.77-0.88).
    amplitude: tuple = (4.0, 8.0)
    asymmetric_probability: float = 0.3
    blink_probability: float = 0.5
    blink_closure: tuple = (0.3, 0.7)     # fraction of the eye opening
    shift_probability: float = 0.5
    shift_px: tuple = (0.2, 0.8)          # tiny global head shift
    jitter_px: float = 0.25               # photos: camera shake, at most (peak to peak <= 0.5 px)
    noise_sigma: float = 1.5              # grey levels
    flicker: float = 0.004                # std of the per-frame brightness gain


@dataclass
class Event:
    """A movement in time: frame indices (0-based) of onset, apex and offset."""

    onset: int
    apex: int
    offset: int

    def envelope(self, n_frames):
        """0 before onset, raised cosine up to 1 at apex, down to 0 at offset, 0 after."""
        t = np.arange(n_frames, dtype=np.float64)
        rise = 0.5 - 0.5 * np.cos(np.pi * np.clip((t - self.onset) / max(self.apex - self.onset, 1), 0, 1))
        fall = 0.5 + 0.5 * np.cos(np.pi * np.clip((t - self.apex) / max(self.offset - self.apex, 1), 0, 1))
        return np.where(t <= self.apex, rise, fall)


@dataclass
class Expression:
    """One drawn micro-expression: emotion, AUs with amplitude (px) and side gains, timing."""

    emotion: Emotion
    aus: dict                    # AU number -> amplitude in px (clip frame)
    sides: dict                  # AU number -> (image-left gain, image-right gain)
    event: Event
    distractors: list = field(default_factory=list)

    @property
    def megc_class(self):
        return self.emotion.megc_class

    def code(self):
        """CASME II "Action Units" text, e.g. ``6+12`` or ``R6+R12``; L/R are the subject's sides."""
        parts = []
        for number in sorted(self.aus):
            left, right = self.sides[number]
            prefix = ""
            if ACTION_UNITS[number].sided and min(left, right) == 0:
                prefix = "R" if right == 0 else "L"  # subject's right = image left
            parts.append(f"{prefix}{number}")
        return "+".join(parts)

    def objective_class(self):
        return objective_class(self.code())

    def class_regions(self):
        """Region boxes that Aouayeb et al. 2021 Table 1 involves in this class (data_prep.labels)."""
        involved = REGION_INVOLVEMENT["megc"]
        return [name for name, classes in zip(REGION_NAMES, involved) if self.megc_class in classes]


def face_width(landmarks):
    """Face box width (landmark 17 to 26), the unit of sizes here."""
    return float(landmarks[26, 0] - landmarks[17, 0])


def draw_timing(n_frames, rng):
    """Onset, apex, offset for a clip: neutral frames before and after, a 6-14 frame rise at 200 fps."""
    onset = int(rng.integers(2, max(3, n_frames // 5) + 1))
    rise = int(rng.integers(max(4, n_frames // 5), max(5, n_frames * 7 // 20) + 1))
    fall = int(rng.integers(max(4, n_frames // 4), max(5, n_frames * 2 // 5) + 1))
    apex = min(onset + rise, n_frames - 5)
    offset = min(apex + fall, n_frames - 3)
    return Event(onset, apex, offset)


def draw_expression(megc_class, n_frames, scale, rng, settings=None):
    """A random expression of ``megc_class``; ``scale`` = face width / 200 px."""
    settings = settings or Settings()
    emotions = [e for e in EMOTIONS if e.megc_class == megc_class]
    if not emotions:
        raise ValueError(f"unknown class {megc_class!r}; choose one of {CLASSES}")
    weights = np.array([e.weight for e in emotions])
    emotion = emotions[rng.choice(len(emotions), p=weights / weights.sum())]
    combination = emotion.combinations[rng.integers(len(emotion.combinations))]
    peak = rng.uniform(*settings.amplitude) * scale
    aus, sides = {}, {}
    asymmetric = rng.random() < settings.asymmetric_probability
    weak_side, weak_gain = int(rng.integers(2)), rng.uniform(0, 0.4)
    for number in combination:
        aus[number] = peak * RELATIVE_AMPLITUDE.get(number, 1.0) * rng.uniform(0.75, 1.0)
        gains = [1.0, 1.0]
        if asymmetric and ACTION_UNITS[number].sided:
            gains[weak_side] = 0.0 if weak_gain < 0.15 else weak_gain  # below 0.15: one side only
        else:
            gains[int(rng.integers(2))] = rng.uniform(0.85, 1.0)  # faces are never quite symmetric
        sides[number] = tuple(gains)
    return Expression(emotion, aus, sides, draw_timing(n_frames, rng))


def draw_distractors(n_frames, scale, rng, settings=None):
    """Class-independent movements: blinks and tiny head shifts, at random times."""
    settings = settings or Settings()
    events = []
    if rng.random() < settings.blink_probability:
        length = int(rng.integers(8, 17))
        onset = int(rng.integers(0, n_frames - length))
        events.append({"kind": "blink", "event": Event(onset, onset + length // 2, onset + length),
                       "closure": rng.uniform(*settings.blink_closure)})
    if rng.random() < settings.shift_probability:
        length = int(rng.integers(6, 16))
        onset = int(rng.integers(0, n_frames - length))
        angle = rng.uniform(0, 2 * np.pi)
        shift = rng.uniform(*settings.shift_px) * scale * np.array([np.cos(angle), np.sin(angle)])
        # The offset lies far after the clip: the head stays where it moved to.
        events.append({"kind": "shift", "event": Event(onset, onset + length, n_frames + 1000), "shift": shift})
    return events


def _bumps(shape, centres, vectors, sigma):
    """Sum of Gaussian bumps: displacement (H, W, 2), vector v_k * exp(-|x - c_k|^2 / 2 sigma^2)."""
    height, width = shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    field = np.zeros((height, width, 2), np.float32)
    for (cx, cy), (vx, vy) in zip(centres, vectors):
        bump = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / np.float32(2 * sigma ** 2))
        field[..., 0] += vx * bump
        field[..., 1] += vy * bump
    return field


def _au_pushes(number, landmarks, gains):
    """Centres (px) and vectors of an AU's pushes, mirrored ones included, scaled by the side gains."""
    centres, vectors = [], []
    for push in ACTION_UNITS[number].pushes:
        direction = np.asarray(push.direction, np.float64)
        direction = direction / np.linalg.norm(direction) * push.weight
        if push.mirrored:
            sides = ((push.points, direction, gains[0]),
                     ([MIRROR[p] for p in push.points], direction * [-1, 1], gains[1]))
        else:
            sides = ((push.points, direction, (gains[0] + gains[1]) / 2),)
        for points, vector, gain in sides:
            centres.append(landmarks[list(points)].mean(axis=0))
            vectors.append(vector * gain)
    return centres, vectors


def au_field(number, landmarks, shape, gains=(1.0, 1.0)):
    """Displacement field (H, W, 2) of one AU: 1 px at the peak of its symmetric form, times the side gains."""
    sigma = ACTION_UNITS[number].sigma * face_width(landmarks)
    symmetric = _bumps(shape, *_au_pushes(number, landmarks, (1.0, 1.0)), sigma)
    field = _bumps(shape, *_au_pushes(number, landmarks, gains), sigma)
    return field / max(float(np.linalg.norm(symmetric, axis=-1).max()), 1e-9)


def expression_field(expression, landmarks, shape):
    """Displacement field (H, W, 2) of an expression at its apex, in px."""
    total = np.zeros(shape + (2,), np.float32)
    for number, amplitude in expression.aus.items():
        total += amplitude * au_field(number, landmarks, shape, expression.sides[number])
    return total


def blink_field(landmarks, shape, closure):
    """Upper lids move down by ``closure`` of the eye opening; lower lids up a little."""
    opening = float(np.mean(landmarks[[41, 40, 47, 46], 1] - landmarks[[37, 38, 43, 44], 1]))
    upper, lower = (37, 38, 43, 44), (40, 41, 46, 47)  # one bump per lid point keeps the lid edge flat
    centres = [landmarks[p] for p in upper + lower]
    vectors = [(0, 1.0)] * len(upper) + [(0, -0.25)] * len(lower)
    field = _bumps(shape, centres, vectors, 0.035 * face_width(landmarks))
    return field * (closure * opening / np.linalg.norm(field, axis=-1).max())


def displacements(expression, landmarks, shape, n_frames, amplitude_factor=1.0):
    """Per-frame displacement: a list of (field (H, W, 2), envelope (T,)) plus a global shift (T, 2)."""
    layers = [(expression_field(expression, landmarks, shape) * amplitude_factor,
               expression.event.envelope(n_frames))]
    shift = np.zeros((n_frames, 2))
    for distractor in expression.distractors:
        envelope = distractor["event"].envelope(n_frames)
        if distractor["kind"] == "blink":
            layers.append((blink_field(landmarks, shape, distractor["closure"]), envelope))
        else:
            shift += envelope[:, None] * distractor["shift"]
    return layers, shift


def camera_jitter(n_frames, rng, limit):
    """A smooth random camera shake (T, 2) of at most ``limit`` px, for photo subjects."""
    if limit <= 0:
        return np.zeros((n_frames, 2))
    walk = np.cumsum(rng.normal(0, 0.15, size=(n_frames, 2)), axis=0)
    kernel = np.hanning(7) / np.hanning(7).sum()
    walk = np.stack([np.convolve(walk[:, k], kernel, mode="same") for k in range(2)], axis=1)
    walk -= walk.mean(axis=0)
    peak = np.abs(walk).max()
    return walk * (limit / peak) if peak > limit else walk


def render(frames, layers, shift, rng, settings=None, still=True, camera=True):
    """The clip as uint8 (T, H, W, 3): each base frame warped by its displacement, then the camera.

    ``camera=False`` leaves out jitter, noise and flicker (for checks of the movement alone).
    """
    import cv2

    settings = settings or Settings()
    n_frames, height, width = frames.shape[:3]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    jitter = camera_jitter(n_frames, rng, settings.jitter_px if (still and camera) else 0)
    cv2.setRNGSeed(int(rng.integers(2 ** 31)))  # OpenCV's noise is 4x faster than NumPy's; seeded, so repeatable
    noise = np.empty(frames.shape[1:], np.float32)
    out = np.empty(frames.shape, np.uint8)
    for t in range(n_frames):
        dx = np.full((height, width), shift[t, 0] + jitter[t, 0], np.float32)
        dy = np.full((height, width), shift[t, 1] + jitter[t, 1], np.float32)
        for field_, envelope in layers:
            if envelope[t] > 0:
                dx += np.float32(envelope[t]) * field_[..., 0]
                dy += np.float32(envelope[t]) * field_[..., 1]
        # Backward map: the pixel at x shows the base frame at x - d(x) (fine for small, smooth d).
        warped = cv2.remap(frames[t], xs - dx, ys - dy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
        if camera:
            gain = 1.0 + rng.normal(0, settings.flicker)
            cv2.randn(noise, 0.0, settings.noise_sigma)
            warped = cv2.addWeighted(warped, gain, noise, 1.0, 0.0)
        out[t] = np.clip(np.rint(warped), 0, 255).astype(np.uint8)
    return out
