"""The rules of new email addresses, the key they are compared by, time zone names, and the
plans' user limits."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.emails import MAX_EMAIL_LENGTH, email_key, email_problem
from hours_core.errors import PlanRequired
from hours_core.model import Plan, User
from hours_core.plans import USER_LIMITS, Feature, plan_with_room_for_users, require_room_for_users
from hours_core.timezones import timezone_names, timezone_problem

SHAPE = "must be an email address like ada@example.com"


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.com",
        "Ada.Lovelace+hours@Example.CO.UK",
        "a@b.c",
        "o'brien@example.ie",
        "x_y-z!#$%&*=?^`{|}~@sub-domain.example.org",
        "élodie@exemple.fr",
        "用户@例子.广告",
        "josé.müller@x.de",
        "a€@x.test",  # RFC 6532's atext takes any character beyond ASCII: symbols too
        "a😀@x.test",
        "ada@123.example",
        "a" * 64 + "@example.com",
        "bo@xn--caf-dma.fr",  # café.fr in the ASCII form DNS and mail carry (IDNA)
        "bo@example.xn--p1ai",
    ],
)
def test_a_real_address_is_accepted(address: str) -> None:
    assert email_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada@b@example.com",
        "ada lovelace@example.com",
        " ada@example.com",
        "ada@example.com ",
        "ada@exa mple.com",
        ".ada@example.com",
        "ada.@example.com",
        "ad..a@example.com",
        "ada@.example.com",
        "ada@example..com",
        "ada@example.com.",
        "ada@-example.com",
        "ada@example-.com",
        "ada@exam_ple.com",
        "ada@127.0.0.1",
        "ada@[127.0.0.1]",
        '"ada lovelace"@example.com',
        "ada(comment)@example.com",
        "ada\x00@example.com",
        "ada\u200b@example.com",
        "ada\u202e@example.com",  # a bidirectional override (format, category Cf)
        "ada\u00a0x@example.com",  # a no-break space (separator, category Zs)
        "ada@x€.test",  # the domain takes letters, marks and digits only
        "ada@example.com\n",
        "a" * 65 + "@example.com",
        "ada@" + "a" * 64 + ".com",
        "bo@xn--zz.fr",  # not Punycode
        "bo@xn--abc.fr",  # its Punycode writes control characters (U+0082 U+0081 U+0080)
        "bo@xn--.fr",
        "bo@xn--caf-dma",  # one label still
        "bo@xn--x-xpn.fr",  # x€: a character the domain does not take
    ],
)
def test_an_address_without_a_real_address_shape_is_refused(address: str) -> None:
    assert email_problem(address) == SHAPE


def test_an_address_may_be_254_characters_and_no_longer() -> None:
    domain = ".".join(["a" * 61] * 3) + ".example.com"
    longest = "b" * (MAX_EMAIL_LENGTH - len(domain) - 1) + "@" + domain
    assert len(longest) == 254 and len(longest.partition("@")[0]) <= 64
    assert email_problem(longest) is None
    assert email_problem("b" + longest) == "must be at most 254 characters (got 255)"


@given(st.text(max_size=300))
@example("a@b")
@example("@@")
def test_the_email_rule_answers_any_text_with_a_message_or_none(text: str) -> None:
    problem = email_problem(text)
    assert problem is None or problem in (SHAPE, f"must be at most 254 characters (got {len(text)})")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ada@Example.com", "ada@example.COM"),
        ("ÉLODIE@exemple.fr", "élodie@EXEMPLE.fr"),
        ("STRASSE@example.de", "straße@example.de"),
        ("e\u0301lodie@exemple.fr", "\u00e9lodie@exemple.fr"),
        ("bo@xn--caf-dma.fr", "bo@café.fr"),
        ("Bo@XN--CAF-DMA.FR", "BO@CAFÉ.FR"),
        ("bo@mail.xn--p1ai", "bo@MAIL.РФ"),
    ],
)
def test_addresses_that_differ_in_case_or_normal_form_have_one_key(one: str, other: str) -> None:
    assert email_key(one) == email_key(other)


def test_addresses_that_differ_otherwise_have_different_keys() -> None:
    assert email_key("ada@example.com") != email_key("ada2@example.com")
    assert email_key("ada+x@example.com") != email_key("ada@example.com")
    assert email_key("xn--caf-dma@example.com") != email_key("café@example.com")  # the local part is as sent
    assert email_key("bo@xn--zz.fr") == "bo@xn--zz.fr"  # a label that writes none is kept


@given(st.text(max_size=80))
@example("a@xn--CAF-pia.fr")
@example("a@xn--xn--abc-def.fr")
def test_the_key_of_a_key_is_the_key(text: str) -> None:
    assert email_key(email_key(text)) == email_key(text)


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("ada.lovelace@example.com", "ada.lovelace"),
        ("Bo@x.io", "Bo"),
        ("a\x01b@x.io", "ab"),
        ("x" * 250 + "@y", "x" * 200),
        ("\u200b@example.com", "user"),
    ],
)
def test_a_user_without_a_name_is_named_by_the_local_part_of_their_email(email: str, name: str) -> None:
    assert User.name_from_email(email) == name


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Asia/Kolkata"])
def test_an_iana_time_zone_name_is_valid(name: str) -> None:
    assert timezone_problem(name) is None


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus_Mons", "Europe/Berlin ", "+02:00", "localtime", "Factory"]
)
def test_anything_else_is_not_a_time_zone(name: str) -> None:
    assert timezone_problem(name) == (
        "must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC"
    )


def test_a_time_zone_in_the_wrong_case_is_told_its_spelling() -> None:
    assert timezone_problem("europe/berlin") == (
        "must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC "
        "(did you mean Europe/Berlin?)"
    )


def test_the_zone_names_are_read_once_and_hold_utc() -> None:
    assert timezone_names() is timezone_names()
    assert "UTC" in timezone_names() and "localtime" not in timezone_names()


def test_the_plans_hold_1_1_25_and_any_number_of_users() -> None:
    assert dict(USER_LIMITS) == {Plan.FREE: 1, Plan.SOLO: 1, Plan.STUDIO: 25, Plan.AGENCY: None}


@pytest.mark.parametrize(
    ("users", "plan"),
    [(0, Plan.FREE), (1, Plan.FREE), (2, Plan.STUDIO), (25, Plan.STUDIO), (26, Plan.AGENCY)],
)
def test_the_lowest_plan_with_room_is_named(users: int, plan: Plan) -> None:
    assert plan_with_room_for_users(users) is plan


@pytest.mark.parametrize(
    ("plan", "users", "required"),
    [
        (Plan.FREE, 2, Plan.STUDIO),
        (Plan.SOLO, 2, Plan.STUDIO),
        (Plan.STUDIO, 26, Plan.AGENCY),
        (Plan.SOLO, 30, Plan.AGENCY),
    ],
)
def test_one_user_too_many_needs_the_lowest_plan_with_room(plan: Plan, users: int, required: Plan) -> None:
    with pytest.raises(PlanRequired) as raised:
        require_room_for_users(plan, users)
    assert (raised.value.required_plan, raised.value.feature) == (required.value, Feature.TEAM_MEMBERS.value)


@pytest.mark.parametrize(("plan", "users"), [(Plan.FREE, 1), (Plan.STUDIO, 25), (Plan.AGENCY, 10_000)])
def test_users_within_the_limit_need_nothing(plan: Plan, users: int) -> None:
    require_room_for_users(plan, users)
