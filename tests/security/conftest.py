"""The hostile corpus: model files, SQL, symlinks and escape strings, built at test time."""

from __future__ import annotations

from tests.cli.conftest import cli, one_sentence_exit_2  # noqa: F401 - the in-process CLI
