"""seedlock's version: in the spec layer, so that the provenance every run records can name it without
importing the package's public API (pyproject.toml reads it from here too)."""

__version__ = "0.1.0"
