"""The version of backtriage, in one place (hatchling reads it from here)."""

__version__ = "0.4.0"
