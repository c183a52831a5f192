"""GIA + BIA + Bi-LSTM (Zhu, Li, Liu, Zeng, "Micro-Expression Recognition Based on Spatio-Temporal Feature
Extraction of Key Regions", 2023): config and presets, network, system for the common runner, figures."""
