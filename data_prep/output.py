"""Checks on an output folder before any work is done, so a bad --out fails at once with one clear line."""
import os
from pathlib import Path

from data_prep.errors import InputError


def check_output_folder(path):
    """InputError when ``path`` cannot become a writable folder (a file, below a file, read-only)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: exists and is not a folder; choose another output folder")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{path}: {existing} is a file, so no folder can be made below it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"{path}: {existing} is not writable")
    return path
