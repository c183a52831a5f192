"""What every system's configuration shares: field checks with one message shape, and one override rule.

A system's configuration is a tree of frozen dataclasses (STFF: ``STFFConfig`` with the sections ``spatial`` and
``temporal``; MEAN and GIA + BIA: one flat dataclass). Every system changes it the same way:

    override(config, {"spatial.patches": 4, "seed": 7})      # dotted keys walk the sections

An unknown key or section is a :class:`ConfigError` naming the key and the fields that exist, whatever the
system (``--set nonsense.seed=7`` is refused by all of them alike). Configurations derive from
:class:`Config`, which gives them ``to_dict`` / ``from_dict`` (run.json and checkpoints keep the dict).
"""
import dataclasses
import numbers
import typing


class ConfigError(ValueError):
    """A configuration key or value that does not fit (``from_preset`` turns it into an InputError)."""


# --- the override rule --------------------------------------------------------------------------

def _fields(node):
    return [f.name for f in dataclasses.fields(node)]


def _sections(node):
    return [name for name in _fields(node) if dataclasses.is_dataclass(getattr(node, name))]


def _describe(node):
    sections = _sections(node)
    plain = [name for name in _fields(node) if name not in sections]
    text = f"fields: {', '.join(plain)}"
    return text + (f"; sections: {', '.join(sections)} (write section.field)" if sections else "")


def _check_key(node, path, key):
    """Raise ConfigError unless dotted ``path`` names a field (not a section) of the dataclass tree ``node``."""
    name, rest = path[0], path[1:]
    kind = type(node).__name__
    if name not in _fields(node):
        raise ConfigError(f"unknown configuration key {key!r}: {kind} has no field {name!r} ({_describe(node)})")
    current = getattr(node, name)
    if rest:
        if not dataclasses.is_dataclass(current):
            raise ConfigError(f"unknown configuration key {key!r}: {kind}.{name} is a field, not a section")
        _check_key(current, rest, key)
    elif dataclasses.is_dataclass(current):
        raise ConfigError(f"configuration key {key!r} is a section of {kind}: set its fields "
                          f"({', '.join(f'{key}.{f}' for f in _fields(current))})")


def _replace(node, changes):
    """One ``dataclasses.replace`` per dataclass of the tree, with all of its changes at once (a check that
    ties two fields together sees both new values)."""
    own = {name: value for name, value in changes.items() if "." not in name}
    for section in {name.split(".", 1)[0] for name in changes if "." in name}:
        inner = {name.split(".", 1)[1]: value for name, value in changes.items() if name.startswith(section + ".")}
        own[section] = _replace(getattr(node, section), inner)
    return dataclasses.replace(node, **own)


def override(config, changes, shortcuts=None):
    """A copy of ``config`` with ``changes`` ({dotted key: value}) applied in order.

    ``shortcuts``: {key: function(config, value) -> config} for keys that are not fields but set several
    (STFF's ``fusion``, ``regions``). Every other key must name a field of the dataclass tree; consecutive field
    changes are applied together, so a later change wins and a check that ties two fields sees both new values.
    """
    pending = {}
    for key, value in dict(changes).items():
        if shortcuts and key in shortcuts:
            config = _replace(config, pending) if pending else config
            pending = {}
            config = shortcuts[key](config, value)
        else:
            _check_key(config, str(key).split("."), key)
            pending[str(key)] = value
    return _replace(config, pending) if pending else config


def _plain(value):
    """JSON's view of a value: tuples become lists, as JSON would make them."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _build(cls, data, where):
    if not isinstance(data, dict):
        raise ConfigError(f"{where or cls.__name__}: expected a mapping of fields, got {type(data).__name__}")
    names = _fields(cls)
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} fields: {unknown}")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        kind = hints.get(name)
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            value = _build(kind, value, f"{where}.{name}" if where else name)
        values[name] = value
    return cls(**values)


class Config:
    """Mixin of a system's configuration dataclass: JSON round trip and :func:`override` as a method."""

    def to_dict(self):
        """Plain JSON-able dict (sections are nested dicts, tuples become lists)."""
        return _plain(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`; unknown keys are an error, missing keys take defaults."""
        return _build(cls, dict(data), "")

    def with_changes(self, **changes):
        """:func:`override` with this configuration's shortcuts (none by default)."""
        return override(self, changes, getattr(self, "SHORTCUTS", None))


def flat(config):
    """{dotted key: value} of every field of a configuration (sections flattened)."""
    out = {}
    for key, value in config.to_dict().items():
        if isinstance(value, dict):
            out.update({f"{key}.{name}": item for name, item in value.items()})
        else:
            out[key] = value
    return out


# --- field checks: one clear ConfigError naming the field and the value -------------------------------

def check_choice(name, value, choices):
    if value not in choices:
        raise ConfigError(f"{name} must be one of {tuple(choices)}, got {value!r}")


def check_int(name, value, minimum):
    """An int >= minimum (not a bool, float or text: 60.0 or "60" are refused, not guessed)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value!r}")


def check_number(name, value, low, high=float("inf"), low_open=False, high_open=True):
    """A real number in the interval [low, high) (ends open or closed as asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        raise ConfigError(f"{name} must be a number, got {value!r}")
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (above and below):
        if high == float("inf"):
            wanted = f"{'>' if low_open else '>='} {low:g}"
        else:
            wanted = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ConfigError(f"{name} must be {wanted}, got {value!r}")


def check_flag(name, value):
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False, got {value!r}")


def check_fields(config, rules, prefix=""):
    """Apply ``rules`` {field: check(name, value)} to the fields of ``config`` (``prefix``: its section)."""
    for name, check in rules.items():
        check(f"{prefix}{name}", getattr(config, name))


# The rules the configurations use most, as one-argument-pair checks for :func:`check_fields`.
def at_least_1(name, value):
    check_int(name, value, 1)


def at_least_0(name, value):
    check_int(name, value, 0)


def rate(name, value):
    check_number(name, value, 0, 1)                           # [0, 1): a dropout of 1 drops everything


def positive(name, value):
    check_number(name, value, 0, low_open=True)               # (0, inf)


def non_negative(name, value):
    check_number(name, value, 0)                              # [0, inf)


def ratio(name, value):
    check_number(name, value, 0, 1, low_open=True, high_open=False)  # (0, 1]


def fraction(name, value):
    check_number(name, value, 0, 1, low_open=True)            # (0, 1)
