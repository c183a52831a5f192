"""The papers this project implements: one key per paper, used in docstrings, outputs and docs/equations.md."""

PAPERS = {
    "STFF": ("Aouayeb, Soladie, Hamidouche, Kpalma, Seguier, \"Spatiotemporal Features Fusion From Local Facial "
             "Regions for Micro-Expressions Recognition\", Frontiers in Signal Processing 2:861469, 2022"),
    "Aouayeb et al. 2021": ("Aouayeb, Hamidouche, Soladie, Kpalma, Seguier, \"Micro-expression recognition from "
                            "local facial regions\", Signal Processing: Image Communication 99:116457, 2021"),
    "Aouayeb et al. 2019": ("Aouayeb, Hamidouche, Kpalma, Benazza-Benyahia, \"A spatiotemporal deep learning "
                            "solution for automatic micro-expressions recognition from local facial regions\", "
                            "IEEE MLSP 2019"),
    "Zhu et al. 2023": ("Zhu, Li, Liu, Zeng, \"Micro-Expression Recognition Based on Spatio-Temporal Feature "
                        "Extraction of Key Regions\", Computers, Materials & Continua 77(1), 2023"),
    "MEAN": ("Liong, See, Chan, \"Spot-then-Recognize: A Micro-Expression Analysis Network for Seamless "
             "Evaluation of Long Videos\", Signal Processing: Image Communication 110:116875, 2023"),
}
