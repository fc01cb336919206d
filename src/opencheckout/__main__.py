"""``python -m opencheckout`` is the same as the ``opencheckout`` command."""

from opencheckout.cli import app

# Guarded: ``serve --workers N`` spawns children that import this module again.
if __name__ == "__main__":
    app()
