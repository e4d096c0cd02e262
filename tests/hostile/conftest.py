"""A hostile corpus, built at test time: run folders, predictions files and configs that an
attacker or a careless user could hand nnaudit. Each must give one sentence and exit 2, or be
read correctly; never a traceback, a hang or a silently wrong number."""

from cli.conftest import Result, cli, one_sentence_exit_2  # noqa: F401  (shared CLI fixture)
