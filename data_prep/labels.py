"""Class names of the protocols and the per-region labels of Aouayeb et al. 2021 (spec section 3).

Each region gets the sequence's class when the region is involved in it, else
the extra class "no reaction". A region's model has as many outputs as labels
it can see, in the protocol's class order with "no reaction" last.
"""

MEGC_CLASSES = ("negative", "positive", "surprise")  # 0, 1, 2 as in the official MEGC 2019 list
AU5_CLASSES = ("I", "II", "III", "IV", "V")  # objective classes of Davison et al. 2017 (VI, VII dropped)
PROTOCOL_CLASSES = {"megc": MEGC_CLASSES, "au5": AU5_CLASSES}
NO_REACTION = "no reaction"

# Which classes each region is involved in, regions in the order R0..R5
# (left eye, right eye, nose, left cheek, right cheek, mouth).
# au5: spec section 3, as the authors' code. megc: the project's mapping from
# Aouayeb et al. 2021 Table 1 (eyes: disgust, surprise, sadness -> negative, surprise;
# nose: disgust -> negative; cheeks: happiness -> positive; mouth: all).
REGION_INVOLVEMENT = {
    "au5": (
        ("II", "III", "IV", "V"),
        ("II", "III", "IV", "V"),
        ("IV",),
        ("I",),
        ("I",),
        ("I", "II", "V"),
    ),
    "megc": (
        ("negative", "surprise"),
        ("negative", "surprise"),
        ("negative",),
        ("positive",),
        ("positive",),
        ("negative", "positive", "surprise"),
    ),
}


def protocol_classes(protocol):
    """The K class names of a protocol (``megc`` or ``au5``)."""
    try:
        return PROTOCOL_CLASSES[protocol]
    except KeyError:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {sorted(PROTOCOL_CLASSES)}") from None


def region_classes(protocol, region_labels=True, regions=range(6)):
    """Class names seen by each region's spatial model.

    With ``region_labels`` (Aouayeb et al. 2021; STFF Table 6 "label based on region"),
    the involved classes plus "no reaction" when some class does not involve
    the region; without, every region gets the whole-face classes.
    """
    classes = protocol_classes(protocol)
    if not region_labels:
        return tuple(classes for _ in regions)
    result = []
    for r in regions:
        involved = REGION_INVOLVEMENT[protocol][r]
        names = tuple(c for c in classes if c in involved)
        result.append(names + ((NO_REACTION,) if len(names) < len(classes) else ()))
    return tuple(result)


def region_label(protocol, region, class_name, region_labels=True):
    """Index of the label of region ``region`` (0..5) for a sequence of class ``class_name``."""
    names = region_classes(protocol, region_labels, regions=[region])[0]
    if class_name in names:
        return names.index(class_name)
    if class_name not in protocol_classes(protocol):
        raise ValueError(f"{class_name!r} is not a class of protocol {protocol!r}")
    return names.index(NO_REACTION)


# MEGC 2019 composite: emotion of each dataset's coding sheet -> 3-class label
# (spec section 5; Aouayeb et al. 2021 Table 3). Emotions not listed are outside MEGC.
MEGC_EMOTIONS = {
    "casme2": {"happiness": "positive", "disgust": "negative", "repression": "negative",
               "surprise": "surprise"},
    "samm": {"happiness": "positive", "anger": "negative", "contempt": "negative",
             "disgust": "negative", "fear": "negative", "sadness": "negative", "surprise": "surprise"},
    "smic": {"negative": "negative", "positive": "positive", "surprise": "surprise"},
}


# Every emotion word the distributed coding sheets use (CASME2-coding-20190701.xlsx,
# SAMM_Micro_FACS_Codes_v2.xlsx; lower-cased). Another word is most likely a typo: the reader warns,
# naming the row, since the sample would silently drop out of MEGC.
SHEET_EMOTIONS = {
    "casme2": ("happiness", "disgust", "repression", "surprise", "fear", "sadness", "others"),
    "samm": ("anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise", "other"),
}


def unknown_emotion(dataset, emotion):
    """Why ``emotion`` of a ``dataset`` coding sheet is suspicious (a word its sheet never uses), or None."""
    known = SHEET_EMOTIONS.get(dataset)
    if known is None or emotion in known:
        return None
    shown = repr(emotion) if emotion else "an empty cell"
    return (f"column 'Estimated Emotion': {shown} is not an emotion of {dataset} coding sheets "
            f"({', '.join(known)}); the sample has no MEGC class and is left out of the megc protocol")


def megc_class(dataset, emotion):
    """MEGC 2019 class name of an emotion of ``dataset``, or None when it is not in MEGC."""
    return MEGC_EMOTIONS[dataset].get(str(emotion).strip().lower())


# --- region labels per emotion (Aouayeb et al. 2021, Table 1) -------------------------------
# The predecessor CNN-LSTM labels a region by the sample's *emotion*: a region
# keeps the sample's class only when Table 1 ticks it for that emotion, so a
# repression or contempt sample is "no reaction" on the eyes, and a sadness
# sample is "no reaction" on the mouth, although all three are "negative".
# Regions R0..R5: eyes and eyebrows (R0, R1), nose (R2), cheeks (R3, R4), mouth (R5).
EMOTION_REGIONS = {
    "happiness": (3, 4, 5),
    "disgust": (0, 1, 2, 5),
    "surprise": (0, 1, 5),
    "repression": (5,),
    "sadness": (0, 1),
    "contempt": (5,),
}
REGION_LABEL_MODES = ("class", "emotion")


def involved_regions(protocol, class_name, emotion=None):
    """Regions R0..R5 (indices) involved in a sample of ``class_name`` with ``emotion``.

    Aouayeb et al. 2021 Table 1 decides for its six emotions under the MEGC protocol; any other
    emotion (SAMM anger and fear, SMIC's own negative / positive / surprise,
    an unknown one) and the 5-AU protocol (whose objective classes are not
    emotions) fall back to the per-class involvement of ``REGION_INVOLVEMENT``.
    """
    emotion = str(emotion or "").strip().lower()
    if protocol == "megc" and emotion in EMOTION_REGIONS:
        return EMOTION_REGIONS[emotion]
    return tuple(r for r in range(6) if class_name in REGION_INVOLVEMENT[protocol][r])


def emotion_region_classes(protocol, regions=range(6)):
    """Class names seen by each region's model when regions are labelled per emotion.

    A region sees a class when some emotion of that class involves it, and
    "no reaction" when some emotion of the protocol does not (the mouth gets
    "no reaction" from sadness, which the per-class mapping never gives it).
    """
    classes = protocol_classes(protocol)
    if protocol != "megc":
        return region_classes(protocol, True, regions)
    cases = [(megc, emotion) for table in MEGC_EMOTIONS.values() for emotion, megc in table.items()]
    result = []
    for r in regions:
        seen = {c for c, emotion in cases if r in involved_regions(protocol, c, emotion)}
        names = tuple(c for c in classes if c in seen)
        missing = any(r not in involved_regions(protocol, c, emotion) for c, emotion in cases)
        result.append(names + ((NO_REACTION,) if missing else ()))
    return tuple(result)


def emotion_region_label(protocol, region, class_name, emotion):
    """Index of region ``region``'s label for a sample of ``class_name`` and ``emotion`` (Aouayeb et al. 2021, Table 1)."""
    if class_name not in protocol_classes(protocol):
        raise ValueError(f"{class_name!r} is not a class of protocol {protocol!r}")
    names = emotion_region_classes(protocol, regions=[region])[0]
    if region in involved_regions(protocol, class_name, emotion):
        return names.index(class_name)
    return names.index(NO_REACTION)
