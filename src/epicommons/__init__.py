"""epicommons: a shared platform for joint epidemic prevention and control across countries."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("epicommons")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
