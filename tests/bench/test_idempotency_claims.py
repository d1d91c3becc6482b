"""``bench.idempotency_claims`` measures this tree's claims and completions and prints a line a run."""

import re

import pytest

from bench import idempotency_claims


def test_the_claims_benchmark_measures_each_run_of_the_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert idempotency_claims.main(["--runs", "2", "--rounds", "1"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["run 1, this tree", "run 2, this tree"]
    figures = [float(re.search(r"completion ([0-9.]+) µs of CPU", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert all(figure > 0 for figure in figures), lines
