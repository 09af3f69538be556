"""Arguments converted by converters built once per field, not worked out on every call.

Strawberry turns a field's arguments (graphql-core's dicts) into its input classes on every
call, looking up each type and each name anew: a tenth of createOrder's time over HTTP
(py-spy, GIL samples). Built once from strawberry's own definitions, the same conversion is
a few dict lookups and a constructor call. A field is served this way only where strawberry
would run nothing else between the arguments and its resolver (no field extension, no
permission class, no exception handler, a resolver of its own); any other keeps strawberry's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from inspect import isfunction
from typing import Any, cast

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.relay import GlobalID
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

Convert = Callable[[Any], Any]


class Unsupported(TypeError):
    """A type whose conversion is strawberry's own business (it builds it itself)."""


def serve_with_direct_arguments(schema: strawberry.Schema, type_name: str) -> None:
    """Give each field of `type_name` that qualifies a resolver whose arguments are converted
    by converters built now."""
    graphql_type = schema._schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    for field in getattr(schema.get_type_by_name(type_name), "fields", []):
        if not _qualifies(schema, field):
            continue
        try:
            resolve = _resolver(schema, field)
        except Unsupported:
            continue
        graphql_type.fields[schema.config.name_converter.get_graphql_name(field)].resolve = resolve


def _qualifies(schema: strawberry.Schema, field: StrawberryField) -> bool:
    return (
        field.base_resolver is not None
        and field.is_async
        and not field.extensions
        and not field.permission_classes
        and not schema.schema_converter._get_field_exception_handlers(field)
    )


def _resolver(schema: strawberry.Schema, field: StrawberryField) -> Callable[..., Any]:
    """What strawberry's resolver does for such a field, its arguments converted directly."""
    resolver = field.base_resolver
    assert resolver is not None
    if (
        resolver.parent_parameter
        or resolver.root_parameter
        or not isfunction(resolver.wrapped_func)
    ):
        raise Unsupported(field.python_name)
    convert = arguments_converter(schema, field)
    call = cast(Callable[..., Any], resolver.wrapped_func)  # a function: not a classmethod
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    info_class: Callable[..., Any] = schema.config.info_class

    async def resolve(source: Any, info: GraphQLResolveInfo[Any], **given: Any) -> Any:
        kwargs = convert(given)
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        return await (call(source, **kwargs) if takes_self else call(**kwargs))

    return resolve


def arguments_converter(
    schema: strawberry.Schema, field: StrawberryField
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """What strawberry's `convert_arguments` makes of a field's arguments, by their Python
    names, decided once."""
    name_of = schema.config.name_converter.from_argument
    arguments = [(name_of(a), a.python_name, converter(schema, a.type)) for a in field.arguments]

    def convert(given: Mapping[str, Any]) -> dict[str, Any]:
        return {
            python_name: to_python(given[graphql_name])
            for graphql_name, python_name, to_python in arguments
            if graphql_name in given
        }

    return convert


def converter(schema: strawberry.Schema, type_: Any) -> Convert:
    """What strawberry's `convert_argument` does to a value of `type_`, decided once."""
    if isinstance(type_, LazyType):
        return converter(schema, type_.resolve_type())
    if isinstance(type_, StrawberryMaybe) or type_ is GlobalID:
        raise Unsupported(type_)
    if isinstance(type_, StrawberryOptional):
        return converter(schema, type_.of_type)  # None is None whatever the type
    if isinstance(type_, StrawberryList):
        item = converter(schema, type_.of_type)
        if item is _same:
            return _copied  # graphql-core hands each request the same default: a copy
        return lambda value: None if value is None else [item(each) for each in value]
    if has_object_definition(type_):
        return _input_converter(schema, type_)
    return _same  # a scalar or an enum: graphql-core has already made it the value


def _input_converter(schema: strawberry.Schema, cls: Any) -> Convert:
    definition = cls.__strawberry_definition__
    if not definition.is_input or definition.from_input is not None:
        raise Unsupported(cls)
    name_of = schema.config.name_converter.from_field
    fields = [
        (name_of(f), f.python_name, converter(schema, f.resolve_type(type_definition=definition)))
        for f in definition.fields
    ]
    # A field without a default is None until given, as strawberry builds inputs
    implicit = {
        f.python_name: None
        for f in definition.fields
        if f.default_value is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }

    def build(value: Any) -> Any:
        if value is None:
            return None
        kwargs = dict(implicit)
        for graphql_name, python_name, to_python in fields:
            if graphql_name in value:
                kwargs[python_name] = to_python(value[graphql_name])
        return cls(**kwargs)

    return build


def _same(value: Any) -> Any:
    return value


def _copied(value: Any) -> Any:
    return None if value is None else list(value)
