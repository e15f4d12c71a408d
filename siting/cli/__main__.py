"""``python -m siting.cli``: the same as the ``siting`` command."""

from siting.cli import entry

entry()
