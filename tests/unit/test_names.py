"""The one name rule: organizations, projects and tasks (200 characters) and tokens (100)."""

from __future__ import annotations

import pytest

from hours_core.errors import ValidationFailed
from hours_core.model import check_name, name_problem
from hours_core.services import ChangeProject
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
