"""The files translators and terminologists exchange: the segment file (XLIFF), CAT-tool export and import, TBX, OmegaT projects."""
