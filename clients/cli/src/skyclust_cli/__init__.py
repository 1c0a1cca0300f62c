"""skyclust: the command line for SkyClust."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skyclust-cli")
except PackageNotFoundError:  # run from a source tree that was not installed
    __version__ = "0.0.0"
