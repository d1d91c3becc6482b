"""docs/architecture.md stays readable: each port is one row of the ports table, and no paragraph
of it says the same thing twice (two versions of one paragraph merged)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ARCHITECTURE = Path(__file__).parents[2] / "docs" / "architecture.md"


def test_the_ports_table_lists_each_port_once() -> None:
    text = ARCHITECTURE.read_text()
    table = text.split("## Ports", 1)[1].split("\n\n", 2)[1]
    ports = re.findall(r"^\| `([A-Za-z]+)`", table, re.MULTILINE)
    assert ports
    assert [port for port, count in Counter(ports).items() if count > 1] == []


def test_no_sentence_of_the_layers_is_written_twice() -> None:
    text = ARCHITECTURE.read_text()
    assert text.count("`build_services(unit_of_work, clock=..., ids=..., env=...)` wires") == 1
    assert text.count("(`lock_reason`, asked by every screen before it offers an edit)") == 1
