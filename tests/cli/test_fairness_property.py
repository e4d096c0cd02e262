"""Property: whatever predictions frame a user hands `nnaudit fairness` (any group names, markup
and control characters included, one row or a few, NaN and empty cells), the command either
writes a complete run or exits 2 with one sentence; never a traceback, never exit 1."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from nnaudit.store import list_runs

HOSTILE_NAMES = ["[/]", "[evil link](https://evil.example/phish)", "[link=https://x]click[/link]",
                 ":smile:", "nan", "", " ", "a\nb", "=1+2", "<script>x</script>", "`", "\\",
                 "\x00", "\x1b[31mred", "😀"]
# Deterministic (a fixed seed, no example database) so the expected failure below is stable;
# no explain phase, which costs more than the examples.
PROPERTY = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@st.composite
def predictions_frames(draw, min_groups: int = 1) -> pd.DataFrame:
    """1 to 40 rows over ``min_groups`` to 4 group names drawn from any text, each name on at
    least one row; half the frames may also hold missing labels, groups and scores."""
    dirty = draw(st.booleans())
    label = st.sampled_from(["0", "1", "yes", None] if dirty else ["0", "1"])
    names = draw(st.lists(st.sampled_from(HOSTILE_NAMES) | st.text(max_size=8),
                          min_size=min_groups, max_size=4, unique=True))
    group = st.sampled_from(names + [None] if dirty else names)
    score = st.floats(0, 1) | st.just(math.nan) if dirty else st.floats(0, 1)
    rows = draw(st.lists(st.tuples(label, label, group, score), min_size=1, max_size=36))
    rows += [(draw(label), draw(label), name, draw(score)) for name in names]
    return pd.DataFrame(rows, columns=["truth", "decision", "population", "score"])


def audit_frame(cli, frame: pd.DataFrame, parquet: bool, by_score: bool, *options: str) -> None:
    """Run `nnaudit fairness` on ``frame`` and check the property."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        path = folder / ("predictions.parquet" if parquet else "predictions.csv")
        frame.to_parquet(path, index=False) if parquet else frame.to_csv(path, index=False)
        decision = (["--score", "score", "--positive", "1"] if by_score
                    else ["--pred", "decision"])
        result = cli("fairness", "--predictions", path, "--label", "truth", *decision,
                     "--groups", "population", "--n-boot", "100", *options,
                     "--out", folder / "runs", "--quiet")
        if result.code == 0:
            [run] = list_runs(folder / "runs")
            assert run.is_complete, run.problem
        else:
            assert result.code == 2, (result.code, result.err)
            assert "Traceback" not in result.err and "internal error" not in result.err
            assert len([ln for ln in result.err.splitlines() if ln.strip()]) == 1, result.err


@PROPERTY
@given(frame=predictions_frames(min_groups=2), parquet=st.booleans(), by_score=st.booleans())
def test_frames_with_two_rankable_groups_give_a_run_or_one_sentence(cli, frame, parquet,
                                                                     by_score):
    audit_frame(cli, frame, parquet, by_score, "--min-group-size", "1")


@PROPERTY
@given(frame=predictions_frames(), parquet=st.booleans(), by_score=st.booleans())
def test_any_predictions_frame_gives_a_run_or_one_sentence(cli, frame, parquet, by_score):
    audit_frame(cli, frame, parquet, by_score)
