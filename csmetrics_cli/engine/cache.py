"""Memoisation with its scope in the name: per context, per data set and segmentation, or
per data set.

`@per_context` work depends on the periods (movements, cohorts): computed once per Context.
`@per_dataset` work does not (coding the events table, the segments): computed once per
data set and segmentation, so --compare's second context reuses it. `@per_data` work reads
the data set alone (a table's span, the columns --by accepts). The key is the function
itself and its arguments, never a free string.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

if TYPE_CHECKING:
    from csmetrics_cli.contracts.dataset import Dataset
    from csmetrics_cli.engine.context import Context

P = ParamSpec("P")
T = TypeVar("T")


def per_context(fn: Callable[Concatenate[Context, P], T]) -> Callable[Concatenate[Context, P], T]:
    """Compute fn(ctx, *args) once per context."""

    @wraps(fn)
    def cached(ctx: Context, *args: P.args, **kwargs: P.kwargs) -> T:
        key: Any = (fn, args, tuple(sorted(kwargs.items())))
        if key not in ctx.cache:
            ctx.cache[key] = fn(ctx, *args, **kwargs)
        return ctx.cache[key]  # type: ignore[no-any-return]

    return cached


def per_dataset(fn: Callable[Concatenate[Context, P], T]) -> Callable[Concatenate[Context, P], T]:
    """Compute fn(ctx, *args) once per data set and segmentation, whatever the periods."""

    @wraps(fn)
    def cached(ctx: Context, *args: P.args, **kwargs: P.kwargs) -> T:
        key: Any = (fn, ctx.segment_by, args, tuple(sorted(kwargs.items())))
        if key not in ctx.data.cache:
            ctx.data.cache[key] = fn(ctx, *args, **kwargs)
        return ctx.data.cache[key]  # type: ignore[return-value]

    return cached


def per_data(fn: Callable[Concatenate[Dataset, P], T]) -> Callable[Concatenate[Dataset, P], T]:
    """Compute fn(data, *args) once per data set."""

    @wraps(fn)
    def cached(data: Dataset, *args: P.args, **kwargs: P.kwargs) -> T:
        key: Any = (fn, args, tuple(sorted(kwargs.items())))
        if key not in data.cache:
            data.cache[key] = fn(data, *args, **kwargs)
        return data.cache[key]  # type: ignore[return-value]

    return cached
