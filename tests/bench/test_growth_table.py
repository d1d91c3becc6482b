"""The table ``python -m bench.bench_growth`` prints for docs/performance.md (no timing here)."""

from bench.bench_growth import Column, cell, table


def test_the_table_has_a_row_per_measure_and_a_column_per_database_and_size() -> None:
    columns = [
        Column("SQLite", 10_000, {"get by id": cell(1.234, 7.0), "report": cell(123.4, 1_234.5)}),
        Column("PostgreSQL", 1_000_000, {"get by id": cell(13.1, 15.06)}),
    ]

    assert table(columns, ["get by id", "report"]).splitlines() == [
        "| measure | SQLite, 10,000 | PostgreSQL, 1,000,000 |",
        "|---|--:|--:|",
        "| get by id | 1.2 (7.0) | 13.1 (15.1) |",
        "| report | 123 (1,234) | – |",
    ]
