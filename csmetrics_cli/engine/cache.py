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
S = TypeVar("S")  # what the work is done for: a Context or a Dataset
# Where a result is kept for an S, and what besides the arguments its key holds.
Scope = Callable[[S], tuple[dict[Any, Any], tuple[Any, ...]]]


def _memoised(
    fn: Callable[Concatenate[S, P], T], scope: Scope[S]
) -> Callable[Concatenate[S, P], T]:
    """fn computed once per key: fn itself, the scope's part, and the arguments."""

    @wraps(fn)
    def cached(owner: S, *args: P.args, **kwargs: P.kwargs) -> T:
        store, part = scope(owner)
        key = (fn, *part, args, tuple(sorted(kwargs.items())))
        if key not in store:
            store[key] = fn(owner, *args, **kwargs)
        return store[key]  # type: ignore[no-any-return]

    return cached


def per_context(fn: Callable[Concatenate[Context, P], T]) -> Callable[Concatenate[Context, P], T]:
    """Compute fn(ctx, *args) once per context."""
    return _memoised(fn, lambda ctx: (ctx.cache, ()))


def per_dataset(fn: Callable[Concatenate[Context, P], T]) -> Callable[Concatenate[Context, P], T]:
    """Compute fn(ctx, *args) once per data set and segmentation, whatever the periods."""
    return _memoised(fn, lambda ctx: (ctx.data.cache, (ctx.segment_by,)))


def per_data(fn: Callable[Concatenate[Dataset, P], T]) -> Callable[Concatenate[Dataset, P], T]:
    """Compute fn(data, *args) once per data set."""
    return _memoised(fn, lambda data: (data.cache, ()))
