"""The project's one version: the [fsync~] external's (Cargo.toml), shared by the
Python package (pyproject reads it from here) and both CLIs' --version."""

__version__ = "0.2.0"
