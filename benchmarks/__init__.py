"""Side-by-side speed measurements; never timed tests.

Each module here that defines ``main(quick: bool) -> list[dict]`` is one benchmark.
``python -m benchmarks`` runs them all and prints their rows as one table; ``--quick`` picks
sizes that finish on a laptop CPU. A row should name what was compared and give the ratio::

    {"benchmark": "train_speed", "case": "lenet5", "nnaudit": "1.2M img/s",
     "reference": "40k img/s", "ratio": 30.0}

Shared timing and printing helpers live in `benchmarks.common`. Figures go into
docs/BENCHMARKS.md with the device and the date.
"""
