"""Shared machinery of the quote schemas: rule-backed fields, configuration, messages.

marshmallow 4 has no ``Schema.context``; the values a validation depends on (the
terms DivideBuy reports as available, today's date, the address history needed)
travel as a :class:`ValidationConfig` given to each schema's constructor, and
:class:`ConfiguredNested` hands its schema's configuration down to the nested
schema it builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load
from marshmallow.types import ErrorMessages

from . import rules
from .history import Today, resolve_today


@dataclass(frozen=True)
class ValidationConfig:
    """What a validation depends on besides the payload."""

    #: months of the terms DivideBuy reports as available for the total; ``None``
    #: when not known (then any positive term passes)
    available_terms: frozenset[int] | None = None
    #: a ``date``, a callable returning one, or ``None`` for today in Europe/London
    today: Today = None
    #: address history needed across the current and previous addresses
    min_history_months: int = rules.DEFAULT_MIN_HISTORY_MONTHS

    def today_date(self) -> date:
        return resolve_today(self.today)


def given(data: Mapping[str, Any], key: str) -> bool:
    """Whether *key* holds a value (not absent, ``None`` or blank text) in raw input."""
    value = data.get(key)
    return value is not None and not (isinstance(value, str) and not value.strip())


def quietly(rule: rules.FieldRule, value: Any, *, today: Today = None) -> Any:
    """*rule*'s normalised *value*, or ``None`` when it is blank or invalid.

    For cross-field rules that must not repeat a field's own error.
    """
    try:
        return rule(value, today=today)
    except ValidationError:
        return None


class RuleField(fields.Field[Any]):
    """A marshmallow field whose checks and messages are a :class:`rules.FieldRule`.

    Required unless the rule is optional; a blank optional value loads as
    ``None`` and is left out of the payload (see :class:`QuoteSchemaBase`).
    """

    def __init__(self, rule: rules.FieldRule, **kwargs: Any) -> None:
        kwargs.setdefault("required", not rule.optional)
        kwargs.setdefault("allow_none", rule.optional)
        messages: ErrorMessages = {
            "required": rule.required_message,
            "null": rule.required_message,
            "validator_failed": rule.required_message,
        }
        super().__init__(error_messages=messages, **kwargs)
        self.rule = rule

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        today = None
        if self.rule.needs_today and isinstance(self.parent, QuoteSchemaBase):
            today = self.parent.rules_config.today
        return self.rule(value, today=today)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class ConfiguredNested(fields.Nested):
    """``Nested`` that builds its schema with the enclosing schema's configuration."""

    def __init__(
        self, nested: type[QuoteSchemaBase], *, required_message: str | None = None, **kwargs: Any
    ) -> None:
        messages: ErrorMessages = {"type": rules.NOT_A_GROUP, "validator_failed": rules.NOT_A_GROUP}
        if required_message is not None:
            messages.update(required=required_message, null=required_message)
        super().__init__(nested, error_messages=messages, **kwargs)
        self._schema_class = nested

    @property
    def schema(self) -> Schema:
        if not self._schema:
            owner: Any = self.parent
            while owner is not None and not isinstance(owner, Schema):
                owner = getattr(owner, "parent", None)
            config = (
                owner.rules_config if isinstance(owner, QuoteSchemaBase) else ValidationConfig()
            )
            self._schema = self._schema_class(config=config)
        return self._schema


def nested_list(nested: type[QuoteSchemaBase], *, required_message: str) -> fields.List[Any]:
    """An optional list of *nested* objects; ``None`` loads as absent."""
    return fields.List(
        ConfiguredNested(nested),
        allow_none=True,
        error_messages={
            "invalid": rules.NOT_A_LIST,
            "required": required_message,
            "null": required_message,
            "validator_failed": rules.NOT_A_LIST,
        },
    )


class QuoteSchemaBase(Schema):
    """Base of every quote schema: shopper-facing schema messages, unknown fields refused.

    An unknown field is an error (``RAISE``), not silently dropped: a misspelt
    field name would otherwise vanish here and DivideBuy would reject the quote
    for the missing field.
    """

    # marshmallow's Schema declares error_messages as an instance attribute whose class-level
    # default each subclass overrides, so it cannot be a ClassVar here
    error_messages: dict[str, str] = {  # noqa: RUF012
        "unknown": rules.UNKNOWN_FIELD,
        "type": rules.NOT_A_GROUP,
    }

    class Meta:
        unknown = RAISE

    def __init__(self, *, config: ValidationConfig | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules_config = config or ValidationConfig()

    @post_load
    def _leave_out_blanks(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Blank optional fields are left out of the payload, never sent as null."""
        return {key: value for key, value in data.items() if value is not None}
