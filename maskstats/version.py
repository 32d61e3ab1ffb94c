"""The version of maskstats, in a module of its own so any module can import it without
importing the package's ``__init__`` (which would make an import cycle)."""

__version__ = "0.1.0"
