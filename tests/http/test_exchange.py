"""``GET /time-entries/export``, ``POST /imports`` and ``DELETE /imports/{id}`` over HTTP, on every store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from litestar.testing import TestClient

from hours_core.model import Plan
from hours_core.services.imports import MAX_REPORTED_ROW_ERRORS
from hours_http import create_app
from hours_http.controllers import imports as imports_controller
from tests.asgi_support import call
from tests.exchange.odd_files import TOGGL_HEADER, harvest_file, toggl_file
from tests.http.conftest import bearer
from tests.http.write_queue_support import journals_seen_by, served_by_the_write_queue
from tests.world import World

CSV = {"Content-Type": "text/csv"}
FORMULA = '=HYPERLINK("http://evil.example","click")'


def log(client: TestClient[Any], world: World, note: str, **fields: Any) -> dict[str, Any]:
    body = {
        "projectId": str(world.project.id),
        "entryDate": "2026-03-02",
        "duration": "1h",
        "note": note,
        **fields,
    }
    response = client.post("/time-entries", json=body, headers=bearer(world.owner_token))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def export(client: TestClient[Any], token: str, query: str = "") -> Any:
    return client.get(f"/time-entries/export{query}", headers=bearer(token))


def csv_rows(content: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def toggl(client: TestClient[Any], world: World, query: str = "", token: str | None = None) -> Any:
    return client.post(
        f"/imports?source=toggl&timezone=Europe/Berlin{query}",
        content=toggl_file(world.owner.email, world.member.email),
        headers={**bearer(token or world.owner_token), **CSV},
    )


def listed(client: TestClient[Any], world: World, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/time-entries?limit=500{query}", headers=bearer(world.owner_token))
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


# Export.


def test_a_csv_export_is_a_streamed_attachment_with_a_bom_and_a_header(
    client: TestClient[Any], world: World
) -> None:
    entry = log(client, world, "Kickoff, with a comma\nand a line")
    response = export(client, world.owner_token)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="time-entries-')
    assert response.headers["content-disposition"].endswith('.csv"')
    assert response.headers["hours-export-version"] == "1"
    assert "content-length" not in response.headers  # streamed, not buffered
    assert response.content.startswith(b"\xef\xbb\xbfid,entryDate,")
    (row,) = csv_rows(response.content)
    assert (row["id"], row["note"], row["durationSeconds"], row["decimalHours"]) == (
        entry["id"],
        "Kickoff, with a comma\nand a line",
        "3600",
        "1.00",
    )


def test_bom_delimiter_and_columns_shape_the_csv(client: TestClient[Any], world: World) -> None:
    log(client, world, "a;b")
    response = export(
        client, world.owner_token, "?bom=false&delimiter=semicolon&columns=note,hoursMinutes,entryDate"
    )
    assert response.content == b'note;hoursMinutes;entryDate\r\n"a;b";1:00;2026-03-02\r\n'


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?columns=entryDate,nope", "columns"),
        ("?columns=note,note", "columns"),
        ("?format=pdf", "format"),
        ("?delimiter=pipe", "delimiter"),
        ("?limit=5", "limit"),
    ],
)
def test_wrong_export_parameters_are_422_naming_them(
    client: TestClient[Any], world: World, query: str, field: str
) -> None:
    response = export(client, world.owner_token, query)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert field in response.json()["error"]["fields"]
    if field == "columns" and "nope" in query:
        assert "nope" in response.json()["error"]["fields"]["columns"]


def test_formula_injection_is_escaped_in_csv_only(client: TestClient[Any], world: World) -> None:
    log(client, world, FORMULA)
    log(client, world, "-5 minutes of a=b")

    notes = [row["note"] for row in csv_rows(export(client, world.owner_token).content)]
    assert notes == ["'" + FORMULA, "'-5 minutes of a=b"]
    lines = export(client, world.owner_token, "?format=jsonl").content.splitlines()
    assert [json.loads(line)["note"] for line in lines] == [FORMULA, "-5 minutes of a=b"]
    xlsx = export(client, world.owner_token, "?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    note = sheet.cell(row=2, column=header.index("note") + 1)
    assert (note.value, note.data_type) == (FORMULA, "s")
    assert sheet.cell(row=2, column=header.index("durationSeconds") + 1).value == 3600


def test_an_export_with_deleted_entries_marks_them_in_the_last_column_deleted_at(
    client: TestClient[Any], world: World
) -> None:
    kept, gone = log(client, world, "kept"), log(client, world, "gone")
    assert client.delete(f"/time-entries/{gone['id']}", headers=bearer(world.owner_token)).status_code == 204
    (deleted,) = [
        entry for entry in listed(client, world, "&includeDeleted=true") if entry["id"] == gone["id"]
    ]
    assert deleted["deletedAt"] is not None

    rows = csv_rows(export(client, world.owner_token, "?includeDeleted=true").content)
    lines = export(client, world.owner_token, "?format=jsonl&includeDeleted=true").text.splitlines()

    assert list(rows[0])[-1] == "deletedAt"
    assert {row["id"]: row["deletedAt"] for row in rows} == {kept["id"]: "", gone["id"]: deleted["deletedAt"]}
    assert {line["id"]: line["deletedAt"] for line in map(json.loads, lines)} == {
        kept["id"]: None,
        gone["id"]: deleted["deletedAt"],
    }


def test_json_lines_and_xlsx_have_their_media_types(client: TestClient[Any], world: World) -> None:
    log(client, world, "x")
    jsonl = export(client, world.owner_token, "?format=jsonl")
    xlsx = export(client, world.owner_token, "?format=xlsx")
    assert jsonl.headers["content-type"] == "application/jsonl"
    assert jsonl.headers["content-disposition"].endswith('.jsonl"')
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.content.startswith(b"PK")


def test_members_export_their_own_entries_only(client: TestClient[Any], world: World) -> None:
    log(client, world, "the owner's")
    mine = {"projectId": str(world.project.id), "entryDate": "2026-03-03", "duration": "2h", "note": "mine"}
    assert client.post("/time-entries", json=mine, headers=bearer(world.member_token)).status_code == 201

    rows = csv_rows(export(client, world.member_token).content)
    assert [row["note"] for row in rows] == ["mine"]
    refused = export(client, world.member_token, f"?userId={world.owner.id}")
    assert refused.status_code == 403
    assert len(csv_rows(export(client, world.admin_token).content)) == 2


def test_the_export_takes_the_list_s_filters(client: TestClient[Any], world: World) -> None:
    log(client, world, "march", entryDate="2026-03-02")
    log(client, world, "april", entryDate="2026-04-02")
    rows = csv_rows(export(client, world.owner_token, "?from=2026-04-01&to=2026-04-30").content)
    assert [row["note"] for row in rows] == ["april"]


# Import.


def test_an_import_report_lists_the_first_row_errors_and_counts_the_rest(
    client: TestClient[Any], world: World
) -> None:
    """Before, 500,000 failing lines (1.5 MB) made a 214 MB answer and took the server to 1.1 GB."""
    response = client.post(
        "/imports?source=hours&dryRun=true",
        content=b"{}\n" * 1_500,
        headers={**bearer(world.owner_token), "Content-Type": "application/jsonl"},
    )

    assert response.status_code == 200, response.text
    report = response.json()["data"]
    assert report["failed"] == 1_500
    assert len(report["errors"]) == MAX_REPORTED_ROW_ERRORS and report["errorsOmitted"] > 0
    rows = [error["row"] for error in report["errors"]]
    assert rows == sorted(rows) and rows[0] == 1


def test_a_file_over_the_row_limit_is_413_naming_the_row_where_the_limit_was_passed(
    client: TestClient[Any], world: World
) -> None:
    """500,001 data rows after the header: row 500,002 is the first past the default limit. The
    error is a file error like the others (``import_file_unreadable`` at a row): the row is in the
    message, and there are no ``fields``, which name the request's parameters."""
    body = b"Date,Project,Hours\n" + b"2025-01-01,P,1\n" * 500_001
    response = client.post(
        "/imports?source=harvest", content=body, headers={**bearer(world.owner_token), **CSV}
    )

    assert response.status_code == 413, response.text
    assert response.json()["error"] == {
        "code": "import_file_too_large",
        "message": "The file has more than 500,000 rows; row 500,002 is the first past the limit (the header "
        "is row 1). Split it by date range.",
    }
    assert listed(client, world) == []


def test_an_import_answers_201_with_its_report(client: TestClient[Any], world: World) -> None:
    response = toggl(client, world)

    assert response.status_code == 201, response.text
    report = response.json()["data"]
    assert list(report) == [
        "id", "source", "dryRun", "created", "duplicates", "failed", "createdProjects",
        "createdClients", "createdTasks", "createdUsers", "errors", "errorsOmitted",
    ]  # fmt: skip
    assert (report["created"], report["duplicates"], report["failed"]) == (5, 0, 1)
    assert report["createdProjects"] == ["Website", "Backend"]
    assert report["errors"] == [
        {
            "row": 4,
            "column": "Duration",
            "code": "duration_over_24_hours",
            "message": report["errors"][0]["message"],
        }
    ]
    entries = listed(client, world)
    assert len(entries) == 5
    assert {entry["importId"] for entry in entries} == {report["id"]}
    assert all(entry["externalRef"].startswith("toggl:") for entry in entries)


def test_importing_the_same_file_twice_creates_nothing_the_second_time(
    client: TestClient[Any], world: World
) -> None:
    toggl(client, world)
    again = toggl(client, world).json()["data"]
    assert (again["created"], again["duplicates"], again["failed"]) == (0, 5, 1)
    assert len(listed(client, world)) == 5


def test_the_same_file_with_the_emails_in_another_case_creates_nothing_either(
    client: TestClient[Any], world: World
) -> None:
    toggl(client, world)
    again = client.post(
        "/imports?source=toggl&timezone=Europe/Berlin",
        content=toggl_file(world.owner.email.upper(), world.member.email.title()),
        headers={**bearer(world.owner_token), **CSV},
    )
    assert again.status_code == 201, again.text
    report = again.json()["data"]
    assert (report["created"], report["duplicates"], report["failed"]) == (0, 5, 1)
    assert len(listed(client, world)) == 5


def test_an_organization_s_own_json_lines_export_sent_back_creates_nothing(
    client: TestClient[Any], world: World
) -> None:
    toggl(client, world)
    gone = log(client, world, "deleted before the backup")
    assert client.delete(f"/time-entries/{gone['id']}", headers=bearer(world.owner_token)).status_code == 204
    backup = export(client, world.owner_token, "?format=jsonl&includeDeleted=true").content

    response = client.post(
        "/imports?source=hours",
        content=backup,
        headers={**bearer(world.owner_token), "Content-Type": "application/jsonl"},
    )

    assert response.status_code == 201, response.text
    report = response.json()["data"]
    assert (report["created"], report["duplicates"], report["failed"]) == (0, 6, 0)
    assert len(listed(client, world, "&includeDeleted=true")) == 6


def test_an_atomic_import_with_a_failed_row_answers_200_and_stores_nothing(
    client: TestClient[Any], world: World
) -> None:
    response = toggl(client, world, "&atomic=true")
    assert response.status_code == 200
    report = response.json()["data"]
    assert (report["id"], report["created"], report["failed"]) == (None, 0, 1)
    assert listed(client, world) == []


def test_an_atomic_dry_run_with_a_failed_row_reports_nothing_created(
    client: TestClient[Any], world: World
) -> None:
    response = toggl(client, world, "&atomic=true&dryRun=true")
    assert response.status_code == 200
    report = response.json()["data"]
    assert (report["id"], report["dryRun"], report["created"], report["failed"]) == (None, True, 0, 1)
    assert report["createdProjects"] == report["createdTasks"] == []
    assert listed(client, world) == []


def test_a_dry_run_answers_200_and_stores_nothing(client: TestClient[Any], world: World) -> None:
    response = toggl(client, world, "&dryRun=true")
    assert response.status_code == 200
    report = response.json()["data"]
    assert (report["id"], report["dryRun"], report["created"]) == (None, True, 5)
    assert listed(client, world) == []


def test_deleting_an_import_soft_deletes_what_it_created(client: TestClient[Any], world: World) -> None:
    import_id = toggl(client, world).json()["data"]["id"]

    response = client.delete(f"/imports/{import_id}", headers=bearer(world.owner_token))
    assert (response.status_code, response.content) == (204, b"")
    assert listed(client, world) == []
    assert len(listed(client, world, "&includeDeleted=true")) == 5
    again = client.delete(f"/imports/{import_id}", headers=bearer(world.owner_token))
    assert (again.status_code, again.json()["error"]["code"]) == (404, "not_found")


def test_an_undo_keeps_its_savepoints_journal_in_a_file_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An undo changes as many entries as its import created (up to 500,000), whatever its request
    holds. Run in SQLite's write queue, whose groups keep their savepoints' journal in memory, it
    kept a copy of every page it changed there: the undo of a 100,000-row import grew the server
    from 100 MB to 1 GB. It now runs in a thread of its own and keeps the journal in a file, as the
    import did (``temp_store`` 0, DEFAULT; the queue's writes read 2, MEMORY)."""
    with served_by_the_write_queue(tmp_path) as (world, client, conn):
        seen = journals_seen_by(monkeypatch, conn, world.services.imports, "delete_import")
        import_id = toggl(client, world).json()["data"]["id"]
        created = client.post(
            "/time-entries",
            json={"projectId": str(world.project.id), "entryDate": "2026-03-02", "durationSeconds": 60},
            headers=bearer(world.owner_token),
        )
        # A queued write: the writer connection is left at MEMORY, unless a write of another thread
        # (the token's last use, recorded in the background) began the group it joined. Either way
        # the write below must begin a group of its own, at DEFAULT.
        assert created.status_code == 201

        response = client.delete(f"/imports/{import_id}", headers=bearer(world.owner_token))

        assert response.status_code == 204
        assert seen == [0]
        assert len(listed(client, world, "&includeDeleted=true")) == 6


def restore(client: TestClient[Any], world: World, entry_id: str, token: str | None = None) -> Any:
    return client.post(f"/time-entries/{entry_id}/restore", headers=bearer(token or world.owner_token))


def test_entries_restored_after_an_undo_take_their_rows_back_so_the_file_imports_as_duplicates(
    client: TestClient[Any], world: World
) -> None:
    """An undo releases each entry's source row so that the file imports again; restoring the
    entries instead takes the rows back, and the file then imports as duplicates, not a second copy."""
    import_id = toggl(client, world).json()["data"]["id"]
    refs = {entry["id"]: entry["externalRef"] for entry in listed(client, world)}
    assert client.delete(f"/imports/{import_id}", headers=bearer(world.owner_token)).status_code == 204
    undone = listed(client, world, "&includeDeleted=true")
    assert {entry["externalRef"] for entry in undone} == {None}

    for entry_id, ref in refs.items():
        restored = restore(client, world, entry_id)
        assert restored.status_code == 200, restored.text
        assert (restored.json()["data"]["deletedAt"], restored.json()["data"]["externalRef"]) == (None, ref)

    again = toggl(client, world).json()["data"]
    assert (again["created"], again["duplicates"], again["failed"]) == (0, 5, 1)
    assert {entry["id"]: entry["externalRef"] for entry in listed(client, world)} == refs


def test_restoring_an_undone_entry_whose_row_was_imported_again_is_409_until_that_copy_is_deleted(
    client: TestClient[Any], world: World
) -> None:
    """After undo and a second import, the second import's entry holds the row: restoring the first
    is 409 ``external_ref_taken`` naming it (two live copies would count the row twice). Once that
    copy is deleted the restore takes the row from it, and the file still imports as duplicates."""
    first = toggl(client, world).json()["data"]["id"]
    old = {entry["externalRef"]: entry["id"] for entry in listed(client, world)}
    assert client.delete(f"/imports/{first}", headers=bearer(world.owner_token)).status_code == 204
    second = toggl(client, world).json()["data"]
    assert second["created"] == 5
    new = {entry["externalRef"]: entry["id"] for entry in listed(client, world)}
    ref = sorted(new)[0]
    old_id, new_id = old[ref], new[ref]

    refused = restore(client, world, old_id)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "external_ref_taken"
    assert new_id in error["message"]
    assert client.get(f"/time-entries/{old_id}", headers=bearer(world.owner_token)).status_code == 404

    assert client.delete(f"/time-entries/{new_id}", headers=bearer(world.owner_token)).status_code == 204
    restored = restore(client, world, old_id)
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["externalRef"] == ref
    history = client.get(f"/time-entries/{new_id}/history", headers=bearer(world.owner_token))
    assert history.status_code == 200, history.text
    assert history.json()["data"][-1]["type"] == "time_entry.updated"
    assert history.json()["data"][-1]["changes"] == {"externalRef": {"from": ref, "to": None}}

    third = toggl(client, world).json()["data"]
    assert (third["created"], third["duplicates"]) == (0, 5)
    # The second import's copy, restored now, would be the row's second live entry.
    twice = restore(client, world, new_id)
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "external_ref_taken")
    assert old_id in twice.json()["error"]["message"]
    live = listed(client, world)
    assert len(live) == 5 and len({entry["externalRef"] for entry in live}) == 5


NEWCOMER = "newcomer@example.test"


def newcomers(client: TestClient[Any], world: World) -> dict[str, Any]:
    """Import a Toggl file that creates a client (Globex), a project of it (Portal), a task of that
    (Login) and a user (the newcomer, ``createUsers=true``); the report."""
    rows = [
        f"Ada,{world.owner.email},Globex,Portal,Login,Sign-in page,No,2025-03-04,09:00:00,2025-03-04,10:00:00,01:00:00,",
        f"Nia,{NEWCOMER},Globex,Portal,,Review,No,2025-03-04,11:00:00,2025-03-04,12:00:00,01:00:00,",
    ]
    response = client.post(
        "/imports?source=toggl&timezone=Europe/Berlin&createUsers=true",
        content=("\r\n".join([TOGGL_HEADER, *rows])).encode(),
        headers={**bearer(world.owner_token), **CSV},
    )
    assert response.status_code == 201, response.text
    report: dict[str, Any] = response.json()["data"]
    assert (report["created"], report["failed"]) == (2, 0)
    return report


def seen(client: TestClient[Any], world: World) -> dict[str, Any]:
    """Whether the list routes show the newcomers file's client, project and task archived, and its
    user deactivated."""
    owner = bearer(world.owner_token)
    globex = next(c for c in client.get("/clients", headers=owner).json()["data"] if c["name"] == "Globex")
    portal = next(p for p in client.get("/projects", headers=owner).json()["data"] if p["name"] == "Portal")
    (login,) = client.get(f"/projects/{portal['id']}/tasks", headers=owner).json()["data"]
    (user,) = [u for u in client.get("/users", headers=owner).json()["data"] if u["email"] == NEWCOMER]
    return {
        "Globex": globex["archived"],
        "Portal": portal["archived"],
        "Login": login["archived"],
        NEWCOMER: user["deactivatedAt"] is not None,
        "portalId": portal["id"],
        "newcomerId": user["id"],
    }


def test_deleting_an_import_archives_the_client_project_and_task_it_created_and_deactivates_its_user(
    client: TestClient[Any], world: World
) -> None:
    report = newcomers(client, world)
    assert (report["createdClients"], report["createdProjects"], report["createdTasks"], report["createdUsers"]) == (
        ["Globex"], ["Portal"], ["Login"], [NEWCOMER]
    )  # fmt: skip
    before = seen(client, world)
    assert [before[key] for key in ("Globex", "Portal", "Login", NEWCOMER)] == [False] * 4

    response = client.delete(f"/imports/{report['id']}", headers=bearer(world.owner_token))

    assert (response.status_code, response.content) == (204, b"")
    after = seen(client, world)
    assert [after[key] for key in ("Globex", "Portal", "Login", NEWCOMER)] == [True] * 4
    assert listed(client, world) == []
    feed = client.get("/changes?limit=100", headers=bearer(world.owner_token)).json()["data"]
    retired = [(e["type"], e["actor"]["via"]) for e in feed if not e["type"].startswith("time_entry.")][-4:]
    assert retired == [
        ("task.archived", "import"), ("project.archived", "import"), ("client.archived", "import"),
        ("user.deactivated", "import"),
    ]  # fmt: skip

    again = newcomers(client, world)  # the file imports again: what the undo retired comes back
    assert again["createdProjects"] == ["Portal"] and again["createdUsers"] == [NEWCOMER]
    revived = seen(client, world)
    assert [revived[key] for key in ("Globex", "Portal", "Login", NEWCOMER)] == [False] * 4
    assert (revived["portalId"], revived["newcomerId"]) == (before["portalId"], before["newcomerId"])


def test_deleting_an_import_leaves_a_project_that_another_entry_uses(
    client: TestClient[Any], world: World
) -> None:
    report = newcomers(client, world)
    portal = seen(client, world)["portalId"]
    log(client, world, "by hand, on the imported project", projectId=portal)

    response = client.delete(f"/imports/{report['id']}", headers=bearer(world.owner_token))

    assert response.status_code == 204, response.text
    after = seen(client, world)
    # Portal has a live entry, so Globex keeps an active project; Login and the newcomer are unused.
    assert [after[key] for key in ("Globex", "Portal", "Login", NEWCOMER)] == [False, False, True, True]
    assert [entry["note"] for entry in listed(client, world)] == ["by hand, on the imported project"]


def test_an_import_with_an_entry_on_a_closed_day_is_409_and_stays(
    client: TestClient[Any], world: World
) -> None:
    import_id = toggl(client, world).json()["data"]["id"]  # entries from 2025-03-04 to 2025-03-07
    owner = bearer(world.owner_token)
    closing = {"through": "2025-03-04", "reason": "Q1 payroll"}
    assert client.post("/periods/lock", json=closing, headers=owner).status_code == 200

    refused = client.delete(f"/imports/{import_id}", headers=owner)

    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "entry_locked"
    assert error["lock"] == {"reason": "Q1 payroll", "through": "2025-03-04", "kind": "period"}
    assert len(listed(client, world)) == 5
    assert client.post("/periods/unlock", json=closing, headers=owner).status_code == 200
    assert client.delete(f"/imports/{import_id}", headers=owner).status_code == 204
    assert listed(client, world) == []


def test_an_owner_undoes_an_import_through_a_closed_day_with_override_lock_and_a_reason(
    client: TestClient[Any], world: World
) -> None:
    import_id = toggl(client, world).json()["data"]["id"]
    closing = {"through": "2025-03-31", "reason": "Q1 payroll"}
    assert client.post("/periods/lock", json=closing, headers=bearer(world.owner_token)).status_code == 200
    path = f"/imports/{import_id}"

    by_admin = client.delete(f"{path}?overrideLock=true&reason=late", headers=bearer(world.admin_token))
    no_reason = client.delete(f"{path}?overrideLock=true", headers=bearer(world.owner_token))
    undone = client.delete(f"{path}?overrideLock=true&reason=wrong%20zone", headers=bearer(world.owner_token))

    assert (by_admin.status_code, by_admin.json()["error"]["code"]) == (403, "forbidden")
    assert (no_reason.status_code, list(no_reason.json()["error"]["fields"])) == (422, ["reason"])
    assert (undone.status_code, listed(client, world)) == (204, [])


def test_an_import_with_an_invoiced_entry_is_409_with_the_lock_a_delete_of_that_entry_gets(
    client: TestClient[Any], world: World
) -> None:
    import_id = toggl(client, world).json()["data"]["id"]
    owner = bearer(world.owner_token)
    entry_id = listed(client, world)[0]["id"]
    made = client.post("/invoices", json={"externalRef": "IMP", "entryIds": [entry_id]}, headers=owner)
    assert made.status_code == 201, made.text

    for query in ("", "?overrideLock=true&reason=wrong%20file"):
        refused = client.delete(f"/imports/{import_id}{query}", headers=owner)
        assert refused.status_code == 409, refused.text
        single = client.delete(f"/time-entries/{entry_id}{query}", headers=owner)
        assert single.status_code == 409, single.text
        assert refused.json()["error"] == single.json()["error"]
        assert refused.json()["error"]["lock"] == {
            "reason": "invoiced", "through": None, "kind": "invoiced", "invoiceId": made.json()["data"]["id"]
        }  # fmt: skip
    assert len(listed(client, world)) == 5


def test_an_import_with_an_entry_in_a_submitted_week_is_409_and_stays(
    client: TestClient[Any], world: World
) -> None:
    import_id = toggl(client, world).json()["data"]["id"]
    week = {"weekStart": "2025-03-03", "userId": str(world.member.id)}
    sheet = client.post("/timesheets", json=week, headers=bearer(world.owner_token)).json()["data"]["id"]
    submitted = client.post(f"/timesheets/{sheet}/submit", headers=bearer(world.owner_token))
    assert submitted.status_code == 200, submitted.text

    refused = client.delete(f"/imports/{import_id}", headers=bearer(world.owner_token))

    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "entry_locked"
    assert error["lock"] == {
        "reason": "submitted", "through": "2025-03-09", "kind": "timesheet", "timesheetId": sheet
    }  # fmt: skip
    assert len(listed(client, world)) == 5


def test_another_organizations_import_is_404(client: TestClient[Any], world: World) -> None:
    other = world.services.admin.bootstrap(
        org_name="Globex", plan=Plan.AGENCY, email="owner@globex.test", env="live"
    )
    import_id = toggl(client, world).json()["data"]["id"]

    response = client.delete(f"/imports/{import_id}", headers=bearer(other.token.plaintext))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert len(listed(client, world)) == 5


def test_members_may_not_import(client: TestClient[Any], world: World) -> None:
    response = toggl(client, world, token=world.member_token)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("source", "content_type"),
    [("toggl", "application/json"), ("hours", "text/plain"), ("harvest", None)],
)
def test_a_body_of_the_wrong_media_type_is_415(
    client: TestClient[Any], world: World, source: str, content_type: str | None
) -> None:
    headers = bearer(world.owner_token) | ({} if content_type is None else {"Content-Type": content_type})
    response = client.post(f"/imports?source={source}&timezone=UTC", content=harvest_file(), headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("text/csv; charset=windows-1252", "is declared as windows-1252"),
        ('text/csv;CHARSET="ISO-8859-1"', "is declared as iso-8859-1"),
        ("text/csv; charset=utf-16", "is declared as utf-16"),
        ("text/csv; charset=", "declares an empty charset"),
        ("text/csv; charset=utf-8; charset=latin1", "declares 2 charsets ('utf-8', 'latin1')"),
    ],
)
def test_a_file_declared_in_another_charset_is_415_and_nothing_is_stored(
    client: TestClient[Any], world: World, content_type: str, named: str
) -> None:
    headers = bearer(world.owner_token) | {"Content-Type": content_type}
    response = client.post("/imports?source=harvest", content=harvest_file(), headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert f"this one {named}: save it as UTF-8" in response.json()["error"]["message"]
    assert listed(client, world) == []


@pytest.mark.parametrize("charset", ["utf-8", "UTF8", "us-ascii"])
def test_a_file_declared_in_utf8_is_read(client: TestClient[Any], world: World, charset: str) -> None:
    headers = bearer(world.owner_token) | {"Content-Type": f"text/csv; charset={charset}"}
    response = client.post("/imports?source=harvest", content=harvest_file(), headers=headers)
    assert response.status_code == 201, response.text


def test_a_body_over_the_limit_is_413(
    client: TestClient[Any], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports_controller, "MAX_IMPORT_BYTES", 100)
    response = client.post(
        "/imports?source=harvest", content=harvest_file() * 3, headers={**bearer(world.owner_token), **CSV}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")


def test_a_body_announced_over_the_limit_is_413_before_any_of_it_is_read(world: World) -> None:
    """A `Content-Length` over 64 MiB is refused at once: before, the import waited for the bytes
    (until the body timeout) to refuse them after 64 MiB of them. The body here is empty: read,
    it would have been an empty file."""
    app = create_app(world.services, run_write=world.run_write, reads_in_thread=world.reads_in_thread)
    announced = str(imports_controller.MAX_IMPORT_BYTES + 1).encode()
    headers = [
        (b"authorization", f"Bearer {world.owner_token}".encode()),
        (b"content-type", b"text/csv"),
        (b"content-length", announced),
    ]
    status, _, body = call(app, "POST", "/imports", headers, query=b"source=harvest")
    assert (status, json.loads(body)["error"]["code"]) == (413, "payload_too_large")
    assert json.loads(body)["error"]["message"] == "The import file exceeds the limit of 64 MiB."


@pytest.mark.parametrize(
    ("query", "body", "status", "code", "field"),
    [
        ("?source=toggl", None, 422, "validation_failed", "timezone"),
        ("?source=toggl&timezone=Mars/Olympus", None, 422, "validation_failed", "timezone"),
        ("?source=excel", None, 422, "validation_failed", "source"),
        ("?timezone=UTC", None, 422, "validation_failed", "source"),
        ("?source=harvest&dateFormat=YMD", None, 422, "validation_failed", "dateFormat"),
        (
            "?source=clockify&timezone=UTC",
            b'"Project","Email","Start Date","Start Time","Duration (h)"\n"P","a@b.c","09/04/2025","10:00 AM","1:00:00"\n',
            422,
            "ambiguous_date_format",
            "dateFormat",
        ),
        ("?source=harvest", b"Date,Project\n2025-01-01,P\n", 422, "import_columns_missing", None),
        ("?source=harvest", b"\xff\xfe not utf-8", 422, "import_file_unreadable", None),
    ],
)
def test_file_and_parameter_problems_are_refused_naming_them(
    client: TestClient[Any],
    world: World,
    query: str,
    body: bytes | None,
    status: int,
    code: str,
    field: str | None,
) -> None:
    data = toggl_file(world.owner.email, world.member.email) if body is None else body
    response = client.post(f"/imports{query}", content=data, headers={**bearer(world.owner_token), **CSV})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if field is not None:
        assert field in error["fields"]
    assert listed(client, world) == []


@pytest.mark.parametrize("body", [b"", b"\n", b"\n  \r\n\n"], ids=["empty", "one-blank-line", "blank-lines"])
@pytest.mark.parametrize("query", ["", "&dryRun=true", "&atomic=true"])
def test_an_empty_json_lines_file_is_422_unreadable_and_stores_no_import(
    client: TestClient[Any], world: World, body: bytes, query: str
) -> None:
    response = client.post(
        f"/imports?source=hours{query}",
        content=body,
        headers={**bearer(world.owner_token), "Content-Type": "application/jsonl"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == {
        "code": "import_file_unreadable",
        "message": "The file is empty: it has no lines, or only blank ones; an hours JSON lines export has one "
        "JSON object per line.",
    }
    assert listed(client, world, "&includeDeleted=true") == []


def test_a_json_lines_file_that_is_not_utf_8_is_told_so_in_json_lines_terms(
    client: TestClient[Any], world: World
) -> None:
    response = client.post(
        "/imports?source=hours",
        content=b'{"id": "\xff"}\n',
        headers={**bearer(world.owner_token), "Content-Type": "application/jsonl"},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "import_file_unreadable"
    assert error["message"].startswith("The file is not UTF-8 text; an hours JSON lines export is UTF-8: ")
    assert "CSV" not in error["message"]
