"""specdsl's version, importable without the package's start-up (it registers custom objects)."""

__version__ = "0.1.0"
