"""What one request may ask of the server: the limits that keep abuse cheap to refuse."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    parse,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from projections.queries import BadArgument

MAX_TOKENS = 2_000  # GraphiQL's introspection query is about 500
MAX_ALIASES = 30
# The deepest query the contract allows (connection > edges > node > items > field) is 5;
# introspection fields are not counted, so GraphiQL's introspection always passes.
MAX_DEPTH = 8
# Fields once every fragment spread is expanded: a few spreads of spreads would otherwise
# ask for millions. GraphiQL's introspection query expands to about 200.
MAX_FIELDS = 2_000
MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
CACHED_DOCUMENTS = 1_000  # parsed and validated documents kept, least recently used dropped
MAX_BODY_BYTES = 256 * 1024


def is_clients_mistake(error: GraphQLError) -> bool:
    """Errors the client caused and may read: syntax, validation, a value a scalar refused,
    an argument a resolver refused (BadArgument), STALE_VIEW. Anything else a resolver raised
    is ours, however it is spelt (a codec's ValueError, say), and is masked."""
    cause = error.original_error
    if cause is None or isinstance(cause, GraphQLError | BadArgument):
        return True
    return error.path is None and isinstance(cause, ValueError)  # a scalar's parser refused


@dataclass(frozen=True)
class _Cost:
    depth: int = 0  # introspection fields (`__schema`, ...) are not counted, as GraphiQL needs them
    aliases: int = 0
    fields: int = 0

    def __add__(self, other: _Cost) -> _Cost:
        return _Cost(
            max(self.depth, other.depth), self.aliases + other.aliases, self.fields + other.fields
        )


class OperationCost(ValidationRule):
    """Refuses operations too deep, with too many aliases, or too many fields once expanded.

    Each fragment is measured once, so the check takes time linear in the document's size
    however its spreads multiply. Built once, so validation results can be cached.
    """

    def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
        fragments = {
            d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
        }
        measured: dict[str, _Cost] = {}
        for definition in node.definitions:
            if isinstance(definition, OperationDefinitionNode):
                cost = _measure(definition.selection_set, fragments, measured, set())
                for problem in _over_limits(cost):
                    self.report_error(GraphQLError(problem, [definition]))
        return self.SKIP


def _measure(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    measured: dict[str, _Cost],
    visiting: set[str],
) -> _Cost:
    total = _Cost()
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            inner = _measure(selection.selection_set, fragments, measured, visiting)
            own = 0 if selection.name.value.startswith("__") or not selection.selection_set else 1
            total += _Cost(
                depth=own + inner.depth if own else 0,
                aliases=inner.aliases + (selection.alias is not None),
                fields=inner.fields + 1,
            )
        elif isinstance(selection, InlineFragmentNode):
            total += _measure(selection.selection_set, fragments, measured, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            total += _fragment(selection.name.value, fragments, measured, visiting)
    return total


def _fragment(
    name: str,
    fragments: dict[str, FragmentDefinitionNode],
    measured: dict[str, _Cost],
    visiting: set[str],
) -> _Cost:
    if name not in measured:
        if name in visiting or name not in fragments:  # cycles and unknowns: other rules say so
            return _Cost()
        visiting.add(name)
        measured[name] = _measure(fragments[name].selection_set, fragments, measured, visiting)
        visiting.discard(name)
    return measured[name]


def _over_limits(cost: _Cost) -> list[str]:
    problems = []
    if cost.depth > MAX_DEPTH:
        problems.append(f"the operation exceeds the maximum depth of {MAX_DEPTH}")
    if cost.aliases > MAX_ALIASES:
        problems.append(f"the operation has more than {MAX_ALIASES} aliases")
    if cost.fields > MAX_FIELDS:
        problems.append(f"the operation asks for more than {MAX_FIELDS} fields, spreads expanded")
    return problems


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _parse(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)


Rules = tuple[type[ASTValidationRule], ...]


def _validate(schema: GraphQLSchema, document: DocumentNode, rules: Rules) -> list[GraphQLError]:
    errors = validate_document(schema, document, (*rules, OperationCost))
    return [_in_a_clients_words(error) for error in errors]


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _validate_text(schema: GraphQLSchema, query: str, rules: Rules) -> list[GraphQLError]:
    """The errors of the document parsed from `query`, cached by the text: Python keeps a
    string's hash, whereas a document's is worked out anew over its whole tree on every
    lookup (2% of createOrder's time over HTTP)."""
    return _validate(schema, _parse(query), rules)


_validate_document = lru_cache(maxsize=CACHED_DOCUMENTS)(_validate)


def _in_a_clients_words(error: GraphQLError) -> GraphQLError:
    """An Int literal of thousands of digits fails in Python's int() with advice for Python
    programmers (sys.set_int_max_str_digits); say what is wrong instead."""
    if isinstance(error.original_error, ValueError) and any(
        isinstance(node, IntValueNode) for node in error.nodes or ()
    ):
        return GraphQLError(
            f"Int cannot represent this value: the largest Int is {2**31 - 1}", error.nodes
        )
    return error


class KnownDocuments(SchemaExtension):
    """Parses (at most MAX_TOKENS tokens) and validates (OperationCost included) each
    document once: a repeated one is neither parsed nor validated again.

    One extension for what strawberry's MaxTokensLimiter, ParserCache, AddValidationRules
    and ValidationCache do apart: each extension costs every request its hooks.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = _parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, schema = context.graphql_document, context.schema._schema
        assert document is not None
        if context.query is not None and document is _parse(context.query):
            errors = _validate_text(schema, context.query, context.validation_rules)
        else:
            errors = _validate_document(schema, document, context.validation_rules)
        context.pre_execution_errors = errors
        yield


class BodySizeLimit:
    """Refuses (413) a request body over `limit` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"errors":[{{"message":"the request body is over {limit} bytes"}}]}}'.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
