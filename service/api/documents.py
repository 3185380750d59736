"""Parse and validate each distinct operation text once, in one schema extension.

Front ends send the same few operations over and over. strawberry's ``ParserCache`` and
``ValidationCache`` cache them too, but the validation cache is keyed by the parsed
document, and graphql-core hashes a document by walking the whole tree on every
request; with ``MaxTokensLimiter`` and ``AddValidationRules`` that was five extensions
whose hooks run around every operation. Here the key is the operation text (a string
hashes once), and one extension does the four jobs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import TypeVar

from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

__all__ = ["DocumentCache", "Documents"]

V = TypeVar("V")


class Documents:
    """Parsed documents and their validation errors by operation text (LRU, bounded)."""

    def __init__(
        self, rules: Sequence[type[ASTValidationRule]], max_tokens: int, maxsize: int = 512
    ) -> None:
        self.rules = tuple(rules)
        self.max_tokens = max_tokens
        self.maxsize = maxsize
        self._parsed: OrderedDict[str, DocumentNode] = OrderedDict()
        self._errors: OrderedDict[str, list[GraphQLError]] = OrderedDict()

    def parse(self, text: str) -> DocumentNode:
        """The document of ``text``; a syntax or token-limit error is raised, not cached."""
        document = self._parsed.get(text)
        if document is None:
            try:
                document = parse(text, max_tokens=self.max_tokens)
            except GraphQLError as exc:
                # syntax errors never reach ClientErrors: give them their code here
                exc.extensions = {**(exc.extensions or {}), "code": "GRAPHQL_PARSE_FAILED"}
                raise
            self._remember(self._parsed, text, document)
        else:
            self._parsed.move_to_end(text)
        return document

    def validate(
        self,
        schema: GraphQLSchema,
        text: str,
        document: DocumentNode,
        rules: Sequence[type[ASTValidationRule]],
    ) -> list[GraphQLError]:
        """Validation errors of ``text`` (parsed as ``document``) against one schema."""
        errors = self._errors.get(text)
        if errors is None:
            try:
                errors = validate(schema, document, rules)
            except ValueError:
                # strawberry's depth limiter fails on an operation that selects nothing
                # (``{ }``): a client's mistake, not a 500 (found by tests/api/test_fuzz.py)
                errors = [
                    GraphQLError(
                        "the operation selects no field",
                        extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                    )
                ]
            self._remember(self._errors, text, errors)
        else:
            self._errors.move_to_end(text)
        return errors

    def _remember(self, cache: OrderedDict[str, V], text: str, value: V) -> None:
        cache[text] = value
        if len(cache) > self.maxsize:
            cache.popitem(last=False)


class DocumentCache(SchemaExtension):
    """Token limit, extra validation rules, parse and validation caches, by text.

    One ``Documents`` serves one schema (its rules and token limit are fixed), so the
    text alone keys the validation result.
    """

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, *self.documents.rules)
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = self.documents.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is not None:
            context.pre_execution_errors = self.documents.validate(
                context.schema._schema,
                context.query,
                context.graphql_document,
                context.validation_rules,
            )
        yield
