"""The organization's settings and its team, below HTTP: the use cases over the in-memory store."""

from __future__ import annotations

import io
from datetime import date, timedelta

import attrs
import pytest

from hours_core.errors import (
    Conflict,
    EmailTaken,
    Forbidden,
    LastOwner,
    NotFound,
    PlanRequired,
    Unauthenticated,
    ValidationFailed,
)
from hours_core.model import Plan, Role, User, UserId, WeekStart
from hours_core.ports import EntryQuery
from hours_core.services import (
    AddUser,
    Caller,
    ChangeOrg,
    ChangeUser,
    CreateOperation,
    CreateTimeEntry,
    DeleteOperation,
    ImportEntries,
    StartTimer,
    UpdateTimeEntry,
)
from tests.exchange.odd_files import toggl_file
from tests.world import START, World


def stored(world: World, user: User) -> User:
    return world.services.team.get_user(world.caller(world.owner), user.id)


# The organization's settings.


def test_a_new_organization_is_in_utc_with_weeks_from_monday(world: World) -> None:
    org = world.services.team.get_org(world.caller(world.member))
    assert (org.timezone, org.week_start) == ("UTC", WeekStart.MONDAY)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_change_the_settings(world: World, role: str) -> None:
    changer = world.owner if role == "owner" else world.admin
    change = ChangeOrg(name="Acme GmbH", timezone="Europe/Berlin", week_start=WeekStart.SUNDAY)
    changed = world.services.team.change_org(world.caller(changer), change)
    assert (changed.name, changed.timezone, changed.week_start) == ("Acme GmbH", "Europe/Berlin", "sunday")
    assert changed.plan is world.org.plan and changed.created_at == world.org.created_at
    assert world.services.team.get_org(world.caller(world.member)) == changed


def test_a_setting_left_out_stays_as_it_is(world: World) -> None:
    world.services.team.change_org(world.caller(world.owner), ChangeOrg(timezone="Asia/Tokyo"))
    changed = world.services.team.change_org(
        world.caller(world.owner), ChangeOrg(week_start=WeekStart.SUNDAY)
    )
    assert (changed.name, changed.timezone) == ("Acme", "Asia/Tokyo")


def test_members_may_not_change_the_settings(world: World) -> None:
    with pytest.raises(Forbidden):
        world.services.team.change_org(world.caller(world.member), ChangeOrg(name="Mine"))


def test_wrong_settings_are_reported_together_before_the_role(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.team.change_org(world.caller(world.member), ChangeOrg(name=" ", timezone="Berlin"))
    assert set(raised.value.fields) == {"name", "timezone"}


# Users: reading.


def test_every_member_lists_the_team_oldest_first_deactivated_ones_included(world: World) -> None:
    world.services.team.deactivate_user(world.caller(world.owner), world.admin.id)
    users = world.services.team.list_users(world.caller(world.member))
    assert [u.id for u in users] == [world.owner.id, world.admin.id, world.member.id]
    assert [u.deactivated_at for u in users] == [None, START, None]


def test_only_owners_and_admins_may_see_the_teams_emails(world: World) -> None:
    assert world.caller(world.owner).may_see_emails and world.caller(world.admin).may_see_emails
    assert not world.caller(world.member).may_see_emails


def test_a_user_of_another_organization_is_not_found(world: World) -> None:
    other = world.services.admin.bootstrap(
        org_name="Other", plan=Plan.AGENCY, email="o@other.test", env="live"
    )
    with pytest.raises(NotFound):
        world.services.team.get_user(world.caller(world.owner), other.user.id)
    with pytest.raises(NotFound):
        world.services.team.deactivate_user(world.caller(world.owner), other.user.id)


# Users: adding.


def test_an_admin_adds_a_member_with_the_email_as_given(world: World) -> None:
    added = world.services.team.add_user(
        world.caller(world.admin), AddUser(email="Bo.Diaz@Acme.test", name="Bo Diaz")
    )
    assert (added.email, added.name, added.role, added.org_id) == (
        "Bo.Diaz@Acme.test",
        "Bo Diaz",
        Role.MEMBER,
        world.org.id,
    )
    assert added.created_at == START and added.deactivated_at is None
    assert stored(world, added) == added


def test_only_owners_add_owners(world: World) -> None:
    with pytest.raises(Forbidden):
        world.services.team.add_user(world.caller(world.admin), AddUser("o2@acme.test", "O2", Role.OWNER))
    owner = world.services.team.add_user(world.caller(world.owner), AddUser("o2@acme.test", "O2", Role.OWNER))
    assert owner.role is Role.OWNER


def test_members_may_not_add_users(world: World) -> None:
    with pytest.raises(Forbidden):
        world.services.team.add_user(world.caller(world.member), AddUser("x@acme.test", "X"))


def test_a_wrong_email_and_a_blank_name_are_reported_together(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.team.add_user(world.caller(world.owner), AddUser("not-an-email", " "))
    assert raised.value.fields == {
        "email": "must be an email address like ada@example.com",
        "name": "must not be blank",
    }


@pytest.mark.parametrize("email", ["MEMBER@acme.test", "member@ACME.TEST", "Member@Acme.Test"])
def test_an_email_is_taken_whatever_its_case(world: World, email: str) -> None:
    with pytest.raises(EmailTaken) as raised:
        world.services.team.add_user(world.caller(world.owner), AddUser(email, "Twin"))
    assert raised.value.code == "email_taken" and email in raised.value.message


def test_an_email_is_taken_whatever_its_case_beyond_ascii(world: World) -> None:
    world.services.team.add_user(world.caller(world.owner), AddUser("ÉLODIE@exemple.fr", "Élodie"))
    with pytest.raises(EmailTaken):
        world.services.team.add_user(world.caller(world.owner), AddUser("élodie@EXEMPLE.fr", "Twin"))


def test_a_deactivated_users_email_stays_taken(world: World) -> None:
    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    with pytest.raises(EmailTaken):
        world.services.team.add_user(world.caller(world.owner), AddUser(world.member.email, "Again"))


@pytest.mark.parametrize(("plan", "required"), [(Plan.FREE, "studio"), (Plan.SOLO, "studio")])
def test_a_second_user_on_free_or_solo_needs_studio(world: World, plan: Plan, required: str) -> None:
    org = world.services.admin.bootstrap(org_name="Solo", plan=plan, email="me@solo.test", env="live")
    owner = Caller(user=org.user, org=org.org)
    with pytest.raises(PlanRequired) as raised:
        world.services.team.add_user(owner, AddUser("you@solo.test", "You"))
    assert (raised.value.required_plan, raised.value.feature) == (required, "team_members")
    assert [u.id for u in world.services.team.list_users(owner)] == [org.user.id]


def test_a_26th_active_user_on_studio_needs_agency_and_deactivated_users_do_not_count(world: World) -> None:
    world.set_plan(Plan.STUDIO)
    for n in range(22):
        world.services.team.add_user(world.caller(world.owner), AddUser(f"u{n}@acme.test", f"U{n}"))
    owner = world.caller(world.owner)
    assert len(world.services.team.list_users(owner)) == 25
    with pytest.raises(PlanRequired) as raised:
        world.services.team.add_user(owner, AddUser("u26@acme.test", "U26"))
    assert (raised.value.required_plan, raised.value.feature) == ("agency", "team_members")

    world.services.team.deactivate_user(owner, world.member.id)
    world.services.team.add_user(owner, AddUser("u26@acme.test", "U26"))
    with pytest.raises(PlanRequired):
        world.services.team.reactivate_user(owner, world.member.id)
    assert stored(world, world.member).deactivated_at is not None


def test_the_operator_is_not_bound_by_the_user_limit(world: World) -> None:
    org = world.services.admin.bootstrap(org_name="Free", plan=Plan.FREE, email="me@free.test", env="live")
    second = world.services.admin.create_user(org.org.id, "you@free.test", Role.MEMBER)
    world.services.admin.deactivate_user(second.id)
    assert world.services.admin.reactivate_user(second.id).is_active


def test_the_operator_refuses_an_email_without_a_real_address_shape(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.admin.create_user(world.org.id, "ada@localhost", Role.MEMBER)
    assert set(raised.value.fields) == {"email"}


def test_the_operator_names_a_user_by_their_email_unless_told(world: World) -> None:
    assert world.services.admin.create_user(world.org.id, "cy.young@acme.test").name == "cy.young"
    assert world.services.admin.create_user(world.org.id, "d@acme.test", name="Dee").name == "Dee"


# Users: changing.


def test_a_member_renames_themselves_but_nobody_else(world: World) -> None:
    renamed = world.services.team.change_user(
        world.caller(world.member), world.member.id, ChangeUser(name="Mo")
    )
    assert renamed.name == "Mo" and renamed.role is Role.MEMBER and renamed.email == world.member.email
    with pytest.raises(Forbidden):
        world.services.team.change_user(world.caller(world.member), world.admin.id, ChangeUser(name="Al"))


def test_a_member_may_not_change_a_role_not_even_their_own(world: World) -> None:
    with pytest.raises(Forbidden):
        world.services.team.change_user(
            world.caller(world.member), world.member.id, ChangeUser(role=Role.MEMBER)
        )


def test_an_admin_changes_roles_but_makes_nobody_an_owner(world: World) -> None:
    admin = world.caller(world.admin)
    promoted = world.services.team.change_user(admin, world.member.id, ChangeUser(role=Role.ADMIN))
    assert promoted.role is Role.ADMIN
    with pytest.raises(Forbidden):
        world.services.team.change_user(admin, world.member.id, ChangeUser(role=Role.OWNER))
    assert (
        world.services.team.change_user(admin, world.owner.id, ChangeUser(role=Role.OWNER)).role is Role.OWNER
    )


def test_the_last_active_owner_cannot_be_demoted(world: World) -> None:
    with pytest.raises(LastOwner) as raised:
        world.services.team.change_user(
            world.caller(world.owner), world.owner.id, ChangeUser(role=Role.ADMIN)
        )
    assert raised.value.code == "last_owner"
    assert stored(world, world.owner).role is Role.OWNER


def test_an_owner_is_demoted_while_another_active_owner_remains(world: World) -> None:
    owner = world.caller(world.owner)
    world.services.team.change_user(owner, world.admin.id, ChangeUser(role=Role.OWNER))
    demoted = world.services.team.change_user(
        world.caller(world.admin), world.owner.id, ChangeUser(role=Role.MEMBER)
    )
    assert demoted.role is Role.MEMBER


def test_a_deactivated_owner_does_not_count_as_an_active_owner(world: World) -> None:
    owner = world.caller(world.owner)
    second = world.services.team.add_user(owner, AddUser("o2@acme.test", "O2", Role.OWNER))
    world.services.team.deactivate_user(owner, second.id)
    with pytest.raises(LastOwner):
        world.services.team.deactivate_user(owner, world.owner.id)
    assert world.services.team.change_user(owner, second.id, ChangeUser(role=Role.ADMIN)).role is Role.ADMIN


def test_a_caller_demoted_since_authentication_acts_with_their_new_role(world: World) -> None:
    admin_as_authenticated = world.caller(world.admin)
    world.services.team.change_user(world.caller(world.owner), world.admin.id, ChangeUser(role=Role.MEMBER))
    with pytest.raises(Forbidden):
        world.services.team.deactivate_user(admin_as_authenticated, world.member.id)


def test_a_caller_deactivated_since_authentication_acts_no_more(world: World) -> None:
    admin_as_authenticated = world.caller(world.admin)
    world.services.team.deactivate_user(world.caller(world.owner), world.admin.id)
    with pytest.raises(Unauthenticated):
        world.services.team.change_org(admin_as_authenticated, ChangeOrg(name="Mine"))


def test_a_member_deactivated_since_authentication_logs_no_time(world: World) -> None:
    member_as_authenticated = world.caller(world.member)
    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    entries = world.services.entries
    with pytest.raises(Unauthenticated):
        entries.start_timer(member_as_authenticated, StartTimer(project_id=world.project.id))
    with pytest.raises(Unauthenticated):
        entries.create_time_entry(
            member_as_authenticated,
            CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=60),
        )
    assert (
        entries.list_time_entries(world.caller(world.owner), EntryQuery(user_id=world.member.id)).entries
        == []
    )


@pytest.mark.parametrize("atomic", [True, False])
def test_a_caller_deactivated_since_authentication_changes_no_entry(world: World, atomic: bool) -> None:
    """Not only their own new time: an admin deactivated meanwhile edits, deletes, logs for others
    and runs batches no more (the request is 401, not one of a batch's operations)."""
    owner, entries = world.caller(world.owner), world.services.entries
    day = CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 2), duration_seconds=60)
    entry = entries.create_time_entry(owner, day)
    admin_as_authenticated = world.caller(world.admin)
    world.services.team.deactivate_user(owner, world.admin.id)

    for write in (
        lambda: entries.update_time_entry(admin_as_authenticated, entry.id, UpdateTimeEntry(note="mine")),
        lambda: entries.delete_time_entry(admin_as_authenticated, entry.id),
        lambda: entries.create_time_entry(admin_as_authenticated, attrs.evolve(day, user_id=world.member.id)),
        lambda: world.services.batches.run_batch(
            admin_as_authenticated, [CreateOperation(day), DeleteOperation(entry.id)], atomic=atomic
        ),
    ):
        with pytest.raises(Unauthenticated):
            write()

    assert entries.get_time_entry(owner, entry.id) == entry  # untouched


def test_a_caller_deactivated_since_authentication_imports_nothing(world: World) -> None:
    owner = world.caller(world.owner)
    admin_as_authenticated = world.caller(world.admin)
    world.services.team.deactivate_user(owner, world.admin.id)
    data = io.BytesIO(toggl_file(world.owner.email, world.member.email))

    with pytest.raises(Unauthenticated):
        world.services.imports.import_entries(
            admin_as_authenticated, ImportEntries(source="toggl", data=data, timezone="Europe/Berlin")
        )

    assert world.services.entries.list_time_entries(owner, EntryQuery()).entries == []


def test_a_deactivated_users_deleted_timer_is_not_restored_to_run_again(world: World) -> None:
    owner, member = world.caller(world.owner), world.caller(world.member)
    timer = world.services.entries.start_timer(member, StartTimer(project_id=world.project.id))
    world.services.entries.delete_time_entry(member, timer.id)  # a deleted timer is not stopped
    world.services.team.deactivate_user(owner, world.member.id)

    with pytest.raises(Conflict, match="running timer of a deactivated user"):
        world.services.entries.restore_time_entry(owner, timer.id)

    world.services.team.reactivate_user(owner, world.member.id)
    assert world.services.entries.restore_time_entry(owner, timer.id).is_running  # once active again


def test_a_name_is_checked_by_the_name_rule(world: World) -> None:
    with pytest.raises(ValidationFailed) as raised:
        world.services.team.change_user(
            world.caller(world.owner), world.member.id, ChangeUser(name="x" * 201)
        )
    assert raised.value.fields == {"name": "must be at most 200 characters (got 201)"}


# Deactivation.


def test_a_deactivated_users_token_is_refused_on_the_next_request(world: World) -> None:
    world.services.authenticator.authenticate(world.member_token)
    world.services.team.deactivate_user(world.caller(world.admin), world.member.id)
    with pytest.raises(Unauthenticated) as raised:
        world.services.authenticator.authenticate(world.member_token)
    assert raised.value.token_sent and raised.value.message == Unauthenticated.default_message


def test_deactivation_stops_the_running_timer_at_that_moment_and_keeps_the_entries(world: World) -> None:
    member = world.caller(world.member)
    logged = world.services.entries.create_time_entry(
        member, CreateTimeEntry(project_id=world.project.id, entry_date=date(2026, 3, 1), duration="2h")
    )
    timer = world.services.entries.start_timer(member, StartTimer(project_id=world.project.id))
    world.clock.advance(timedelta(minutes=45))

    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)

    stopped = world.services.entries.get_time_entry(world.caller(world.owner), timer.id)
    assert stopped.stopped_at == START + timedelta(minutes=45) and stopped.duration_seconds == 45 * 60
    assert world.services.entries.get_time_entry(world.caller(world.owner), logged.id) == logged
    assert stored(world, world.member).deactivated_at == START + timedelta(minutes=45)


def test_a_timer_past_24_hours_is_stopped_at_deactivation_with_24_hours(world: World) -> None:
    timer = world.services.entries.start_timer(
        world.caller(world.member), StartTimer(project_id=world.project.id)
    )
    world.clock.advance(timedelta(hours=30))
    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    stopped = world.services.entries.get_time_entry(world.caller(world.owner), timer.id)
    assert stopped.stopped_at == START + timedelta(hours=30) and stopped.duration_seconds == 86_400


def test_deactivating_a_deactivated_user_changes_nothing(world: World) -> None:
    first = world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    world.clock.advance(timedelta(hours=1))
    assert world.services.team.deactivate_user(world.caller(world.owner), world.member.id) == first


def test_members_may_neither_deactivate_nor_reactivate(world: World) -> None:
    with pytest.raises(Forbidden):
        world.services.team.deactivate_user(world.caller(world.member), world.admin.id)
    with pytest.raises(Forbidden):
        world.services.team.reactivate_user(world.caller(world.member), world.member.id)


def test_the_last_active_owner_cannot_be_deactivated(world: World) -> None:
    with pytest.raises(LastOwner):
        world.services.team.deactivate_user(world.caller(world.admin), world.owner.id)
    assert stored(world, world.owner).is_active


def test_a_revocation_reads_the_callers_role_as_it_is_now(world: World) -> None:
    """The caller was authenticated as an admin, then demoted before their revocation ran: the
    revocation of another user's token is refused (before, the role of the login was trusted, and a
    member revoked someone else's token in 15 of 22 races on PostgreSQL)."""
    minted = world.services.account.mint_token(world.caller(world.member), "laptop")
    authenticated_as_admin = world.caller(world.admin)
    world.services.team.change_user(world.caller(world.owner), world.admin.id, ChangeUser(role=Role.MEMBER))

    with pytest.raises(Forbidden):
        world.services.team.revoke_user_token(authenticated_as_admin, world.member.id, minted.token.prefix)

    assert world.services.authenticator.authenticate(minted.plaintext).user_id == world.member.id


def test_only_an_owner_reactivates_an_owner(world: World) -> None:
    """An admin could bring back an owner another owner had deactivated: an admin makes no owner."""
    second = world.services.team.add_user(
        world.caller(world.owner), AddUser("o2@acme.test", "O2", Role.OWNER)
    )
    world.services.team.deactivate_user(world.caller(world.owner), second.id)

    with pytest.raises(Forbidden, match="Only owners may reactivate an owner"):
        world.services.team.reactivate_user(world.caller(world.admin), second.id)
    assert not stored(world, second).is_active

    assert world.services.team.reactivate_user(world.caller(world.owner), second.id).is_active


def test_an_admin_reactivates_an_admin_or_a_member(world: World) -> None:
    for user in (world.member, world.admin):
        world.services.team.deactivate_user(world.caller(world.owner), user.id)
    other_admin = world.services.team.add_user(
        world.caller(world.owner), AddUser("a2@acme.test", "A2", Role.ADMIN)
    )

    for user in (world.member, world.admin):
        assert world.services.team.reactivate_user(world.caller(other_admin), user.id).is_active


def test_a_reactivated_users_tokens_work_again(world: World) -> None:
    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    reactivated = world.services.team.reactivate_user(world.caller(world.owner), world.member.id)
    assert reactivated.is_active
    assert world.services.authenticator.authenticate(world.member_token).user_id == world.member.id


def test_nobody_logs_time_for_a_deactivated_user(world: World) -> None:
    world.services.team.deactivate_user(world.caller(world.owner), world.member.id)
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(
            world.caller(world.owner),
            CreateTimeEntry(
                project_id=world.project.id,
                entry_date=date(2026, 3, 2),
                duration="1h",
                user_id=world.member.id,
            ),
        )
    assert raised.value.fields == {"user_id": "the user is deactivated and takes no new entries"}


# Their tokens.


def test_owners_and_admins_list_anyones_tokens_members_only_their_own(world: World) -> None:
    member_prefix = world.member_token.split("_")[2]
    for manager in (world.owner, world.admin):
        tokens = world.services.team.list_user_tokens(world.caller(manager), world.member.id)
        assert [t.prefix for t in tokens] == [member_prefix]
    own = world.services.team.list_user_tokens(world.caller(world.member), world.member.id)
    assert [t.prefix for t in own] == [member_prefix]
    with pytest.raises(Forbidden):
        world.services.team.list_user_tokens(world.caller(world.member), world.owner.id)


def test_an_admin_revokes_a_members_token(world: World) -> None:
    prefix = world.member_token.split("_")[2]
    world.services.team.revoke_user_token(world.caller(world.admin), world.member.id, prefix)
    with pytest.raises(Unauthenticated):
        world.services.authenticator.authenticate(world.member_token)
    [token] = world.services.team.list_user_tokens(world.caller(world.admin), world.member.id)
    assert token.revoked_at == START


def test_a_token_of_another_user_is_not_found_under_this_one(world: World) -> None:
    owner_prefix = world.owner_token.split("_")[2]
    with pytest.raises(NotFound):
        world.services.team.revoke_user_token(world.caller(world.owner), world.member.id, owner_prefix)
    with pytest.raises(Forbidden):
        world.services.team.revoke_user_token(world.caller(world.member), world.owner.id, owner_prefix)


def test_an_unknown_user_is_not_found_before_the_role_is_checked(world: World) -> None:
    nobody = UserId(world.org.id)  # an id, but no user's
    with pytest.raises(NotFound):
        world.services.team.list_user_tokens(world.caller(world.member), nobody)
