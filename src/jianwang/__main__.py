"""``python -m jianwang`` runs the command line, like the ``jianwang`` script."""

from jianwang.cli.main import entry

entry()
