"""Checking a row's values against a shape (``InputCreate``...) without pydantic, when it
is certain pydantic would accept them, for the same result.

The importer validates three shapes per row; pydantic (and SQLModel around it) costs
more than everything else the row needs. The values a converted row holds already have
their Python types (a str, an aware datetime, an int), so the common case is a handful
of type, length and range checks plus the shape's own validators. ``FastShape`` derives
those checks from the shape's fields at import time and does them; for anything it does
not recognise (an unexpected type, a failed check, a validator that complains) it
declines, and ``validated`` asks pydantic, so every rejection keeps pydantic's own
message. A shape using a feature this module does not know (an alias, a model
validator, a config option, a constraint) is never checked here at all.
"""

import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

import annotated_types as at
from pydantic_core import PydanticUndefined
from sqlmodel import SQLModel
from sqlmodel.main import FieldInfoMetadata

from tracker.shapes import parse

Check = Callable[[Any], Any]
_NO: Any = object()  # a check's answer for "let pydantic decide"
# Lone surrogates: pydantic refuses such a str ("unable to parse raw data as a unicode string").
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONFIG = {"from_attributes", "registry"}  # options that change nothing for a dict (not "table")
_IMMUTABLE = (type(None), bool, int, float, str, Enum)


class Unsupported(Exception):
    """The shape uses something this module does not check: pydantic does it all."""


def _text(x: Any) -> Any:
    if type(x) is not str or not (x.isascii() or _SURROGATE.search(x) is None):
        return _NO
    return x


def _exact(kind: type) -> Check:
    return lambda x: x if type(x) is kind else _NO


def _enum(kind: type[Enum]) -> Check:
    members = {m.value: m for m in kind if type(m.value) is str}

    def check(x: Any) -> Any:
        if type(x) is str:
            return members.get(x, _NO)
        return x if type(x) is kind else _NO

    return check


def _bounded(check: Check, metadata: list[Any]) -> Check:
    """``check`` followed by the field's length and range constraints."""
    sizes: list[int] = [0, sys.maxsize]  # min_length, max_length
    limits: list[Any] = [None, None]  # ge, le
    for m in metadata:
        if isinstance(m, FieldInfoMetadata):
            continue  # SQLAlchemy column options: nothing pydantic checks
        if isinstance(m, at.MinLen):
            sizes[0] = max(sizes[0], m.min_length)
        elif isinstance(m, at.MaxLen):
            sizes[1] = min(sizes[1], m.max_length)
        elif isinstance(m, at.Ge) and limits[0] is None:
            limits[0] = m.ge
        elif isinstance(m, at.Le) and limits[1] is None:
            limits[1] = m.le
        else:
            raise Unsupported(repr(m))
    shortest, longest = sizes
    low, high = limits
    if (low is not None or high is not None) and sizes != [0, sys.maxsize]:
        raise Unsupported("both length and range constraints")
    if low is not None or high is not None:

        def ranged(x: Any) -> Any:
            x = check(x)
            if x is _NO or x is None:  # None: an optional field left empty
                return x
            if (low is not None and not x >= low) or (high is not None and not x <= high):
                return _NO  # (NaN is never in range: pydantic refuses it too)
            return x

        return ranged
    if sizes == [0, sys.maxsize]:
        return check

    def sized(x: Any) -> Any:
        x = check(x)
        if x is _NO or x is None:
            return x
        return x if shortest <= len(x) <= longest else _NO

    return sized


def _check(annotation: Any) -> Check:
    """The check of a value of type ``annotation`` (constraints aside)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1 or len(args) != 2:
            raise Unsupported(repr(annotation))
        inner = _check(rest[0])
        return lambda x: None if x is None else inner(x)
    if origin is list and len(args) == 1:
        item = _check(args[0])

        def each(x: Any) -> Any:
            if type(x) is not list:
                return _NO
            out = []
            for v in x:
                v = item(v)
                if v is _NO:
                    return _NO
                out.append(v)
            return out

        return each
    if origin is dict and len(args) == 2:
        key, value = _check(args[0]), _check(args[1])

        def pairs(x: Any) -> Any:
            if type(x) is not dict:
                return _NO
            out = {}
            for k, v in x.items():
                k, v = key(k), value(v)
                if k is _NO or v is _NO or k in out:  # two keys pydantic would make one
                    return _NO
                out[k] = v
            return out

        return pairs
    if origin is not None:
        raise Unsupported(repr(annotation))
    if annotation is str:
        return _text
    if annotation in (bool, int, float, datetime, date):
        return _exact(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _enum(annotation)
    raise Unsupported(repr(annotation))


def _validators(shape: type[SQLModel]) -> dict[str, Callable[[Any], Any]]:
    """The shape's field validators, when all are plain "after" ones taking the value."""
    decorators = shape.__pydantic_decorators__
    if (decorators.validators or decorators.root_validators or decorators.field_serializers
            or decorators.model_serializers or decorators.model_validators
            or decorators.computed_fields):
        raise Unsupported("validators or serializers other than field validators")
    found: dict[str, Callable[[Any], Any]] = {}
    for dec in decorators.field_validators.values():
        fields = dec.info.fields
        if dec.info.mode != "after" or "*" in fields or any(f in found for f in fields):
            raise Unsupported(f"validator {dec.cls_var_name}")
        params = list(inspect.signature(dec.func).parameters.values())
        if len(params) != 1 or params[0].kind not in (params[0].POSITIONAL_ONLY,
                                                      params[0].POSITIONAL_OR_KEYWORD):
            raise Unsupported(f"validator {dec.cls_var_name}")
        found.update(dict.fromkeys(fields, dec.func))
    return found


def _then(check: Check, validator: Callable[[Any], Any]) -> Check:
    """``check``, then the field's own validator (as pydantic runs an "after" one)."""

    def checked(x: Any) -> Any:
        x = check(x)
        if x is _NO:
            return _NO
        try:
            return validator(x)
        except Exception:  # pydantic runs it again and says what is wrong
            return _NO

    return checked


class FastShape:
    """The checks of one shape; ``check`` returns what ``model_dump()`` of the validated
    shape would (every field, in the shape's order), or None to let pydantic decide."""

    def __init__(self, shape: type[SQLModel]) -> None:
        self.shape = shape
        self.checks: dict[str, Check] = {}  # field -> its check, then its validator
        self.required: frozenset[str] = frozenset()
        self.template: dict[str, Any] = {}  # the defaults, in field order
        self.usable = False
        try:
            self._derive()
        except Unsupported:
            self.checks, self.template = {}, {}
        else:
            self.usable = True

    def _derive(self) -> None:
        shape = self.shape
        if set(shape.model_config) - _CONFIG or getattr(shape, "__pydantic_root_model__", False):
            raise Unsupported("model config")
        if shape.model_post_init is not SQLModel.model_post_init:
            raise Unsupported("model_post_init")
        validators = _validators(shape)
        if set(validators) - set(shape.model_fields):
            raise Unsupported("a validator of an unknown field")
        required = []
        for name, info in shape.model_fields.items():
            if (info.alias or info.validation_alias or info.exclude or info.discriminator
                    or info.validate_default or info.default_factory is not None):
                raise Unsupported(f"field {name}")
            if info.default is PydanticUndefined:
                required.append(name)
            elif not isinstance(info.default, _IMMUTABLE):
                raise Unsupported(f"mutable default of {name}")
            self.template[name] = info.default  # a required one is always overwritten
            check = _bounded(_check(info.annotation), info.metadata)
            after = validators.get(name)
            self.checks[name] = check if after is None else _then(check, after)
        self.required = frozenset(required)

    def check(self, data: dict[str, Any]) -> dict[str, Any] | None:
        if not self.usable or not self.required <= data.keys():
            return None
        out = self.template.copy()
        checks = self.checks
        for name, x in data.items():
            check = checks.get(name)
            if check is None:
                continue  # not a field: pydantic ignores it too
            x = check(x)
            if x is _NO:
                return None
            out[name] = x
        return out


_FAST: dict[type, FastShape] = {}


def validated(shape: type[SQLModel], data: dict[str, Any]) -> dict[str, Any]:
    """``parse(shape, data).model_dump()``: the same values, or the same ValidationError."""
    fast = _FAST.get(shape)
    if fast is None:
        fast = _FAST[shape] = FastShape(shape)
    out = fast.check(data)
    return out if out is not None else parse(shape, data).model_dump()
