"""The papers this project implements: one key per paper, used in docstrings, outputs and docs/equations.md.

This is the one list of papers. :data:`PAPERS` maps a key to the short citation that the systems print
(``RecognitionSystem.citation``); :data:`SOURCES` maps the same key to a :class:`Paper` with its title, the
name of its seed text (the stored copy the tests read, under ``shared/seeds``) and the full reference that
docs/equations.md prints (``python -m micro_expr.equations --write``).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    """One paper: its key, title, short citation, seed text and full reference (Markdown)."""
    key: str
    title: str
    citation: str
    seed_file: str
    reference: str


SOURCES = {paper.key: paper for paper in (
    Paper(
        key='STFF',
        title='Spatiotemporal Features Fusion From Local Facial Regions for Micro-Expressions Recognition',
        citation=('Aouayeb, Soladie, Hamidouche, Kpalma, Seguier, "Spatiotemporal Features Fusion From Local Facial '
                  'Regions for Micro-Expressions Recognition", Frontiers in Signal Processing 2:861469, 2022'),
        seed_file='000_2cf5e85c636f9cf2.txt',
        reference=('Mouath Aouayeb, Catherine Soladie, Wassim Hamidouche, Kidiyo Kpalma, Renaud Seguier. '
                   '"Spatiotemporal Features Fusion From Local Facial Regions for Micro-Expressions Recognition". '
                   '*Frontiers in Signal Processing* 2:861469, 2022 (published 13 April 2022). '
                   'doi:10.3389/frsip.2022.861469. The main method of this project.')),
    Paper(
        key='Aouayeb et al. 2021',
        title='Micro-expression recognition from local facial regions',
        citation=('Aouayeb, Hamidouche, Soladie, Kpalma, Seguier, "Micro-expression recognition from local facial '
                  'regions", Signal Processing: Image Communication 99:116457, 2021'),
        seed_file='001_ae5b1337345f4e21.txt',
        reference=('Mouath Aouayeb, Wassim Hamidouche, Catherine Soladie, Kidiyo Kpalma, Renaud Seguier. '
                   '"Micro-expression recognition from local facial regions". *Signal Processing: Image '
                   'Communication* 99:116457, 2021. doi:10.1016/j.image.2021.116457 (HAL hal-03370670). The '
                   'predecessor CNN-LSTM without SE fusion.')),
    Paper(
        key='Aouayeb et al. 2019',
        title=('A spatiotemporal deep learning solution for automatic micro-expressions recognition from local '
               'facial regions'),
        citation=('Aouayeb, Hamidouche, Kpalma, Benazza-Benyahia, "A spatiotemporal deep learning solution for '
                  'automatic micro-expressions recognition from local facial regions", IEEE MLSP 2019'),
        seed_file='002_85f30f0a12d46bec.txt',
        reference=('Mouath Aouayeb, Wassim Hamidouche, Kidiyo Kpalma, Amel Benazza-Benyahia. "A spatiotemporal deep '
                   'learning solution for automatic micro-expressions recognition from local facial regions". IEEE '
                   'International Workshop on Machine Learning for Signal Processing (MLSP 2019), Pittsburgh, PA, '
                   'USA, 2019 (slides; HAL hal-02334439). The first version of the predecessor.')),
    Paper(
        key='Zhu et al. 2023',
        title='Micro-Expression Recognition Based on Spatio-Temporal Feature Extraction of Key Regions',
        citation=('Zhu, Li, Liu, Zeng, "Micro-Expression Recognition Based on Spatio-Temporal Feature Extraction of '
                  'Key Regions", Computers, Materials & Continua 77(1), 2023'),
        seed_file='003_f247243bd74ce6a9.txt',
        reference=('Wenqiu Zhu, Yongsheng Li, Qiang Liu, Zhigao Zeng. "Micro-Expression Recognition Based on '
                   'Spatio-Temporal Feature Extraction of Key Regions". *Computers, Materials & Continua* '
                   '77(1):1373-1392, 2023 (published 31 October 2023). doi:10.32604/cmc.2023.037216. GIA + BIA + '
                   'Bi-LSTM.')),
    Paper(
        key='MEAN',
        title='Spot-then-Recognize: A Micro-Expression Analysis Network for Seamless Evaluation of Long Videos',
        citation=('Liong, See, Chan, "Spot-then-Recognize: A Micro-Expression Analysis Network for Seamless '
                  'Evaluation of Long Videos", Signal Processing: Image Communication 110:116875, 2023'),
        seed_file='004_0c27819607a3b834.txt',
        reference=('Gen-Bing Liong, John See, Chee-Seng Chan. "Spot-then-Recognize: A Micro-Expression Analysis '
                   'Network for Seamless Evaluation of Long Videos". *Signal Processing: Image Communication* '
                   '110:116875, 2023. doi:10.1016/j.image.2022.116875.')),
)}

# Key -> short citation, the string code cites (e.g. ``PAPERS["STFF"]``).
PAPERS = {key: paper.citation for key, paper in SOURCES.items()}
