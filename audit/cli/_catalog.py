"""`nnaudit datasets` and `models`: what can be loaded and trained."""

from __future__ import annotations

from nnaudit.cli._app import app, console
from nnaudit.terminal import user_text


@app.command()
def datasets() -> None:
    """List the datasets nnaudit can load."""
    from rich.table import Table

    from nnaudit.data import list_datasets

    table = Table("dataset", "description")
    for name, description in list_datasets():
        table.add_row(user_text(name), user_text(description))  # plugins' text
    console().print(table)


@app.command()
def models() -> None:
    """List the model architectures."""
    from rich.table import Table

    from nnaudit.models import describe_model, list_models

    table = Table("model", "description")
    for name in list_models():
        table.add_row(user_text(name), user_text(describe_model(name)))
    console().print(table)
