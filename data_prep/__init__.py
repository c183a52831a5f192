"""From dataset folders and coding sheets to a cache of six facial regions per frame."""
