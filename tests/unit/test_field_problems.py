"""The core names fields its own way; adapters respell them with their naming rule."""

from __future__ import annotations

from hours_core.errors import FieldProblem, Hint, TimerAlreadyRunning, ValidationFailed


def _upper(field: str) -> str:
    return field.upper()


def test_a_problem_in_the_cores_words_names_core_fields_and_no_route() -> None:
    problem = FieldProblem("the entry is a running timer", hint=Hint.STOP_THE_TIMER)
    assert str(problem) == "the entry is a running timer: stop it first"


def test_respelling_renames_the_fields_the_mentions_and_phrases_the_hint() -> None:
    error = ValidationFailed(
        {
            "stopped_at": FieldProblem("needs started_at", mentions=("started_at",)),
            "duration_seconds": FieldProblem("the entry is a running timer", hint=Hint.STOP_THE_TIMER),
        }
    )
    respelled = error.respelled(_upper, {Hint.STOP_THE_TIMER: "call stop"})
    assert dict(respelled.fields) == {
        "STOPPED_AT": "needs STARTED_AT",
        "DURATION_SECONDS": "the entry is a running timer: call stop",
    }
    assert respelled.message == "2 fields are invalid: DURATION_SECONDS, STOPPED_AT."


def test_a_mention_is_replaced_as_a_whole_word_only() -> None:
    problem = FieldProblem("note and notes", mentions=("note",))
    assert problem.render(_upper, {}) == "NOTE and notes"


def test_a_single_problem_is_the_message_and_a_given_message_is_kept() -> None:
    assert (
        ValidationFailed.one("entry_date", "is wrong").respelled(_upper, {}).message == "ENTRY_DATE: is wrong"
    )
    kept = ValidationFailed({"entry_date": "is wrong"}, "Look again.").respelled(_upper, {})
    assert kept.message == "Look again."


def test_a_running_timer_conflict_suggests_the_cores_stop_running_option() -> None:
    assert "stop_running" in TimerAlreadyRunning("x").message
