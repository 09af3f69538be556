"""The mutations' arguments, converted once per field (schema/direct_arguments.py), come out
exactly as strawberry's own conversion makes them, for every mutation and every shape of
input: all fields given, only the required ones, and every nullable one given as null."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from strawberry.types.arguments import convert_arguments

from schema import direct_arguments
from schema.app import schema
from schema.direct_arguments import arguments_converter

MUTATION = schema.get_type_by_name("Mutation")
FIELDS = {schema.config.name_converter.get_graphql_name(f): f for f in MUTATION.fields}  # type: ignore[union-attr]
SCALARS = {"String": "text", "ID": "an-id", "Int": 7, "Float": 1.5, "Boolean": True}


def sample(type_: GraphQLInputType, shape: str) -> Any:
    """A value of `type_` as graphql-core hands it to a resolver, in one of three shapes."""
    if isinstance(type_, GraphQLNonNull):
        return sample(type_.of_type, shape)
    if isinstance(type_, GraphQLList):
        return [sample(type_.of_type, shape), sample(type_.of_type, shape)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values.values())).value
    if isinstance(type_, GraphQLScalarType):
        return SCALARS.get(type_.name, "2030-01-01T00:00:00+00:00")
    assert isinstance(type_, GraphQLInputObjectType)
    return shaped({name: field.type for name, field in type_.fields.items()}, shape)


def shaped(types: dict[str, GraphQLInputType], shape: str) -> dict[str, Any]:
    """Values for named fields or arguments: the required ones always; the others all
    given ("full"), left out ("required") or given as null ("nulls")."""
    values: dict[str, Any] = {}
    for name, type_ in types.items():
        if isinstance(type_, GraphQLNonNull) or shape == "full":
            values[name] = sample(type_, shape)
        elif shape == "nulls":
            values[name] = None
    return values


def arguments_of(name: str, shape: str) -> dict[str, Any]:
    field = schema._schema.mutation_type.fields[name]  # type: ignore[union-attr]
    return shaped({name: argument.type for name, argument in field.args.items()}, shape)


def test_the_served_schema_resolves_every_mutation_with_direct_arguments():
    fields = schema._schema.mutation_type.fields.items()  # type: ignore[union-attr]
    ours = direct_arguments.__name__
    served = sorted(name for name, field in fields if field.resolve.__module__ == ours)
    assert served == sorted(FIELDS)


@pytest.mark.parametrize("shape", ["full", "required", "nulls"])
@pytest.mark.parametrize("name", sorted(FIELDS))
def test_arguments_convert_as_strawberry_converts_them(name: str, shape: str):
    given = arguments_of(name, shape)
    field = FIELDS[name]

    ours = arguments_converter(schema, field)(given)
    strawberrys = convert_arguments(
        given,
        field.arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )

    assert ours == strawberrys
    assert [type(v) for v in ours.values()] == [type(v) for v in strawberrys.values()]


def test_a_list_given_is_copied_not_shared():
    # graphql-core hands every request the same default list: changing one must not leak
    field = FIELDS["createOrder"]
    given = arguments_of("createOrder", "full")
    converted = arguments_converter(schema, field)(given)
    assert converted["wait_for"] == given["waitFor"]
    assert converted["wait_for"] is not given["waitFor"]
