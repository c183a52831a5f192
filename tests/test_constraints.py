"""constraints.txt pins every declared dependency, at a version its declared range admits."""
import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import REPO


def pins():
    found = {}
    for number, line in enumerate((REPO / "constraints.txt").read_text().splitlines(), 1):
        line = line.split("#")[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.+!-]*)", line)
            assert match, f"constraints.txt line {number}: {line!r} is not NAME==VERSION"
            name = canonicalize_name(match[1])
            assert name not in found, f"constraints.txt line {number}: {name} pinned twice"
            found[name] = match[2]
    return found


def declared():
    """requirements.txt (install_requires) and the extras of setup.py, as Requirement objects."""
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    extras = re.search(r"extras_require=(\{.*?\}),\n", (REPO / "setup.py").read_text(), flags=re.S)
    assert extras, "setup.py: extras_require not found"
    names = re.findall(r'"([A-Za-z][^"]*[<>=][^"]*)"', extras[1])
    return [Requirement(text) for text in [line for line in lines if line] + names]


def test_every_declared_dependency_is_pinned_inside_its_declared_range():
    pinned = pins()
    requirements = declared()
    assert len(requirements) >= 14 + 3   # the runtime list and at least pytest, pytest-xdist, ray
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"constraints.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside {requirement}")
