"""``python -m cli`` runs the ``kb`` command."""

from cli.main import app

app()
