"""``python -m opencheckout`` is the same as the ``opencheckout`` command."""

from opencheckout.cli import app

app()
