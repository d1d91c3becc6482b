"""Row codecs: an entity to the parameters of its row, and a row back to the entity.

:func:`row_codec` writes the two functions of a table for a dialect as Python source and compiles
them once (as attrs writes an ``__init__``): each column becomes one expression, with no loop, no
lookup by name and no call at all for a value the driver takes as it is. They are as fast as the
hand-written pairs they replace, and they follow the entity: a new field needs no change here.

Decoders build entities through their constructors, so the entities' validators check what comes
out of the database. A derived column (``Table.derived``) is encoded and never decoded: rows are
read without it. ``NewType`` ids are not "called" (they are the UUID itself at run time).
"""

from __future__ import annotations

import linecache
import typing
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs

from hours_sql.dialect import Dialect, Kind
from hours_sql.tables import Column, Table

__all__ = ["Row", "RowCodec", "row_codec"]

Row = Sequence[Any]
"""A row as the driver returns it: a tuple in the order of the table's columns."""

T = TypeVar("T")


@attrs.frozen
class RowCodec(Generic[T]):
    """A table's pair of generated functions for one dialect."""

    table: Table
    encode: Callable[[T], tuple[Any, ...]]
    """The parameters of an entity's row, in column order."""
    decode: Callable[[Row], T]
    """The entity of a row in column order."""


def _encoding(
    index: int, column: Column, dialect: Dialect, names: dict[str, Any], previous_instant: int | None
) -> tuple[str, list[str]]:
    """The expression of column ``index`` for ``entity``, and the lines that bind what it needs.

    An instant equal to the instant of an earlier column (``previous_instant``: ``updated_at`` of
    a new row is its ``created_at``) reuses that column's encoding: equal instants encode alike,
    and a comparison costs a fraction of an encoding (the bulk path encodes millions).
    """
    value = f"entity.{column.name}"
    if column.embedded_in is not None:
        return _embedded_encoding(index, column, dialect, names)
    if column.enum is not None:
        call = "{}.value"
    else:
        encode = None if column.kind is None else dialect.codecs[column.kind].encode
        if encode is None:
            return value, []
        names[f"encode_{index}"] = encode
        call = f"encode_{index}({{}})"
    if not column.nullable and column.kind is Kind.INSTANT:
        local, encoded = f"value_{index}", call.format(f"value_{index}")
        if previous_instant is not None:
            earlier = previous_instant
            encoded = f"encoded_{earlier} if {local} == value_{earlier} else {encoded}"
        return f"encoded_{index}", [f"    {local} = {value}", f"    encoded_{index} = {encoded}"]
    if not column.nullable:
        return call.format(value), []
    local = f"value_{index}"
    return f"None if {local} is None else {call.format(local)}", [f"    {local} = {value}"]


def _embedded_encoding(
    index: int, column: Column, dialect: Dialect, names: dict[str, Any]
) -> tuple[str, list[str]]:
    """The expression of a column that stores a member of an embedded value: NULL when the value
    is ``None``, else the member encoded as a column of its own would be."""
    part, local = f"embedded_{column.embedded_in}", f"value_{index}"
    bindings = []
    if part not in names:  # the first member binds the embedded value once
        names[part] = None
        bindings.append(f"    {part} = entity.{column.embedded_in}")
    if column.enum is not None:
        call = "{}.value"
    else:
        encode = None if column.kind is None else dialect.codecs[column.kind].encode
        if encode is None:
            call = "{}"
        else:
            names[f"encode_{index}"] = encode
            call = f"encode_{index}({{}})"
    bindings.append(f"    {local} = None if {part} is None else {part}.{column.member}")
    if call == "{}":
        return local, bindings
    return f"None if {local} is None else {call.format(local)}", bindings


def _embedded_decoding(
    columns: list[tuple[int, Column]], table: Table, dialect: Dialect, names: dict[str, Any]
) -> str:
    """The expression that builds an embedded value from its columns' cells, or ``None`` when the
    cell of its first required member is NULL."""
    field = columns[0][1].embedded_in
    assert field is not None
    value_class = table.annotation(field)
    names[f"Embedded_{field}"] = next(kind for kind in typing.get_args(value_class) if kind is not type(None))
    members = []
    for index, column in columns:
        members.append(f"{column.member}={_decoding(index, column, dialect, names)}")
    marker = next(index for index, column in columns if column.required_member)
    return f"None if cell_{marker} is None else Embedded_{field}({', '.join(members)})"


def _decoding(index: int, column: Column, dialect: Dialect, names: dict[str, Any]) -> str:
    """The expression that turns the cell ``cell_<index>`` into the field's value."""
    cell = f"cell_{index}"
    if column.enum is not None:
        names[f"enum_{index}"] = column.enum
        call = f"enum_{index}({cell})"
    else:
        decode = None if column.kind is None else dialect.codecs[column.kind].decode
        if decode is None:
            return cell
        names[f"decode_{index}"] = decode
        call = f"decode_{index}({cell})"
    return f"None if {cell} is None else {call}" if column.nullable else call


def row_codec(table: Table, dialect: Dialect) -> RowCodec[Any]:
    """The generated encode/decode pair of ``table`` for ``dialect`` (see the module's docstring)."""
    names: dict[str, Any] = {"Entity": table.entity}
    bindings: list[str] = []
    encoded: list[str] = []
    decoded: list[str] = []
    previous_instant: int | None = None
    group: list[tuple[int, Column]] = []
    for index, column in enumerate(table.columns):
        expression, needed = _encoding(index, column, dialect, names, previous_instant)
        encoded.append(expression)
        bindings += needed
        if not column.nullable and column.kind is Kind.INSTANT and dialect.codecs[Kind.INSTANT].encode:
            previous_instant = index
        if group and column.embedded_in != group[0][1].embedded_in:
            decoded.append(_embedded_decoding(group, table, dialect, names))
            group = []
        if column.embedded_in is not None:
            group.append((index, column))
        elif not column.derived:
            decoded.append(_decoding(index, column, dialect, names))
    if group:
        decoded.append(_embedded_decoding(group, table, dialect, names))
    fields = attrs.fields(table.entity)
    if any(field.kw_only for field in fields):
        arguments = [f"{field.alias}={value}" for field, value in zip(fields, decoded, strict=True)]
    else:
        arguments = decoded  # positional, in field order: the cheapest call
    cells = ", ".join(f"cell_{index}" for index in range(len(table.field_columns)))
    source = "\n".join(
        [
            "def encode(entity):",
            *bindings,
            f"    return ({', '.join(encoded)},)",
            "",
            "def decode(row):",
            f"    {cells}, = row",
            f"    return Entity({', '.join(arguments)})",
            "",
        ]
    )
    filename = f"<hours_sql row codec of {table.name} for {dialect.name}>"
    exec(compile(source, filename, "exec"), names)  # noqa: S102 - source generated above from constants
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return RowCodec(table=table, encode=names["encode"], decode=names["decode"])
