"""The run folder: the only code that knows its layout.

    run.json                  system, configuration, preparation settings, samples, folds (a rerun must match)
    run.lock                  held while run.json is created or checked, and while results are merged
    train.log                 progress of every fold, stage and epoch
    spatial_shared/           a stage trained once for every fold (STFF's 'frame50' split), done.json last
    folds/NN_<name>/          the fitted fold (checkpoints), predictions.json, history.json, done.json (last)
    folds/NN_<name>/lock      held by the process training that fold
    results.json, results.md, confusion_matrix.png, training_curves.png   (when every fold is done)

Several processes may work on one run folder at once (``--folds`` subsets,
cluster jobs): each fold is claimed with a lock file (``fcntl.flock``, released
by the operating system when a process dies), so no two processes train the
same fold, and a finished fold is marked by ``done.json``, written last.
"""
import contextlib
import json
import os
import re
import time
from pathlib import Path

import numpy as np

from data_prep.errors import InputError

RUN = "run.json"
LOCK = "run.lock"
LOG = "train.log"
SHARED = "spatial_shared"
FOLDS = "folds"
DONE = "done.json"
PREDICTIONS = "predictions.json"
HISTORY = "history.json"
RESULTS = "results.json"


def fold_folder_name(index, name):
    """``NN_<name>`` with anything but letters, digits, '_', '.', '-' replaced (subject names hold '/')."""
    return f"{index:02d}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}"


def json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-able: {type(value)}")


def write_json(path, data):
    """Write JSON atomically: a unique temporary name, then rename."""
    path = Path(path)
    write_text(path, json.dumps(data, indent=2, default=json_default))


def write_text(path, text):
    """Write text atomically: a unique temporary name, then rename."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def read_json(path, what="file", repair=None):
    """JSON of ``path``; InputError naming the file when it is missing or not valid JSON (``repair``: what to do)."""
    path = Path(path)
    advice = f"; {repair}" if repair else ""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: {what} is missing{advice}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: {what} is damaged (not valid JSON: {error}){advice}") from None


def file_sha1(path):
    from data_prep.pyfeat_media import file_digest

    return file_digest(path, "sha1")


def manifest(folder, skip=()):
    """{relative path: [size, sha1]} of every file under ``folder`` (done.json records its fold's)."""
    folder = Path(folder)
    return {str(path.relative_to(folder)): [path.stat().st_size, file_sha1(path)]
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name not in skip}


# The temporaries of atomic writes: "<stem>.<pid>.tmp<suffix>" (checkpoints) and ".<name>.<pid>.tmp" (JSON, text).
_TEMPORARY = re.compile(r"(?:.+\.(\d+)\.tmp\.(?:keras|h5|json))|(?:\..+\.(\d+)\.tmp)")


def sweep_temporaries(root):
    """Delete the temporaries that killed or failed writes left under ``root`` (their process is gone);
    returns the paths removed."""
    removed = []
    for path in Path(root).rglob("*"):
        match = _TEMPORARY.fullmatch(path.name)
        if not match or not path.is_file():
            continue
        pid = int(match.group(1) or match.group(2))
        if _process_alive(pid):   # a write under way (this process's too)
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def sweep_temporaries_of(folder):
    """:func:`sweep_temporaries` of an output folder when it exists, each removal logged (every command that
    writes a folder calls it first)."""
    import logging

    if not Path(folder).is_dir():
        return []
    removed = sweep_temporaries(folder)
    for path in removed:
        logging.getLogger(__name__).info("removed %s, left by a write that did not finish", path)
    return removed


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def file_lock(path, wait=True):
    """An exclusive lock on ``path`` (created if needed); yields True, or False when ``wait`` is off and it is held."""
    from data_prep.lock import flock

    fcntl = flock()   # POSIX only: one line elsewhere, before the lock file is created
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


class RunFolder:
    """A run folder (see the module docstring); ``fold`` arguments are run.json fold entries or Fold objects."""

    def __init__(self, path):
        self.path = Path(path)

    def __repr__(self):
        return f"RunFolder({str(self.path)!r})"

    # --- run.json ---------------------------------------------------------------------------

    @property
    def log_path(self):
        return self.path / LOG

    def exists(self):
        return (self.path / RUN).is_file()

    def read(self):
        """run.json; InputError when the folder is no run folder or the file is damaged."""
        if not self.exists():
            raise InputError(f"{self.path}: not a run folder (no {RUN}; train one with `mer train` or `mer demo`)")
        run = read_json(self.path / RUN, "run description")
        if not isinstance(run, dict) or not isinstance(run.get("folds"), list) or "config" not in run:
            raise InputError(f"{self.path / RUN}: not a run description (no 'config' and 'folds')")
        return run

    def claim(self, description, estimate=None):
        """Create the folder and run.json, or check that it holds the same run.

        Nothing is created before every check passed, so a refused run leaves
        no folder behind. The same run means: same system, configuration,
        preparation settings of the cache, and samples. ``estimate``: the
        :class:`micro_expr.core.disk.DiskEstimate` of what the run will write
        (the disk must have that much free), else the fixed minimum.
        """
        from data_prep.lock import flock
        from data_prep.output import check_output_folder

        flock()   # POSIX only: refused before the folder is created
        if estimate is None:
            check_output_folder(self.path)
        else:
            check_output_folder(self.path, min_free=estimate.total, need=estimate.describe())
        self.path.mkdir(parents=True, exist_ok=True)
        with file_lock(self.path / LOCK):
            if self.exists():
                self._check_same(self.read(), description)
            else:
                write_json(self.path / RUN, description)
            sweep_temporaries_of(self.path)
        (self.path / FOLDS).mkdir(exist_ok=True)

    def _check_same(self, found, wanted):
        path = self.path / RUN
        if found.get("system", "stff") != wanted.get("system", "stff"):
            raise InputError(f"{path}: this folder holds a {found.get('system', 'stff')} run, not "
                             f"{wanted['system']}; choose another --out")
        found_prep, wanted_prep = found.get("prep_config"), wanted.get("prep_config")
        if found_prep and wanted_prep and found_prep != wanted_prep:
            changed = sorted(k for k in set(found_prep) | set(wanted_prep) if found_prep.get(k) != wanted_prep.get(k))
            raise InputError(f"{path}: the run started on a cache prepared with other settings "
                             f"(differs in: {', '.join(changed)}); use that cache or choose another --out")
        found_print, wanted_print = found.get("cache_fingerprint"), wanted.get("cache_fingerprint")
        if found_print and wanted_print and found_print != wanted_print:
            raise InputError(f"{path}: the run was trained on {found.get('cache')} (content {found_print[:12]}), but "
                             f"{wanted.get('cache')} holds other data for the same samples (content "
                             f"{wanted_print[:12]}): its folds would be merged with folds of other pixels; use the "
                             f"run's cache or choose another --out")
        if found["config"] != wanted["config"] or found.get("items") != wanted.get("items"):
            changed = sorted(k for k in set(found["config"]) | set(wanted["config"])
                             if found["config"].get(k) != wanted["config"].get(k))
            raise InputError(f"{path}: this folder holds a run with other settings or samples "
                             f"(differs in: {', '.join(changed) or 'samples'}); choose another --out")

    # --- folds -----------------------------------------------------------------------------------

    def fold_folder(self, fold):
        index, name = (fold["index"], fold["name"]) if isinstance(fold, dict) else (fold.index, fold.name)
        return self.path / FOLDS / fold_folder_name(index, name)

    def is_done(self, fold):
        return (self.fold_folder(fold) / DONE).exists()

    def finished_folds(self):
        """The fold entries of run.json whose training finished."""
        return [fold for fold in self.read()["folds"] if self.is_done(fold)]

    def choose_folds(self, fold="all"):
        """Finished fold entries to predict with: all (``"all"``/None), or one by index, name or folder name."""
        folds = self.read()["folds"]
        if fold in (None, "all"):
            chosen = self.finished_folds()
            if not chosen:
                raise InputError(f"{self.path}: no finished fold (no {FOLDS}/*/{DONE}); train the run first")
            self.check_folds(chosen)
            return chosen
        text = str(fold)
        matches = [f for f in folds if text in (str(f["index"]), f["name"], self.fold_folder(f).name)]
        if not matches:
            shown = ", ".join(f["name"] for f in folds[:4]) + (" ..." if len(folds) > 4 else "")
            raise InputError(f"{self.path}: no fold {text!r}; folds are 0..{len(folds) - 1} or names such as {shown}")
        if not self.is_done(matches[0]):
            raise InputError(f"{self.fold_folder(matches[0])}: fold {matches[0]['name']} is not finished "
                             f"(no {DONE}); train it first (`mer train ... --folds {matches[0]['index']}`)")
        self.check_folds(matches[:1])
        return matches[:1]

    def fold_lock(self, fold):
        """Context manager: True when this process now holds the fold, False when another process does."""
        folder = self.fold_folder(fold)
        folder.mkdir(parents=True, exist_ok=True)
        return file_lock(folder / "lock", wait=False)

    def finish_fold(self, fold, predictions, history, seconds, **summary):
        """Write the fold's predictions and history, then done.json (last: it marks the fold finished) with the
        size and sha1 of every file of the fold, which :meth:`fold_problem` checks before the fold is used."""
        folder = self.fold_folder(fold)
        write_json(folder / PREDICTIONS, predictions)
        write_json(folder / HISTORY, history)
        files = manifest(folder, skip={DONE, "lock"})
        problem = self._files_problem(folder, files)
        if problem:   # written just now and unreadable: say so now, not at the merge
            raise InputError(f"{folder}: {problem}")
        write_json(folder / DONE, {"seconds": seconds, "files": files, **summary})

    def repair_advice(self, fold):
        return f"delete the folder {self.fold_folder(fold)} and run the same command again to train that fold anew"

    def fold_problem(self, fold):
        """Why a finished fold cannot be used (a file missing, cut short or replaced since done.json), or None."""
        folder = self.fold_folder(fold)
        done = read_json(folder / DONE, "fold marker", self.repair_advice(fold))
        return self._files_problem(folder, done.get("files"))

    @staticmethod
    def _files_problem(folder, files):
        for name, (size, sha1) in (files or {}).items():
            path = folder / name
            if not path.is_file():
                return f"{name} is missing"
            if path.stat().st_size != size:
                return f"{name} has {path.stat().st_size} bytes, {size} when the fold finished (cut short?)"
            if file_sha1(path) != sha1:
                return f"{name} is not the file the fold wrote (its content changed)"
        return None

    def check_folds(self, folds):
        """InputError naming the first finished fold whose files do not verify, with the repair that works."""
        for fold in folds:
            problem = self.fold_problem(fold)
            if problem:
                raise InputError(f"{self.fold_folder(fold)}: {problem}; {self.repair_advice(fold)}")

    def fold_predictions(self, fold):
        return read_json(self.fold_folder(fold) / PREDICTIONS, "fold predictions", self.repair_advice(fold))

    def fold_history(self, fold):
        return read_json(self.fold_folder(fold) / HISTORY, "fold history", self.repair_advice(fold))

    def fold_seconds(self, fold):
        return float(read_json(self.fold_folder(fold) / DONE, "fold marker",
                               self.repair_advice(fold)).get("seconds", 0.0))

    def predictions(self, folds=None):
        """Predictions of ``folds`` (default: every finished fold), in fold order."""
        records = []
        for fold in self.finished_folds() if folds is None else folds:
            records += self.fold_predictions(fold)
        return records

    # --- the shared stage ------------------------------------------------------------------------

    @property
    def shared_folder(self):
        return self.path / SHARED

    def shared_done(self):
        return (self.shared_folder / DONE).exists()

    def finish_shared(self, history, **summary):
        write_json(self.shared_folder / HISTORY, history)
        write_json(self.shared_folder / DONE, {"finished": time.time(), **summary})

    @contextlib.contextmanager
    def shared_lock(self):
        """Held while the shared stage is trained: a second process waits, then loads it."""
        self.shared_folder.mkdir(parents=True, exist_ok=True)
        with file_lock(self.shared_folder / "lock"):
            yield

    # --- results -----------------------------------------------------------------------------------

    def merge_lock(self):
        return file_lock(self.path / LOCK)

    def write_results(self, results, markdown, figures):
        """results.json, results.md and one PNG per matplotlib figure."""
        from micro_expr.core.plots import save_figure

        write_json(self.path / RESULTS, results)
        write_text(self.path / "results.md", markdown)
        for name, figure in figures.items():
            save_figure(figure, self.path / f"{name}.png")

    def results(self):
        return read_json(self.path / RESULTS, "results")
