"""Objective classes I..VII from action units (Davison et al. 2017, "Objective classes
for micro-facial expression recognition", Table 1).

Used when a coding sheet has no "Objective Classes" column. The AU combinations
are matched on the set of AU numbers of a sample: sides L/R and intensities A-E
are ignored, and AUs inside "ref(...)" (SAMM's mark for an AU that is only
referred to, not coded) are left out. Class VII is "others". On the real sheets
these rules agree with the sheets' own "Objective Classes" column for 253/255
CASME II and 147/159 SAMM samples (tests/test_coding_sheets.py).
"""
import re

# Class -> AU combinations (each a set of AU numbers), Davison et al. 2017 Table 1.
OBJECTIVE_CLASS_RULES = {
    1: [{6}, {12}, {6, 12}, {6, 7, 12}, {7, 12}],                               # I: happiness
    2: [{1, 2}, {5}, {25}, {1, 2, 25}, {25, 26}, {5, 24}],                       # II: surprise
    3: [{23}, {4}, {4, 7}, {4, 5}, {4, 5, 7}, {17, 24}, {4, 6, 7}, {4, 38}],     # III: anger
    4: [{10}, {9}, {4, 9}, {4, 40}, {4, 5, 40}, {4, 7, 9}, {4, 9, 17},           # IV: disgust
        {4, 7, 10}, {4, 5, 7, 9}, {7, 10}],
    5: [{1}, {15}, {1, 4}, {6, 15}, {15, 17}],                                   # V: sadness
    6: [{1, 2, 4}, {20}],                                                        # VI: fear
}
OTHERS = 7
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII"}


def parse_action_units(text):
    """The set of AU numbers in a coding-sheet cell such as ``4+7+L10`` or ``(R6 or R12)+R15``."""
    if text is None:
        return set()
    coded = re.sub(r"ref\([^)]*\)", "", str(text))
    return {int(number) for number in re.findall(r"\d+", coded)}


def objective_class(action_units):
    """Objective class 1..7 of a sample from its action units (7 = others)."""
    aus = parse_action_units(action_units)
    for cls, combinations in OBJECTIVE_CLASS_RULES.items():
        if any(aus == combo for combo in combinations):
            return cls
    return OTHERS
