"""What an install needs: the landmark model is found on Python 3.12+ environments without setuptools."""
import subprocess
import sys

from tests.helpers import REPO

# pkg_resources made unimportable, as in a Python 3.12+ venv (no setuptools) or with setuptools >= 81.
WITHOUT_PKG_RESOURCES = "import sys; sys.modules['pkg_resources'] = None\n"


def test_the_landmark_model_loads_without_pkg_resources():
    code = WITHOUT_PKG_RESOURCES + (
        "from data_prep.face import _dlib_models, landmark_model_path\n"
        "path = landmark_model_path(); _dlib_models()\n"
        "print(path.name, path.stat().st_size)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    name, size = done.stdout.split()
    assert name == "shape_predictor_68_face_landmarks.dat" and int(size) > 90_000_000   # 99.7 MB model


def test_the_package_itself_would_need_pkg_resources():
    """The reason for landmark_model_path: importing face_recognition_models fails without pkg_resources."""
    done = subprocess.run([sys.executable, "-c", WITHOUT_PKG_RESOURCES + "import face_recognition_models"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "pkg_resources" in done.stderr
