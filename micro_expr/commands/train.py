"""`mer train`: run a protocol (MEGC LOSO, 5-AU LOSO, cross-dataset) with any system on a prepared cache,
or MEAN's published checkpoints on long videos (``--protocol long-video``, MEAN Table 4).

The same options serve the scripts in ``experiments/`` (:func:`add_arguments`,
:func:`config_from_args`, :func:`run`), so a run is reachable both ways.
"""
import ast

from micro_expr.stff.config import DEFAULT_PRESET, FUSIONS, REGION_SUBSETS, WHOLE_FACE
from micro_expr.registry import DEFAULT_SYSTEM, SYSTEMS, presets_help


def register(subparsers):
    parser = subparsers.add_parser(
        "train", help="train and evaluate a system (STFF by default) with a protocol on a prepared cache",
        description="Per fold: fit the system on the training samples and predict the held-out samples "
                    "(STFF: train the spatial models, extract features, train the temporal model). Resumable "
                    "(a killed run restarts at its first unfinished fold); --folds runs a subset (several "
                    "processes may share one run folder), and results are merged when every fold is done.")
    parser.add_argument("--system", choices=list(SYSTEMS), default=None,
                        help=f"recognition system (default: the --config file's, else {DEFAULT_SYSTEM}); the "
                             "STFF-only options below (--patches, --fusion, ...) apply to stff")
    parser.add_argument("--protocol", choices=["megc", "au5", "cross", LONG_VIDEO],
                        help="megc: MEGC 2019 3 classes, LOSO; au5: 5 objective classes, LOSO; "
                             "cross: train on some datasets, test on another (required for stff); "
                             "long-video: MEAN's published folds on whole long videos (--datasets NAME --root "
                             "DIR --coding FILE --set weights=DIR, no --cache)")
    add_arguments(parser, long_videos=True)
    parser.add_argument("--demo", action="store_true",
                        help="mean: train on the bundled quick demo, prepared for MEAN (every frame of each clip, "
                             "so clips are longer than k = 20) into OUT/cache.h5, with the authors' code's schedule "
                             "(epochs_spot=10, epochs_recog=100) unless --set gives one; no --cache")
    parser.set_defaults(func=run)


LONG_VIDEO = "long-video"


def add_arguments(parser, protocol_fixed=None, long_videos=False):
    """The options of a training run (shared with the experiment scripts); ``long_videos``: the options of
    ``--protocol long-video`` too, and ``--cache`` is then checked by :func:`run`."""
    parser.add_argument("--cache", required=not long_videos, metavar="CACHE.h5",
                        help="cache written by `mer prepare`")
    if long_videos:
        from data_prep.long_videos import FPS

        parser.add_argument("--root", metavar="DIR", help=f"long-video: the dataset's folder ({', '.join(FPS)}; "
                                                          "layouts in data_prep/long_videos.py)")
        parser.add_argument("--coding", metavar="FILE", help="long-video: CAS(ME)^2 code_final.xlsx or the "
                                                             "SAMM-LV sheet")
        parser.add_argument("--samm-coding", metavar="FILE", help="long-video, sammlv: the SAMM coding sheet "
                                                                  "(emotions)")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder (checkpoints, logs, results)")
    parser.add_argument("--preset", default=None,
                        help=f"named configuration of the --system, per system: {presets_help()} "
                             "(original: the authors' code; docs/presets.md lists every difference)")
    if protocol_fixed in (None, "cross"):
        parser.add_argument("--labels", choices=["megc", "au5"], default="megc",
                            help="class scheme of a cross-dataset run (default megc)")
    if protocol_fixed != "cross":
        parser.add_argument("--datasets", metavar="A,B", help="LOSO over these datasets only (default: all in the "
                                                              "cache); long-video: the one dataset (casme_sq, ...)")
    parser.add_argument("--train-datasets", metavar="A,B", help="cross: datasets to train on")
    parser.add_argument("--test-dataset", metavar="D", help="cross: dataset to test on")
    parser.add_argument("--patches", type=int, choices=[1, 4, 9, 16], help="patches per region m")
    parser.add_argument("--fusion", choices=FUSIONS, help="SE fusions switched on (STFF Table 5)")
    parser.add_argument("--regions", choices=sorted(REGION_SUBSETS) + [WHOLE_FACE],
                        help="region subset (Aouayeb et al. 2021, Table 5); whole_face needs "
                             "`mer prepare --store-face`")
    parser.add_argument("--whole-face-labels", action="store_true",
                        help="every region learns the sequence's class (STFF Table 6)")
    parser.add_argument("--loss", choices=["focal", "cross_entropy"], help="Aouayeb et al. 2021, Table 7")
    parser.add_argument("--seed", type=int, help="random seed (weights, shuffling, splits)")
    parser.add_argument("--seeds", metavar="SEL",
                        help="several seeds, e.g. 0-4: one run folder per seed (OUT/seed-N, each resumable), then "
                             "OUT/seeds.json and seeds.md with the mean and standard deviation of every metric; "
                             "compare two such folders with `mer compare`")
    parser.add_argument("--config", metavar="FILE.json",
                        help="start from a configuration file: one written by `mer config`, or a run's run.json "
                             "(reproduces that run's configuration); --preset is then not used, and --set and the "
                             "options below change it")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any configuration field, e.g. spatial.epochs=10 or temporal.padding=pre (repeatable)")
    parser.add_argument("--folds", metavar="SEL", help='folds to run, e.g. "0-3,7" or a subject "casme2/sub05"')
    parser.add_argument("--no-merge", action="store_true", help="do not merge results even if every fold is done")
    parser.add_argument("--partial", action="store_true",
                        help="merge the finished folds even when others remain (results marked partial)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (the log file has everything)")
    parser.add_argument("--engine", choices=["local", "ray"], default="local",
                        help="local (default: in this process) or ray (one task per fold on a Ray cluster; "
                             "pip install -e \".[ray]\")")
    parser.add_argument("--address", help="ray: the cluster to join (e.g. auto); default: start one on this machine")
    parser.add_argument("--gpus-per-fold", type=float, default=0, help="ray: GPUs per fold task (fractions allowed)")
    parser.add_argument("--max-retries", type=int, default=2, help="ray: how often a fold whose worker died (killed for memory or crashed) is "
                             "submitted again (default 2), then the command stops naming it")


def script_main(protocol, description):
    """The main of an experiment script that is `mer train --protocol PROTOCOL` (experiments/megc_loso.py, ...)."""
    import argparse

    from micro_expr.cli import run_command

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, protocol_fixed=protocol)
    return run_command(lambda args: run(args, protocol), parser.parse_args())


def parse_value(text):
    """A --set value: Python literal (number, tuple, True) or a plain string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def overrides_from_set(items):
    """{key: value} of repeated ``--set KEY=VALUE`` options."""
    from data_prep.errors import InputError

    overrides = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set {item!r}: expected KEY=VALUE")
        overrides[key.strip()] = parse_value(value.strip())
    return overrides


def config_from_args(args, protocol):
    """The STFF configuration a run's options describe (preset or --config file, then each option as one override)."""
    from data_prep.errors import InputError
    from micro_expr.stff.config import get_preset, override

    overrides = _stff_overrides(args, protocol)
    try:
        if getattr(args, "config", None):
            return override(read_config_file(args.config, "stff"), **overrides)
        return get_preset(args.preset or DEFAULT_PRESET, **overrides)
    except (ValueError, TypeError) as error:
        raise InputError(f"configuration: {error}") from error


def read_config_file(path, system_name):
    """The configuration object in a `mer config` file or a run.json ({"system": ..., "config": {...}})."""
    from data_prep.errors import InputError
    from micro_expr.registry import system_class

    data = _config_file(path)
    found = data.get("system", DEFAULT_SYSTEM)
    if found != system_name:
        raise InputError(f"--config {path}: a {found} configuration, but --system is {system_name} "
                         f"(add --system {found})")
    cls = system_class(system_name)
    try:
        return cls.config_class.from_dict(data["config"])
    except (TypeError, ValueError) as error:
        raise InputError(f"--config {path}: {error}") from None


def _config_file(path):
    """The JSON of a `mer config` file or a run.json, checked to hold {"system": ..., "config": {...}}."""
    import json
    from pathlib import Path

    from data_prep.errors import InputError

    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"--config {path}: not a JSON configuration file ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise InputError(f"--config {path}: expected {{\"system\": NAME, \"config\": {{...}}}} "
                         "(what `mer config` writes, or a run.json)")
    return data


def system_name_of(args):
    """``--system``, else the system named in the ``--config`` file (so `mer train --config run.json` needs no
    --system), else the default."""
    from data_prep.errors import InputError

    name = getattr(args, "system", None)
    if name is None and getattr(args, "config", None):
        name = _config_file(args.config).get("system", DEFAULT_SYSTEM)
        if name not in SYSTEMS:
            raise InputError(f"--config {args.config}: unknown system {name!r} (systems: {', '.join(SYSTEMS)})")
    return name or DEFAULT_SYSTEM


def _stff_overrides(args, protocol):
    overrides = {"protocol": protocol}
    for key, option in (("spatial.patches", "patches"), ("fusion", "fusion"), ("regions", "regions"),
                        ("loss", "loss"), ("seed", "seed")):
        if getattr(args, option, None) is not None:
            overrides[key] = getattr(args, option)
    if args.whole_face_labels:
        overrides["region_labels"] = False
    overrides.update(overrides_from_set(args.set))
    return overrides


STFF_ONLY = ("patches", "fusion", "regions", "loss")


def system_from_args(args, protocol):
    """The system a run's options describe: ``--system`` built from ``--preset`` and the overrides."""
    from data_prep.errors import InputError
    from micro_expr.registry import system_class

    name = system_name_of(args)
    if name == "stff":
        from micro_expr.stff.system import STFF

        return STFF(config_from_args(args, protocol))
    used = [f"--{option.replace('_', '-')}" for option in STFF_ONLY if getattr(args, option, None) is not None]
    if used or args.whole_face_labels:
        raise InputError(f"{', '.join(used) or '--whole-face-labels'}: STFF options; use --set with --system {name}")
    overrides = overrides_from_set(args.set)
    if getattr(args, "seed", None) is not None:
        overrides["seed"] = args.seed
    cls = system_class(name)
    if protocol is not None:
        overrides = {**cls.protocol_overrides(protocol), **overrides}
    if getattr(args, "config", None):
        from micro_expr.core.config import override

        try:
            return cls(override(read_config_file(args.config, name), overrides))
        except (TypeError, ValueError) as error:
            raise InputError(f"configuration: {error}") from error
    return cls.from_preset(args.preset, **overrides)


def _names(text):
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


def run_seeds_command(args, run_one):
    """``--seeds``: ``run_one(args)`` once per seed with ``--seed N --out OUT/seed-N``, then the summary
    (:func:`micro_expr.core.seeds.run_seeds`); shared by `mer train` and `mer demo`."""
    from copy import copy

    from data_prep.errors import InputError
    from micro_expr.core.seeds import parse_seeds, run_seeds

    seeds = parse_seeds(args.seeds)
    if getattr(args, "seed", None) is not None:
        raise InputError("--seed and --seeds: give one of them (--seeds 3 runs seed 3 alone)")

    def one(seed, folder):
        single = copy(args)
        single.seeds, single.seed, single.out = None, seed, str(folder)
        run_one(single)

    data = run_seeds(seeds, args.out, one)
    if data is None:
        print(f"no seed finished yet; run the same command again to go on ({args.out})")
        return 0
    print(seeds_text(data))
    return 0


def seeds_text(data):
    """The headline of seeds.json: accuracy, UF1 and UAR as mean ± std over the finished seeds."""
    from micro_expr.core.seeds import SEEDS_JSON, SEEDS_MD

    metrics = data["metrics"]
    shown = []
    for name in ("accuracy", "uf1", "uar"):
        if name in metrics:
            stats = metrics[name]
            spread = "" if stats["std"] is None else f" ± {stats['std']:.3f}"
            shown.append(f"{name} {stats['mean']:.3f}{spread}")
    lines = [f"{len(data['seeds'])} seeds ({', '.join(map(str, data['seeds']))}): " + ", ".join(shown)
             + " (mean ± standard deviation)"]
    if data["unfinished_seeds"]:
        lines.append(f"unfinished seeds: {', '.join(map(str, data['unfinished_seeds']))} (run again to finish)")
    if data.get("note"):
        lines.append(f"NOTE: {data['note']}")
    lines.append(f"every metric: {data['folder']}/{SEEDS_JSON}, {data['folder']}/{SEEDS_MD}")
    return "\n".join(lines)


def run(args, protocol=None):
    from data_prep.errors import InputError
    from micro_expr.core.runner import run_protocol

    if getattr(args, "seeds", None):
        return run_seeds_command(args, lambda single: run(single, protocol))
    protocol = protocol or args.protocol
    system_name = args.system = system_name_of(args)
    if protocol is None and system_name == "stff":
        raise InputError("--protocol is required for stff (megc, au5 or cross)")
    if system_name == "stff" and getattr(args, "preset", None) == "original" and protocol == "megc":
        print("note: --preset original with --protocol megc: the authors' code ships the 5-AU protocol "
              "(--protocol au5); MEGC is the project's extension (docs/original-code.md)", flush=True)
    if getattr(args, "demo", False):
        if system_name != "mean" or args.cache or protocol not in (None, "megc"):
            raise InputError("--demo: MEAN's demo (--system mean, no --cache, no --protocol other than megc); "
                             "the other systems' demo is `mer demo`")
        from micro_expr.mean.demo import DEMO_SCHEDULE, demo_cache

        given = {item.split("=", 1)[0] for item in args.set}
        args.set = [f"{key}={value}" for key, value in DEMO_SCHEDULE.items() if key not in given] + args.set
        args.cache = str(demo_cache(args.out, seed=args.seed or 0, progress=not getattr(args, "no_progress", False)))
    if protocol != LONG_VIDEO and not args.cache:
        raise InputError("--cache is required (a cache written by `mer prepare`)")
    progress = not getattr(args, "no_progress", False)
    engine = {"engine": getattr(args, "engine", "local")}
    if engine["engine"] == "ray":
        engine.update(address=args.address, gpus_per_fold=args.gpus_per_fold, max_retries=args.max_retries)
    if protocol == LONG_VIDEO:
        videos = long_video_set(args, system_name)
        system = system_from_args(args, protocol)
        results = run_protocol(system, videos, args.out, fold_selection=args.folds,
                               merge=not args.no_merge, partial=args.partial, progress=progress, **engine)
    elif protocol == "cross":
        if not (args.train_datasets and args.test_dataset):
            raise InputError("--protocol cross needs --train-datasets and --test-dataset")
        system = system_from_args(args, args.labels)
        results = run_protocol(system, args.cache, args.out, folds_kind="cross",
                               train_datasets=_names(args.train_datasets), test_dataset=args.test_dataset,
                               fold_selection=args.folds, merge=not args.no_merge, partial=args.partial, progress=progress, **engine)
    else:
        system = system_from_args(args, protocol)
        if getattr(args, "demo", False):
            from micro_expr.mean.demo import DEMO_NOTE

            engine["note"] = DEMO_NOTE
        results = run_protocol(system, args.cache, args.out, datasets=_names(getattr(args, "datasets", None)),
                               fold_selection=args.folds, merge=not args.no_merge, partial=args.partial, progress=progress, **engine)
    if results is not None:
        print_results(system, results)
    return 0


def long_video_set(args, system_name):
    """The long videos ``--protocol long-video`` evaluates (MEAN Table 4), checked before any folder is made."""
    from data_prep.errors import InputError
    from data_prep.long_videos import FPS
    from micro_expr.mean.long_video import LongVideoSet

    datasets = _names(args.datasets) or []
    if system_name != "mean":
        raise InputError(f"--protocol {LONG_VIDEO}: long videos are MEAN's (--system mean), not {system_name}'s")
    if args.cache:
        raise InputError(f"--protocol {LONG_VIDEO} reads the frame files (--root), not a cache: drop --cache")
    if len(datasets) != 1 or datasets[0] not in FPS or not args.root:
        raise InputError(f"--protocol {LONG_VIDEO} needs --datasets with one of {', '.join(FPS)} and --root")
    if args.engine != "local":
        raise InputError(f"--protocol {LONG_VIDEO} runs with --engine local only")
    return LongVideoSet(datasets[0], args.root, args.coding, args.samm_coding)


def print_results(system, results):
    """The system's own headline of the merged results (:meth:`RecognitionSystem.results_text`)."""
    print(system.results_text(results))
