"""The papers this project implements: one key per paper, used in docstrings, outputs and docs/equations.md."""

PAPERS = {
    "STFF": ("Aouayeb, Soladie, Hamidouche, Kpalma, Seguier: a spatiotemporal deep learning solution for "
             "micro-expression recognition from local facial regions with two squeeze-and-excitation fusions "
             "(STFF)"),
    "Aouayeb et al. 2021": ("Aouayeb, Hamidouche, Soladie, Kpalma, Seguier, \"Micro-expression recognition from "
                            "local facial regions\", Signal Processing: Image Communication, 2021"),
    "Aouayeb et al. 2019": ("Aouayeb, Hamidouche, Kpalma, Benazza-Benyahia, \"A spatiotemporal deep learning "
                            "solution for automatic micro-expressions recognition from local facial regions\", "
                            "IEEE MLSP 2019"),
    "Zhu et al. 2023": ("Zhu, Li, Liu, Zeng, \"Micro-Expression Recognition Based on Spatio-Temporal Feature "
                        "Extraction of Key Regions\", 2023"),
    "MEAN": ("Liong, See, Chan, \"Spot-then-Recognize: A Micro-Expression Analysis Network for Seamless "
             "Evaluation of Long Videos\""),
}
