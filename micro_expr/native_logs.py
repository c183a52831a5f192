"""Drop TensorFlow's start-up noise from stderr, keep everything else.

TensorFlow's C++ side prints absl log lines (oneDNN notice, "Could not find
cuda drivers", "failed call to cuInit ... (303)" on machines without a GPU)
before ``TF_CPP_MIN_LOG_LEVEL`` can take effect, so environment variables do
not silence them. Here file descriptor 2 is routed through a pipe, and a
thread copies it to the real stderr minus the known noise lines. Python
warnings, errors and progress bars pass unchanged. ``MER_TF_LOGS=1`` turns
the filter off.
"""
import atexit
import os
import re
import threading

NOISE = re.compile(
    rb"(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    # absl's format (TF 2.17+: "E0000 00:00:... 303 cuda_platform.cc:52]") and TSL's (TF 2.20 on some
    # machines: "2026-12-01 21:06:01.949292: E external/.../cuda_platform.cc:51]")
    rb"|(?:[IWE]\d{4} [\d:. ]+\d+ |\d{4}-\d\d-\d\d [\d:.]+: [IWE] \S*?)"
    rb"(?:(?:port|cudart_stub|cuda_platform|cpu_feature_guard|cuda_fft|cuda_dnn|cuda_blas"
    rb"|cuda_executor|computation_placer)\.cc:\d+\]"
    # the first masked LSTM step on a CPU without AVX-512 (the STFF temporal model): "E ... util.cc:131] oneDNN
    # supports DT_BOOL only on platforms with AVX-512. Falling back to the default Eigen-based implementation"
    rb"|util\.cc:\d+\] oneDNN supports \S+ only on platforms with)"
    rb"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\."
    rb"|WARNING: All log messages before absl)")


def _clean(text):
    """``text`` (one line, no end) without a noise line, which may follow a progress bar's text on the same line
    (the bar ends with no newline): (kept text, True when noise was cut)."""
    match = NOISE.search(text)
    if match is None:
        return text, False
    return text[:match.start()], True


def _copy(read_fd, write_fd):
    """Copy the pipe to the real stderr line by line (\\r ends a progress-bar line), dropping NOISE."""
    pending = b""
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        pending += chunk
        pieces = re.split(rb"(\r\n|\n|\r)", pending)
        pending = pieces.pop()  # no line end yet
        out = b"".join(_line(text, end) for text, end in zip(pieces[::2], pieces[1::2]))
        if out:
            os.write(write_fd, out)
    if pending:
        os.write(write_fd, _line(pending, b""))


def _line(text, end):
    """A line as it is, or what is left of it without noise (a bar's text keeps going, without the line end)."""
    kept, cut = _clean(text)
    return kept if cut else text + end


def quiet_native_logs():
    """Install the filter for the rest of this process (and the worker processes it starts)."""
    if os.environ.get("MER_TF_LOGS") == "1":
        return
    try:
        real = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
    except OSError:
        return
    thread = threading.Thread(target=_copy, args=(read_fd, real), daemon=True)
    thread.start()

    def restore():
        import sys

        sys.stderr.flush()
        os.dup2(real, 2)  # the pipe's last writer closes: the thread sees the end and flushes
        thread.join(timeout=5)

    atexit.register(restore)
