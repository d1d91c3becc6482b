"""The If-Match / If-None-Match parser (hours_http.preconditions): a round trip of every list it
can format, its verdicts on known values, and on any text it returns tags or raises its own 400."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hours_http.preconditions import (
    MAX_TAGS,
    PRECONDITION_PATTERN,
    EntityTag,
    EntityTags,
    InvalidPrecondition,
    if_match_versions,
    if_none_match_tags,
    not_modified,
    parse_entity_tags,
)

_OPAQUE = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"'), max_size=12
)
_TAGS = st.lists(st.builds(EntityTag, opaque=_OPAQUE, weak=st.booleans()), min_size=1, max_size=MAX_TAGS)


@given(_TAGS)
@example([EntityTag("3")])
@example([EntityTag("3", weak=True), EntityTag("a,b")])
def test_a_formatted_list_parses_back_to_itself(tags: list[EntityTag]) -> None:
    parsed = EntityTags(any=False, tags=tuple(tags))
    assert parse_entity_tags(parsed.format(), "If-Match") == parsed


@given(st.text(max_size=60))
@example('"1", ,"2"')
@example(' W/"1" ')
@example('"1""2"')
def test_any_text_parses_or_is_invalid_precondition(value: str) -> None:
    outcome: EntityTags | InvalidPrecondition
    try:
        outcome = parse_entity_tags(value, "If-Match")
    except InvalidPrecondition as error:
        outcome = error
    if isinstance(outcome, InvalidPrecondition):
        assert (outcome.code, str(outcome)[:10]) == ("invalid_precondition", "If-Match: ")
    else:
        assert outcome.any or outcome.tags


@given(st.text(alphabet=' \t,*W/"13ab\x80', max_size=30) | st.text(max_size=30))
@example('"1", ,"2"')
@example(",,")
@example('* "1"')
def test_the_documented_pattern_accepts_exactly_what_the_parser_reads(value: str) -> None:
    try:
        parse_entity_tags(value, "If-Match")
    except InvalidPrecondition:
        parsed = False
    else:
        parsed = True
    assert parsed == (re.fullmatch(PRECONDITION_PATTERN, value) is not None)


@pytest.mark.parametrize(
    ("value", "versions"),
    [
        (None, None),
        ("*", None),
        (' "3" ', frozenset({3})),
        ('"3", "4"', frozenset({3, 4})),
        ('"3",,W/"4"', frozenset({3})),
        ('W/"3"', frozenset()),
        ('"03", "0", "-1", "x", ""', frozenset()),
        ('"1000000000000000000"', frozenset()),  # 19 digits: no version of ours
    ],
)
def test_if_match_names_the_versions_of_its_strong_tags(value: str | None, versions: object) -> None:
    assert if_match_versions(value) == versions


@pytest.mark.parametrize(
    ("value", "version", "answer"),
    [
        (None, 1, False),
        ("*", 1, True),
        ('"1"', 1, True),
        ('W/"1"', 1, True),
        ('"2", W/"1"', 1, True),
        ('"2"', 1, False),
        ('"01"', 1, False),
    ],
)
def test_if_none_match_compares_weakly(value: str | None, version: int, answer: bool) -> None:
    assert not_modified(if_none_match_tags(value), version) is answer


@pytest.mark.parametrize("value", ["", "   ", ",", "3", "W/3", '"3', '"3" "4"', '*, "3"', '"a"b"'])
def test_malformed_values_are_refused(value: str) -> None:
    with pytest.raises(InvalidPrecondition):
        parse_entity_tags(value, "If-None-Match")


def test_a_list_longer_than_the_limit_is_refused() -> None:
    assert len(parse_entity_tags(", ".join(['"1"'] * MAX_TAGS), "If-Match").tags) == MAX_TAGS
    with pytest.raises(InvalidPrecondition, match="more than 100"):
        parse_entity_tags(", ".join(['"1"'] * (MAX_TAGS + 1)), "If-Match")
