"""Errors about bad input: each message names the file and what is wrong with it."""


class InputError(Exception):
    """Bad user input (file, folder, sheet, frame). The CLI prints it and exits non-zero."""


class NoFaceError(InputError):
    """No face was found on the frame used for landmarks."""


class FrameError(InputError):
    """A frame is missing or cannot be decoded."""


class CodingSheetError(InputError):
    """A coding sheet is missing, unreadable, or lacks a required column."""


class CacheConfigError(InputError):
    """A cache was built with other preprocessing settings than the ones asked for."""


class OutputError(InputError):
    """An output path cannot be written (read-only, full disk, below a file, locked by another run)."""
