"""The one name rule: organizations, projects and tasks (200 characters) and tokens (100)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_core.errors import ValidationFailed
from hours_core.invoices import external_ref_problem
from hours_core.model import check_name, name_problem
from hours_core.periods import reason_problem as lock_reason_problem
from hours_core.services import ChangeProject, CreateTimeEntry
from hours_core.subscriptions import description_problem
from hours_core.timesheets import reason_problem as rejection_reason_problem
from tests.world import World


@pytest.mark.parametrize("name", ["", " ", "\t\r\n", "\u00a0\u3000"])
def test_an_empty_or_whitespace_name_is_blank(name: str) -> None:
    assert name_problem(name) == "must not be blank"
    assert name_problem(name, 100) == "must not be blank"


def test_a_name_may_be_as_long_as_its_limit_and_no_longer() -> None:
    assert name_problem("n" * 200) is None
    assert name_problem("n" * 201) == "must be at most 200 characters (got 201)"
    assert name_problem("n" * 100, 100) is None
    assert name_problem("n" * 101, 100) == "must be at most 100 characters (got 101)"


def test_a_name_with_surrounding_spaces_is_kept_as_it_is() -> None:
    assert name_problem("  Client A  ") is None


def test_check_name_raises_the_problem_for_the_name_field() -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_name(" ")
    assert raised.value.fields == {"name": "must not be blank"}


def test_a_blank_project_or_task_name_is_refused_as_blank(world: World) -> None:
    owner = world.caller(world.owner)
    attempts = [
        lambda: world.services.projects.create_project(owner, " "),
        lambda: world.services.projects.change_project(owner, world.project.id, ChangeProject(name="")),
        lambda: world.services.projects.create_task(owner, world.project.id, "\t"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationFailed) as raised:
            attempt()
        assert raised.value.fields == {"name": "must not be blank"}
    assert world.services.projects.get_project(owner, world.project.id).name == world.project.name


@pytest.mark.parametrize("name", ["\u200b", " \ufeff ", "\u2060\t"])
def test_a_name_of_invisible_characters_is_blank(name: str) -> None:
    assert name_problem(name) == "must not be blank"


@pytest.mark.parametrize(
    ("name", "position"), [("a\x00b", 2), ("tab\there", 4), ("line\n", 5), ("c1\x85", 3)]
)
def test_a_name_is_one_line_of_text_without_control_characters(name: str, position: int) -> None:
    problem = name_problem(name)
    assert problem is not None and problem.startswith("contains the control character U+")
    assert problem.endswith(f"at position {position}")


@pytest.mark.parametrize(
    "name", ["\u200b \u200b", " \u200b\u3000\u200d ", "\u3164", "\u2800\u2800", "\u00ad", "\u034f\u2060"]
)
def test_a_name_of_white_space_and_invisible_characters_anywhere_is_blank(name: str) -> None:
    assert name_problem(name) == "must not be blank"


variation_selectors = [
    chr(code) for code in (*range(0x180B, 0x1810), *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0))
]

invisible = st.one_of(
    st.characters(categories=["Zs", "Cf"]),
    st.sampled_from("\t\n\r\u2028\u2029\u034f\u115f\u1160\u2800\u3164\uffa0"),
    st.sampled_from(variation_selectors),
)


@pytest.mark.parametrize("name", ["\ufe0f", "\ufe0e\ufe0f", "\u180b", " \U000e0100 ", "\u200b\ufe00"])
def test_a_name_of_variation_selectors_is_blank(name: str) -> None:
    # A variation selector picks a glyph for the character before it; alone it shows nothing
    # (Unicode's Default_Ignorable_Code_Point), so a name of them looks blank.
    assert name_problem(name) == "must not be blank"


def test_a_variation_selector_after_a_visible_character_is_allowed() -> None:
    assert name_problem("\u2764\ufe0f Team") is None


@given(st.text(invisible, min_size=1, max_size=50))
def test_any_name_made_only_of_invisible_characters_is_blank(name: str) -> None:
    assert name_problem(name) == "must not be blank"


@given(st.text(invisible, max_size=5), st.text(invisible, max_size=5))
@example("\u200b", "\u200b")
def test_one_visible_character_among_invisible_ones_is_not_blank(before: str, after: str) -> None:
    assert name_problem(before + "x" + after) != "must not be blank"


separators = ["\u2028", "\u2029"]
bidi_controls = [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@given(
    st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=20),
    st.sampled_from(separators),
    st.text(st.characters(categories=["L", "N", "P"]), max_size=20),
)
def test_line_and_paragraph_separators_are_refused_like_newlines(
    before: str, separator: str, after: str
) -> None:
    assert name_problem(before + separator + after) == (
        f"contains the line or paragraph separator U+{ord(separator):04X} at position {len(before) + 1}"
    )


@given(
    st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20),
    st.sampled_from(bidi_controls),
    st.text(st.characters(categories=["L", "N"]), max_size=20),
)
@example("admin", "\u202e", "txt.exe")
def test_bidirectional_controls_are_refused_in_names(before: str, control: str, after: str) -> None:
    assert name_problem(before + control + after) == (
        f"contains the bidirectional control character U+{ord(control):04X} at position {len(before) + 1}"
    )


@pytest.mark.parametrize("name", ["\u05e9\u05dc\u05d5\u05dd\u200f", "a\u200eb", "Caf\u00e9 \u2014 Ada"])
def test_marks_and_ordinary_text_stay_allowed(name: str) -> None:
    assert name_problem(name) is None


@given(st.text(max_size=300))
def test_the_name_rule_is_total_and_what_it_accepts_is_one_visible_line(name: str) -> None:
    problem = name_problem(name)
    if problem is None:
        assert 0 < len(name) <= 200
        assert not any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in name)
        assert not any(char in bidi_controls for char in name)
        assert not all(char.isspace() or unicodedata.category(char) == "Cf" for char in name)


@given(
    st.sampled_from([*separators, *bidi_controls]),
    st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20),
)
def test_one_line_free_texts_refuse_what_names_refuse(control: str, before: str) -> None:
    """A lock's reason, an invoice's reference and a webhook's description are shown on one line
    (a reason in every ``entry_locked`` message): the separators and bidirectional controls names
    refuse are refused there too, with the same message."""
    text = before + control
    expected = name_problem(text)
    assert expected is not None
    assert lock_reason_problem(text) == expected
    assert external_ref_problem(text) == expected
    assert description_problem(text) == expected


@pytest.mark.parametrize("text", ["Q3 closed \u2014 see #42", "\u05e9\u05dc\u05d5\u05dd\u200f", "a\u200eb"])
def test_one_line_free_texts_keep_ordinary_text_and_marks(text: str) -> None:
    assert lock_reason_problem(text) is None
    assert external_ref_problem(text) is None
    assert description_problem(text) is None


@pytest.mark.parametrize("text", ["\u200b", " \u200d\u3000", "\u2800", "\u00ad"])
def test_short_free_texts_made_only_of_invisible_characters_are_blank_as_names_are(text: str) -> None:
    assert name_problem(text) == "must not be blank"
    assert lock_reason_problem(text) == "must not be blank"
    assert external_ref_problem(text) == "must not be blank"
    assert rejection_reason_problem(text) == "must not be blank"


@pytest.mark.parametrize("code_point", [0xD800, 0xDBFF, 0xDC00, 0xDFFF])
def test_a_lone_surrogate_is_refused_in_every_stored_text(world: World, code_point: int) -> None:
    """A lone UTF-16 surrogate is not a character and has no UTF-8 form; a string from a
    command-line argument that was not UTF-8, or from a library caller, may hold one. Names, notes
    and the one-line free texts refuse it with its position, so that no store is handed one (SQLite
    raised ``UnicodeEncodeError``, PostgreSQL a message about NUL characters, and the in-memory store
    kept it)."""
    text = f"Ada{chr(code_point)}x"
    expected = (
        f"contains the lone surrogate U+{code_point:04X} at position 4, "
        "which is not a character (was the text valid UTF-8?)"
    )
    assert name_problem(text) == expected
    assert lock_reason_problem(text) == expected
    assert external_ref_problem(text) == expected
    assert description_problem(text) == expected
    assert rejection_reason_problem(text) == expected
    owner = world.caller(world.owner)
    with pytest.raises(ValidationFailed) as raised:
        world.services.projects.create_project(owner, text)
    assert raised.value.fields == {"name": expected}
    with pytest.raises(ValidationFailed) as raised:
        world.services.entries.create_time_entry(
            owner,
            CreateTimeEntry(
                project_id=world.project.id, entry_date=date(2026, 11, 28), duration_seconds=60, note=text
            ),
        )
    assert raised.value.fields == {"note": expected}


@given(st.text(st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)), max_size=50))
def test_a_name_the_rule_takes_can_be_encoded_as_utf_8(name: str) -> None:
    """Hypothesis leaves surrogates out of text by default; they are mixed back in here."""
    if name_problem(name) is None:
        name.encode("utf-8")


def _first_refused_character(value: str, allowed: str) -> str | None:
    """The rule of ``control_character_problem``, restated one character at a time."""
    for index, char in enumerate(value):
        if "\ud800" <= char <= "\udfff":
            return f"contains the lone surrogate U+{ord(char):04X} at position {index + 1}, " + (
                "which is not a character (was the text valid UTF-8?)"
            )
        if (char < " " or "\x7f" <= char <= "\x9f") and char not in allowed:
            return f"contains the control character U+{ord(char):04X} at position {index + 1}"
    return None


@given(
    st.text(st.one_of(st.characters(), st.integers(0, 0xA0).map(chr), st.integers(0xD800, 0xDFFF).map(chr))),
    st.sampled_from(["", "\t\n\r", "\n"]),
)
def test_the_compiled_check_finds_what_a_walk_over_the_characters_finds(value: str, allowed: str) -> None:
    """The check is one search of a compiled character class (a 5,000-character note took a
    millisecond of a Python loop); it finds the same first character, with the same message."""
    from hours_core.model import control_character_problem

    assert control_character_problem(value, allowed) == _first_refused_character(value, allowed)
