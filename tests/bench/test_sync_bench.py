"""``python -m bench.bench_sync`` runs end to end on a small load (its figures are not checked here)."""

import re

import pytest

from bench.bench_sync import main


def test_both_rules_of_the_first_sync_page_every_loaded_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--entries", "1200", "--runs", "1"]) == 0
    printed = capsys.readouterr().out
    synced = re.findall(r"first sync, .*?: ([\d,]+) entries in (\d+) pages", printed)
    assert synced == [("1,200", "3"), ("1,200", "3")], printed
    assert "running=true, one page:" in printed
