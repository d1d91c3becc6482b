"""``/org`` and ``/users`` over HTTP, on every store: the role matrix of every route, one test per
error family (status and body), the members' view, deactivation, and what OpenAPI says of each
operation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from hours_core.model import Plan, Role
from hours_http import create_app
from hours_memory import InMemoryStore
from tests.http.conftest import bearer
from tests.world import World, make_world

UNKNOWN = "0190c2d4-0000-7000-8000-0000000000ff"

Role4 = str  # "owner" | "admin" | "member" | "other-org"
ROLES = ["owner", "admin", "member", "other-org"]


def prefix_of(token: str) -> str:
    return token.split("_")[2]


class Team:
    """The world, a target user with a token, and a token of each role (another org's owner too)."""

    def __init__(self, world: World) -> None:
        self.world = world
        services = world.services
        self.target = services.admin.create_user(world.org.id, "tina@acme.test", Role.MEMBER, name="Tina")
        self.target_token = services.admin.mint_token(self.target.id, env="live").plaintext
        other = services.admin.bootstrap(
            org_name="Intruder", plan=Plan.AGENCY, email="x@intruder.test", env="live"
        )
        self.other = other
        self.tokens = {
            "owner": world.owner_token,
            "admin": world.admin_token,
            "member": world.member_token,
            "other-org": other.token.plaintext,
        }

    def headers(self, role: Role4) -> dict[str, str]:
        return bearer(self.tokens[role])


@pytest.fixture
def team(world: World) -> Team:
    return Team(world)


def route(team: Team, name: str) -> tuple[str, str, dict[str, Any] | None]:
    target = team.target.id
    return {
        "GET /org": ("GET", "/org", None),
        "PATCH /org": ("PATCH", "/org", {"weekStart": "sunday"}),
        "GET /users": ("GET", "/users", None),
        "POST /users": ("POST", "/users", {"email": "new@acme.test", "name": "New"}),
        "GET /users/{id}": ("GET", f"/users/{target}", None),
        "PATCH /users/{id}": ("PATCH", f"/users/{target}", {"name": "Tina T."}),
        "POST /users/{id}/deactivate": ("POST", f"/users/{target}/deactivate", None),
        "POST /users/{id}/reactivate": ("POST", f"/users/{target}/reactivate", None),
        "GET /users/{id}/tokens": ("GET", f"/users/{target}/tokens", None),
        "DELETE /users/{id}/tokens/{prefix}": (
            "DELETE",
            f"/users/{target}/tokens/{prefix_of(team.target_token)}",
            None,
        ),
    }[name]


MATRIX = {
    "GET /org": (200, 200, 200, 200),
    "PATCH /org": (200, 200, 403, 200),
    "GET /users": (200, 200, 200, 200),
    "POST /users": (201, 201, 403, 201),
    "GET /users/{id}": (200, 200, 200, 404),
    "PATCH /users/{id}": (200, 200, 403, 404),
    "POST /users/{id}/deactivate": (200, 200, 403, 404),
    "POST /users/{id}/reactivate": (200, 200, 403, 404),
    "GET /users/{id}/tokens": (200, 200, 403, 404),
    "DELETE /users/{id}/tokens/{prefix}": (204, 204, 403, 404),
}
"""The status of each route for an owner, an admin, a member, and another organization's owner,
acting on this organization's user Tina (another organization's owner acts on its own org)."""


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", list(MATRIX))
def test_the_role_matrix(client: TestClient[Any], team: Team, operation: str, role: Role4) -> None:
    method, url, body = route(team, operation)
    expected = MATRIX[operation][ROLES.index(role)]
    response = client.request(method, url, json=body, headers=team.headers(role))
    assert response.status_code == expected, response.text
    if expected >= 400:
        code = {403: "forbidden", 404: "not_found"}[expected]
        assert response.json()["error"]["code"] == code
    if role == "other-org" and expected < 400:
        data = response.json().get("data")
        seen = data if isinstance(data, list) else [data]
        assert all(item.get("orgId", item["id"]) == str(team.other.org.id) for item in seen), seen
    owner = team.world.caller(team.world.owner)
    assert team.world.services.team.get_org(owner).week_start == (
        "sunday" if operation == "PATCH /org" and role in ("owner", "admin") else "monday"
    )


# The members' view and the managers' view.


def test_members_see_names_and_roles_and_no_emails(client: TestClient[Any], team: Team) -> None:
    listed = client.get("/users", headers=team.headers("member")).json()["data"]
    assert [(u["name"], u["role"], u["email"]) for u in listed] == [
        ("owner", "owner", None),
        ("admin", "admin", None),
        ("member", "member", None),
        ("Tina", "member", None),
    ]
    one = client.get(f"/users/{team.target.id}", headers=team.headers("member")).json()["data"]
    assert one["email"] is None and one["name"] == "Tina"


def test_owners_and_admins_see_every_member_whole(client: TestClient[Any], team: Team) -> None:
    for role in ("owner", "admin"):
        one = client.get(f"/users/{team.target.id}", headers=team.headers(role)).json()["data"]
        assert one == {
            "id": str(team.target.id),
            "orgId": str(team.world.org.id),
            "email": "tina@acme.test",
            "name": "Tina",
            "role": "member",
            "createdAt": "2026-03-02T09:00:00Z",
            "deactivatedAt": None,
        }


def test_the_organization_has_its_settings(client: TestClient[Any], team: Team) -> None:
    org = client.get("/org", headers=team.headers("member")).json()["data"]
    assert org == {
        "id": str(team.world.org.id),
        "name": "Acme",
        "plan": "agency",
        "timezone": "UTC",
        "weekStart": "monday",
        "createdAt": "2026-03-02T09:00:00Z",
        "overlapPolicy": "allow",
        "lockPolicy": None,
    }
    changed = client.patch(
        "/org",
        json={"name": "Acme AG", "timezone": "Europe/Zurich", "weekStart": "sunday"},
        headers=team.headers("admin"),
    )
    assert changed.json()["data"] == {
        **org,
        "name": "Acme AG",
        "timezone": "Europe/Zurich",
        "weekStart": "sunday",
    }
    assert client.get("/org", headers=team.headers("member")).json()["data"] == changed.json()["data"]


def test_adding_a_user_answers_201_with_its_location_and_replays(client: TestClient[Any], team: Team) -> None:
    headers = {**team.headers("admin"), "Idempotency-Key": "0190c2d4-0000-7000-8000-0000000000aa"}
    body = {"email": "Bo.Diaz@Acme.test", "name": "Bo Diaz", "role": "admin"}
    created = client.post("/users", json=body, headers=headers)
    assert created.status_code == 201
    user = created.json()["data"]
    assert created.headers["location"] == f"/users/{user['id']}"
    assert {k: user[k] for k in ("email", "name", "role", "deactivatedAt")} == {
        "email": "Bo.Diaz@Acme.test",
        "name": "Bo Diaz",
        "role": "admin",
        "deactivatedAt": None,
    }
    replay = client.post("/users", json=body, headers=headers)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.content == created.content and replay.headers["location"] == created.headers["location"]
    assert len(client.get("/users", headers=team.headers("owner")).json()["data"]) == 5


def test_a_member_renames_themselves(client: TestClient[Any], team: Team) -> None:
    renamed = client.patch(f"/users/{team.target.id}", json={"name": "T."}, headers=bearer(team.target_token))
    assert renamed.status_code == 200 and renamed.json()["data"]["name"] == "T."


def test_users_list_and_revoke_their_own_tokens_under_their_id(client: TestClient[Any], team: Team) -> None:
    own = bearer(team.target_token)
    tokens = client.get(f"/users/{team.target.id}/tokens", headers=own).json()["data"]
    assert [t["prefix"] for t in tokens] == [prefix_of(team.target_token)]
    assert set(tokens[0]) == {"prefix", "name", "env", "createdAt", "expiresAt", "lastUsedAt", "revokedAt"}
    assert (
        client.delete(
            f"/users/{team.target.id}/tokens/{prefix_of(team.target_token)}", headers=own
        ).status_code
        == 204
    )
    assert client.get("/me", headers=own).status_code == 401


def test_a_revoked_token_is_revoked_again_with_204_and_keeps_its_first_revocation(
    client: TestClient[Any], team: Team
) -> None:
    url = f"/users/{team.target.id}/tokens/{prefix_of(team.target_token)}"
    assert client.delete(url, headers=team.headers("admin")).status_code == 204
    first = client.get(f"/users/{team.target.id}/tokens", headers=team.headers("admin")).json()["data"][0]
    team.world.clock.advance(timedelta(minutes=5))
    assert client.delete(url, headers=team.headers("owner")).status_code == 204
    again = client.get(f"/users/{team.target.id}/tokens", headers=team.headers("admin")).json()["data"][0]
    assert again["revokedAt"] == first["revokedAt"] is not None


# Deactivation.


def test_a_deactivated_users_token_gets_the_body_of_any_bad_token(
    client: TestClient[Any], team: Team
) -> None:
    target = bearer(team.target_token)
    assert client.get("/me", headers=target).status_code == 200
    unknown = client.get("/me", headers=bearer(team.target_token[:-4] + "0000"))

    deactivated = client.post(f"/users/{team.target.id}/deactivate", headers=team.headers("admin"))
    assert (
        deactivated.status_code == 200
        and deactivated.json()["data"]["deactivatedAt"] == "2026-03-02T09:00:00Z"
    )

    for method, url in (("GET", "/me"), ("GET", "/users"), ("POST", "/tokens"), ("GET", "/org")):
        refused = client.request(
            method, url, headers=target, json={"name": "x"} if method == "POST" else None
        )
        assert refused.status_code == 401
        assert refused.content == unknown.content
        assert (
            refused.headers["www-authenticate"]
            == unknown.headers["www-authenticate"]
            == 'Bearer error="invalid_token"'
        )

    again = client.post(f"/users/{team.target.id}/reactivate", headers=team.headers("owner"))
    assert again.status_code == 200 and again.json()["data"]["deactivatedAt"] is None
    assert client.get("/me", headers=target).status_code == 200


def test_deactivation_stops_the_running_timer_and_keeps_the_time(client: TestClient[Any], team: Team) -> None:
    target = bearer(team.target_token)
    project = str(team.world.project.id)
    logged = client.post(
        "/time-entries",
        json={"projectId": project, "entryDate": "2026-03-01", "duration": "1h"},
        headers=target,
    ).json()["data"]
    timer = client.post("/timers", json={"projectId": project}, headers=target).json()["data"]
    team.world.clock.advance(timedelta(minutes=20))

    client.post(f"/users/{team.target.id}/deactivate", headers=team.headers("owner"))

    owner = team.headers("owner")
    stopped = client.get(f"/time-entries/{timer['id']}", headers=owner).json()["data"]
    assert stopped["stoppedAt"] == "2026-03-02T09:20:00Z" and stopped["durationSeconds"] == 1200
    listed = client.get(f"/time-entries?userId={team.target.id}", headers=owner).json()["data"]
    assert {entry["id"] for entry in listed} == {logged["id"], timer["id"]}
    refused = client.post(
        "/time-entries",
        json={
            "projectId": project,
            "entryDate": "2026-03-02",
            "duration": "1h",
            "userId": str(team.target.id),
        },
        headers=owner,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"userId": "the user is deactivated and takes no new entries"}


# Error families.


def test_the_user_limit_is_402_naming_team_members_and_the_lowest_plan_with_room(world: World) -> None:
    free = world.services.admin.bootstrap(org_name="Free", plan=Plan.FREE, email="me@free.test", env="live")
    with TestClient(create_app(world.services)) as client:
        refused = client.post(
            "/users", json={"email": "you@free.test", "name": "You"}, headers=bearer(free.token.plaintext)
        )
    assert refused.status_code == 402
    assert refused.json() == {
        "error": {
            "code": "plan_required",
            "message": "The free plan holds 1 user; 2 need the studio plan or higher. "
            "Upgrade, or deactivate a user first.",
            "requiredPlan": "studio",
            "feature": "team_members",
        }
    }


def test_past_25_users_on_studio_the_lowest_plan_with_room_is_agency(
    client: TestClient[Any], team: Team
) -> None:
    team.world.set_plan(Plan.STUDIO)
    owner = team.headers("owner")
    for n in range(21):
        assert (
            client.post(
                "/users", json={"email": f"u{n}@acme.test", "name": f"U{n}"}, headers=owner
            ).status_code
            == 201
        )
    refused = client.post("/users", json={"email": "u26@acme.test", "name": "U26"}, headers=owner)
    assert refused.status_code == 402
    assert (refused.json()["error"]["requiredPlan"], refused.json()["error"]["feature"]) == (
        "agency",
        "team_members",
    )
    client.post(f"/users/{team.target.id}/deactivate", headers=owner)
    assert (
        client.post("/users", json={"email": "u26@acme.test", "name": "U26"}, headers=owner).status_code
        == 201
    )
    again = client.post(f"/users/{team.target.id}/reactivate", headers=owner)
    assert again.status_code == 402 and again.json()["error"]["requiredPlan"] == "agency"


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("admin", "POST", "/users", {"email": "boss@acme.test", "name": "Boss", "role": "owner"}),
        ("admin", "PATCH", "target", {"role": "owner"}),
        ("member", "PATCH", "target", {"name": "Not mine"}),
        ("member", "PATCH", "self", {"role": "admin"}),
        ("member", "GET", "owner-tokens", None),
    ],
)
def test_what_a_role_may_not_do_is_403(
    client: TestClient[Any], team: Team, role: Role4, method: str, path: str, body: dict[str, Any] | None
) -> None:
    url = {
        "target": f"/users/{team.target.id}",
        "self": f"/users/{team.world.member.id}",
        "owner-tokens": f"/users/{team.world.owner.id}/tokens",
    }.get(path, path)
    refused = client.request(method, url, json=body, headers=team.headers(role))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert set(refused.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    "url",
    [
        f"/users/{UNKNOWN}",
        f"/users/{UNKNOWN}/tokens",
        "/users/not-a-uuid",
        "/users/0190c2d4000070008000000000000ff",
    ],
)
def test_an_unknown_user_is_404(client: TestClient[Any], team: Team, url: str) -> None:
    response = client.get(url, headers=team.headers("owner"))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_token_that_is_not_the_users_is_404(client: TestClient[Any], team: Team) -> None:
    owner_prefix = prefix_of(team.world.owner_token)
    for prefix in (owner_prefix, "short", "A" * 12):
        gone = client.delete(f"/users/{team.target.id}/tokens/{prefix}", headers=team.headers("admin"))
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert client.get("/me", headers=team.headers("owner")).status_code == 200


def test_the_last_owner_is_409_last_owner(client: TestClient[Any], team: Team) -> None:
    owner_url = f"/users/{team.world.owner.id}"
    for method, url, body in (
        ("PATCH", owner_url, {"role": "member"}),
        ("POST", f"{owner_url}/deactivate", None),
    ):
        refused = client.request(method, url, json=body, headers=team.headers("admin"))
        assert refused.status_code == 409
        assert refused.json() == {
            "error": {
                "code": "last_owner",
                "message": "The organization must keep at least one active owner; make another user an owner first.",
            }
        }
    promoted = client.patch(f"/users/{team.target.id}", json={"role": "owner"}, headers=team.headers("owner"))
    assert promoted.status_code == 200
    assert client.patch(owner_url, json={"role": "admin"}, headers=team.headers("admin")).status_code == 200


def test_an_admin_reactivating_an_owner_is_403_and_an_owner_may(client: TestClient[Any], team: Team) -> None:
    promoted = client.patch(f"/users/{team.target.id}", json={"role": "owner"}, headers=team.headers("owner"))
    assert promoted.status_code == 200
    url = f"/users/{team.target.id}"
    assert client.post(f"{url}/deactivate", headers=team.headers("owner")).status_code == 200

    refused = client.post(f"{url}/reactivate", headers=team.headers("admin"))

    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "forbidden", "message": "Only owners may reactivate an owner."}
    assert client.get("/me", headers={"Authorization": f"Bearer {team.target_token}"}).status_code == 401
    reactivated = client.post(f"{url}/reactivate", headers=team.headers("owner"))
    assert reactivated.status_code == 200 and reactivated.json()["data"]["role"] == "owner"


def test_a_taken_email_is_409_email_taken_whatever_its_case(client: TestClient[Any], team: Team) -> None:
    refused = client.post(
        "/users", json={"email": "TINA@Acme.Test", "name": "Twin"}, headers=team.headers("owner")
    )
    assert refused.status_code == 409
    assert refused.json() == {
        "error": {
            "code": "email_taken",
            "message": "A user with the email TINA@Acme.Test already exists in this organization.",
        }
    }


@pytest.mark.parametrize(
    ("first", "second"),
    [("bo@café.test", "bo@xn--caf-dma.test"), ("bo@XN--CAF-DMA.test", "BO@CAFÉ.TEST")],
)
def test_a_domain_in_its_ascii_form_is_the_same_address(
    client: TestClient[Any], team: Team, first: str, second: str
) -> None:
    """``xn--caf-dma`` is how DNS and mail carry ``café``: one mailbox, so one user."""
    added = client.post("/users", json={"email": first, "name": "Bo"}, headers=team.headers("owner"))
    assert added.status_code == 201, added.text
    refused = client.post("/users", json={"email": second, "name": "Bo"}, headers=team.headers("owner"))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "email_taken"


def test_a_domain_label_in_ascii_form_must_write_a_real_label(client: TestClient[Any], team: Team) -> None:
    refused = client.post(
        "/users", json={"email": "bo@xn--zz.test", "name": "Bo"}, headers=team.headers("owner")
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"email": "must be an email address like ada@example.com"}


@pytest.mark.parametrize(
    ("method", "path", "body", "fields"),
    [
        (
            "POST",
            "/users",
            {"email": "tina", "name": "T"},
            {"email": "must be an email address like ada@example.com"},
        ),
        (
            "POST",
            "/users",
            {"email": "a" * 250 + "@x.io", "name": ""},
            {"email": "must be at most 254 characters (got 255)", "name": "must not be blank"},
        ),
        ("POST", "/users", {"email": "t@acme.test"}, {"name": "is required"}),
        (
            "POST",
            "/users",
            {"name": "T", "role": "boss"},
            {"email": "is required", "role": "must be owner, admin or member"},
        ),
        (
            "POST",
            "/users",
            {"email": "t@acme.test", "name": "T", "org": "x"},
            {"org": "is not a field of this request"},
        ),
        ("PATCH", "target", {"name": None}, {"name": "must be a string, not null"}),
        ("PATCH", "target", {"role": None}, {"role": "must be owner, admin or member, not null"}),
        ("PATCH", "target", {"email": "new@acme.test"}, {"email": "is not a field of this request"}),
        (
            "PATCH",
            "/org",
            {"timezone": "Europe/Atlantis"},
            {"timezone": "must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC"},
        ),
        ("PATCH", "/org", {"weekStart": "Monday"}, {"weekStart": "must be monday or sunday"}),
        ("PATCH", "/org", {"name": "  "}, {"name": "must not be blank"}),
        (
            "PATCH",
            "/org",
            {"plan": "agency"},
            {
                "plan": "is not set over the API: the plan is the organization's subscription, which the "
                "operator changes (hours orgs set-plan)"
            },
        ),
    ],
)
def test_wrong_fields_are_422_naming_each(
    client: TestClient[Any], team: Team, method: str, path: str, body: dict[str, Any], fields: dict[str, str]
) -> None:
    url = f"/users/{team.target.id}" if path == "target" else path
    refused = client.request(method, url, json=body, headers=team.headers("owner"))
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "validation_failed"
    assert refused.json()["error"]["fields"] == fields


@pytest.mark.parametrize("url", ["/org", "/users", "target"])
def test_bodies_that_are_not_json_objects_are_400_or_415(
    client: TestClient[Any], team: Team, url: str
) -> None:
    url = f"/users/{team.target.id}" if url == "target" else url
    method = "POST" if url == "/users" else "PATCH"
    owner = team.headers("owner")
    not_json = client.request(
        method, url, content=b"{", headers={**owner, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "invalid_json"
    array = client.request(method, url, content=b"[]", headers={**owner, "Content-Type": "application/json"})
    assert array.status_code == 400
    plain = client.request(method, url, content=b"{}", headers={**owner, "Content-Type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["error"]["code"] == "unsupported_media_type"


def test_unknown_query_parameters_are_refused_on_the_new_routes(client: TestClient[Any], team: Team) -> None:
    for url in ("/org?x=1", "/users?includeDeactivated=true", f"/users/{team.target.id}/tokens?all=1"):
        refused = client.get(url, headers=team.headers("owner"))
        assert refused.status_code == 422, url


# What OpenAPI says.

DOCUMENTED = {
    "GET /org": set(),
    "PATCH /org": {
        "forbidden",
        "plan_required",
        "validation_failed",
        "invalid_json",
        "payload_too_large",
        "unsupported_media_type",
    },
    "GET /users": set(),
    "POST /users": {
        "plan_required",
        "forbidden",
        "email_taken",
        "validation_failed",
        "invalid_json",
        "payload_too_large",
        "unsupported_media_type",
    },
    "GET /users/{user_id}": {"not_found"},
    "PATCH /users/{user_id}": {
        "forbidden",
        "not_found",
        "last_owner",
        "validation_failed",
        "invalid_json",
        "payload_too_large",
        "unsupported_media_type",
    },
    "POST /users/{user_id}/deactivate": {
        "forbidden",
        "not_found",
        "last_owner",
        "stale_update",
        "entry_locked",
    },
    "POST /users/{user_id}/reactivate": {"plan_required", "forbidden", "not_found"},
    "GET /users/{user_id}/tokens": {"not_found", "forbidden"},
    "DELETE /users/{user_id}/tokens/{prefix}": {"not_found", "forbidden"},
}
"""Each new operation's own error codes (besides those every operation may answer)."""

EVERY_OPERATION = {
    "unauthenticated",
    "validation_failed",
    "rate_limited",
    "internal_error",
    "store_busy",
    "store_full",
    "service_unavailable",
    # Refused before routing on every route (a repeated Authorization or Idempotency-Key, a
    # Content-Encoding), and a body over the limit, read or not.
    "bad_request",
    "unsupported_media_type",
    "payload_too_large",
}
IDEMPOTENT = {"idempotency_key_invalid", "idempotency_key_reused", "idempotency_request_in_progress"}
READ_A_BODY = {"PATCH /org", "POST /users", "PATCH /users/{user_id}"}
"""Operations that read a body, so a body that stops arriving is 408 ``request_timeout`` (bodiless
operations never wait for one)."""
KEYED = {
    "PATCH /org",
    "POST /users",
    "PATCH /users/{user_id}",
    "POST /users/{user_id}/deactivate",
    "POST /users/{user_id}/reactivate",
}


@pytest.fixture(scope="module")
def document() -> Iterator[dict[str, Any]]:
    with TestClient(create_app(make_world(InMemoryStore().unit_of_work).services)) as client:
        yield client.get("/schema/openapi.json").json()


@pytest.mark.parametrize("operation", list(DOCUMENTED))
def test_every_new_operation_documents_exactly_its_error_codes(
    document: dict[str, Any], operation: str
) -> None:
    method, path = operation.split(" ", 1)
    responses = document["paths"][path][method.lower()]["responses"]
    documented = set()
    for status, response in responses.items():
        if int(status) >= 400:
            documented |= set(re.findall(r"`([a-z_]+)`:", response["description"]))
    expected = DOCUMENTED[operation] | EVERY_OPERATION | (IDEMPOTENT if operation in KEYED else set())
    expected |= {"request_timeout"} if operation in READ_A_BODY else set()
    assert documented == expected
