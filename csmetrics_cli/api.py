"""The library behind every command: open the data, then report, explain, health, backtest,
validate or list metrics, each returning a typed result that any renderer can print.

The CLI commands are thin shells over these functions; tests call them directly too. A
result's `to_dict()` is exactly what `--format json` prints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from csmetrics_cli.definitions import Definitions
from csmetrics_cli.metrics.catalog import ALIASES, BY_ID, CATALOG, lookup, select
from csmetrics_cli.metrics.spec import FAMILIES, MetricSpec
from csmetrics_cli.periods import Period
from csmetrics_cli.problems import CsmError, UsageError, closest

if TYPE_CHECKING:  # pandas loads only when data is read: `csm metrics` stays fast
    import pandas as pd

    from csmetrics_cli.contracts.dataset import Dataset, Progress

SAMPLE_DIR = Path("sample_data")


def default_data(data: Path | None, notify: Callable[[str], None]) -> Path:
    """--data, else ./sample_data (saying so), else an error that says what to pass."""
    if data is not None:
        return data
    if SAMPLE_DIR.is_dir():
        notify(f"No --data given: reading ./{SAMPLE_DIR}")
        return SAMPLE_DIR
    raise CsmError(
        "no --data given and there is no ./sample_data here",
        hint="pass --data with a folder of exports or an .xlsx workbook (or run `csm sample`)",
    )


def open_data(
    data: Path,
    config: Path | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    cache: bool = False,
    definitions: dict[str, object] | None = None,
    engine: str = "duckdb",
) -> Dataset:
    """Find the tables and the config for a --data path; tables load when first used; the
    events aggregate on `engine` ("duckdb", or "spark" with the spark extra).

    `definitions` (checked switch values, from --define) override the config's own.
    """
    from csmetrics_cli.config import find_config, load_config
    from csmetrics_cli.contracts.dataset import Dataset

    cfg = load_config(find_config(config, data))
    if encoding:
        cfg = dataclasses.replace(cfg, encoding=encoding)
    if definitions:
        cfg = dataclasses.replace(cfg, definitions={**cfg.definitions, **definitions})
    dataset = Dataset.open(data, cfg, progress)
    dataset.use_cache = cache
    dataset.engine = engine
    return dataset


def select_metrics(family: str | None, ids: list[str] | None) -> list[MetricSpec]:
    """The metrics for --family/--metrics; unknown names are a usage error with a suggestion."""
    if family is not None and family not in FAMILIES:
        raise UsageError(f"unknown family '{family}'", hint=f"one of: {', '.join(FAMILIES)}")
    for metric_id in ids or []:
        if lookup(metric_id) is None:
            close = closest(metric_id, [*BY_ID, *ALIASES])
            hint = f"did you mean '{close}'?" if close else "`csm metrics` lists the ids"
            raise UsageError(f"unknown metric '{metric_id}'", hint=hint)
    specs = select(ids, family)
    if not specs:
        raise UsageError("no metric matches --family and --metrics together")
    return specs


def segment_columns(data: Dataset) -> list[str]:
    """Columns --by accepts: extra customer columns, plan/status/extra columns of
    subscriptions, and the text columns of tickets and surveys (for the metrics that read
    them)."""
    from csmetrics_cli.engine.context import segment_sources

    return list(segment_sources(data))


def resolve_segment(data: Dataset, segment_by: str | None) -> str | None:
    """The --by column as the data names it: exact, else the one column equal to it
    ignoring case (`Contract` finds `contract`); anything else is a usage error."""
    if segment_by is None:
        return None
    allowed = segment_columns(data)
    if segment_by in allowed:
        return segment_by
    same = [c for c in allowed if c.casefold() == segment_by.casefold()]
    if len(same) == 1:
        return same[0]
    close = closest(segment_by, allowed)
    hint = (f"did you mean '{close}'? " if close else "") + (
        f"segment columns here: {', '.join(allowed) or 'none'}")  # fmt: skip
    if len(same) > 1:
        hint = f"'{segment_by}' matches {', '.join(same)}: give one exactly"
    raise UsageError(f"cannot segment by '{segment_by}'", hint=hint)


def quality_summary(data: Dataset) -> dict[str, Any]:
    """The data-quality report as plain data: tables with row accounting, and issues, in
    the order of the tables in SPEC section 1 (not the order the metrics read them in)."""
    from csmetrics_cli.contracts.schema import SCHEMAS

    order = list(SCHEMAS)
    reports = sorted(data.reports.values(), key=lambda r: order.index(r.table))
    files = [r.file for r in reports]
    # a file no table was read from (csm.toml, a table that could not be read) first
    issues = sorted(data.issues, key=lambda i: files.index(i.file) if i.file in files else -1)
    return {
        "tables": [
            {
                "table": r.table,
                "file": r.file,
                "rows_read": r.rows_read,
                "rows_used": r.rows_used,
                "rows_excluded": r.rows_excluded,
            }
            for r in reports
        ],
        "unusable_tables": dict(data.unusable),
        "issues": [i.to_dict() for i in issues],
    }


def _day(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def staleness(periods: list[Period], first: date | None, last: date | None) -> list[str]:
    """Warnings for periods that reach past the data's last day or start before its first."""
    if first is None or last is None:
        return []
    warnings = []
    for p in periods:
        if p.end_snapshot > last:
            warnings.append(f"period {p.label} ends {p.end_snapshot} but the data runs only to"
                            f" {last}: later rows may be missing")  # fmt: skip
        if p.start < first:
            warnings.append(f"period {p.label} starts {p.start} but the data starts {first}")
    return warnings


@dataclass(frozen=True)
class ReportResult:
    """The long metric frame for some periods and segments, with what it was computed from."""

    kind: ClassVar[str] = "report"
    frame: pd.DataFrame
    periods: list[str]
    segment_by: str | None
    data: str
    data_quality: dict[str, Any]
    data_through: dict[str, str | None]
    currency: str = ""
    warnings: list[str] = field(default_factory=list)
    previous_periods: list[str] = field(default_factory=list)  # with --compare
    show_ci: bool = False  # the terminal table shows ci_low/ci_high (--ci); files always do
    definitions: Definitions = field(default_factory=Definitions.resolve)

    @property
    def previous_label(self) -> str | None:
        """The period compared with, for a one-period report with --compare."""
        return self.previous_periods[0] if len(self.previous_periods) == 1 else None

    @property
    def title(self) -> str:
        span = (
            self.periods[0] if len(self.periods) == 1 else f"{self.periods[0]}..{self.periods[-1]}"
        )
        return f"csm report {span}" + (f" by {self.segment_by}" if self.segment_by else "")

    def meta(self) -> dict[str, Any]:
        """Everything but the metrics: the JSON metadata and the renderers' captions."""
        return {
            "periods": self.periods,
            "segment_by": self.segment_by,
            "data": self.data,
            "data_through": self.data_through,
            "data_quality": self.data_quality,
            "warnings": self.warnings,
            "previous_periods": self.previous_periods,
            "intervals": interval_method(list(dict.fromkeys(self.frame["metric"]))),
            "definitions": self.definitions.to_dict(),
        }

    def to_dict(self) -> dict[str, Any]:
        from csmetrics_cli.render.values import records

        return {"metrics": records(self.frame), **self.meta()}


def interval_method(metric_ids: list[str]) -> dict[str, Any]:
    """How ci_low/ci_high were computed (the metrics' methods), for the report's metadata."""
    from csmetrics_cli.metrics import intervals

    methods = {m: BY_ID[m].interval for m in metric_ids if m in BY_ID and BY_ID[m].interval}
    return {"level": intervals.LEVEL, "small_sample_below": intervals.MIN_SAMPLE,
            "methods": methods,
            "bootstrap": {"replicates": intervals.REPLICATES, "seed": intervals.SEED,
                          "resampled": "customers", "interval": "percentile"}}  # fmt: skip


def report(
    data: Dataset,
    periods: list[Period],
    specs: list[MetricSpec],
    segment_by: str | None = None,
    compare: bool = False,
    show_ci: bool = False,
) -> ReportResult:
    """The KPIs for the periods, overall and per segment, with the previous period if asked."""
    from csmetrics_cli.engine.context import Context
    from csmetrics_cli.engine.span import data_span
    from csmetrics_cli.metrics.compute import compute, with_previous

    segment_by = resolve_segment(data, segment_by)
    ctx = Context(data, periods, segment_by)
    before = [p.previous() for p in periods] if compare else []
    # Made before computing: the days both read are known before the events are aggregated.
    earlier = Context(data, before, segment_by) if compare else None
    frame = compute(ctx, specs)
    if earlier is not None:
        previous = compute(earlier, specs, with_intervals=False)
        frame = with_previous(
            frame, previous, {b.label: p.label for b, p in zip(before, periods, strict=True)}
        )
    data.check_usable()
    first, last = data_span(data, data.reports)
    return ReportResult(
        frame=frame,
        periods=[p.label for p in periods],
        segment_by=segment_by,
        data=str(data.root),
        data_quality=quality_summary(data),
        data_through={"first": _day(first), "last": _day(last)},
        currency=data.config.currency,
        warnings=[*data.warnings, *staleness(periods, first, last)],
        previous_periods=[p.label for p in before],
        show_ci=show_ci,
        definitions=ctx.defs,
    )


@dataclass(frozen=True)
class ExplainResult:
    """A metric's values for a period with the rows behind them."""

    kind: ClassVar[str] = "explain"
    spec: MetricSpec
    values: pd.DataFrame  # the long result rows of this metric
    detail: pd.DataFrame | None  # who is behind the figure, largest first
    segment_by: str | None
    top: int
    bridge: list[Term] = field(default_factory=list)  # the numerator, term by term
    definitions: Definitions = field(default_factory=Definitions.resolve)
    against: Against | None = None  # with --against PROFILE

    def to_dict(self) -> dict[str, Any]:
        from csmetrics_cli.render.values import records, table_records

        s = self.spec
        who = [] if self.detail is None else table_records(self.detail.head(self.top))
        bridge = [{"term": t.measure, "label": t.label, "sign": t.sign, "value": t.value,
                   "customers_total": len(t.customers),
                   "customers": table_records(t.customers.head(self.top))}
                  for t in self.bridge]  # fmt: skip
        out = {"id": s.id, "name": s.name, "family": s.family, "formula": s.formula,
               "unit": s.unit, "inputs": list(s.inputs), "values": records(self.values),
               "bridge": bridge, "customers": who,
               "customers_total": 0 if self.detail is None else len(self.detail),
               "definitions": self.definitions.to_dict()}  # fmt: skip
        if self.against is not None:
            out["against"] = self.against.to_dict()
        return out


@dataclass(frozen=True)
class Against:
    """The metric under another profile's definitions, and the customers it counts
    differently: customer_id (name), here, there (how each side counts it) and why."""

    profile: str
    definitions: Definitions
    switches: dict[str, tuple[Any, Any]]  # switch -> (value here, value under the profile)
    values: pd.DataFrame  # period, segment, item, here, there, difference
    customers: pd.DataFrame  # customer_id, [name,] period, here, there, why
    note: str | None = None  # why no customers are listed, when none can be

    def to_dict(self) -> dict[str, Any]:
        from csmetrics_cli.definitions import show
        from csmetrics_cli.render.values import table_records

        return {"profile": self.profile, "definitions": self.definitions.to_dict(),
                "switches": {k: {"here": show(a), "there": show(b)}
                             for k, (a, b) in self.switches.items()},
                "values": table_records(self.values),
                "customers_total": len(self.customers),
                "customers": table_records(self.customers), "note": self.note}  # fmt: skip


@dataclass(frozen=True)
class Term:
    """One term of a metric's bridge: a signed engine measure and the customers behind it."""

    measure: str
    label: str
    sign: str  # "" for the first term, else "+" or "-"
    value: float | None
    customers: pd.DataFrame  # customer_id, name (when known), m0, m1, amount; largest first


def _named(data: Dataset, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` with the customer's name beside its id, when the customers table has names."""
    customers = data.table("customers")
    if "customer_id" not in rows or customers is None or "name" not in customers:
        return rows
    names = customers.drop_duplicates("customer_id").set_index("customer_id")["name"]
    return rows.assign(name=rows["customer_id"].map(names))[
        ["customer_id", "name", *(c for c in rows.columns if c != "customer_id")]
    ]


def _bridge(ctx: Any, spec: MetricSpec) -> list[Term]:
    """The bridge terms of `spec` for the all-customers row of the context's one period."""
    from csmetrics_cli.engine.context import ALL
    from csmetrics_cli.engine.movements import TERMS, measures, movers
    from csmetrics_cli.render.values import clean

    m = measures(ctx)
    terms = []
    for term in ctx.defs.bridge(spec.id, spec.bridge):
        sign, measure = (term[0], term[1:]) if term[0] in "+-" else ("", term)
        label, flag, amount = TERMS[measure]
        rows = _named(ctx.data, movers(flag, amount, ctx).drop(columns="period"))
        rows = rows.sort_values("amount", ascending=False, key=abs).reset_index(drop=True)
        value = clean(m.loc[(ctx.labels[0], ALL), measure])
        terms.append(Term(measure, label, sign, value, rows))
    return terms


SURVEY_KINDS = {"nps": "nps", "csat": "csat", "ces": "ces"}  # metric id prefix -> survey_type


def _revenue_differences(here: Any, there: Any, profile: str, money: bool) -> pd.DataFrame:
    """Customers whose movement (or, for a `money` metric, snapshot MRR) differs between
    the two contexts."""
    import numpy as np

    from csmetrics_cli.engine.movements import classified

    keys = ["period", "customer_id"]
    both = classified(here).merge(classified(there), on=keys, how="outer",
                                  suffixes=("_here", "_there"))  # fmt: skip
    for side in ("here", "there"):
        both[f"movement_{side}"] = both[f"movement_{side}"].fillna("not paying at either snapshot")
        both[[f"m0_{side}", f"m1_{side}"]] = both[[f"m0_{side}", f"m1_{side}"]].fillna(0.0)
        both[f"joined_and_left_{side}"] = both[f"joined_and_left_{side}"].fillna(False).astype(bool)
    moved = both["movement_here"] != both["movement_there"]
    mrr = ~np.isclose(both["m0_here"], both["m0_there"]) | ~np.isclose(
        both["m1_here"], both["m1_there"]
    )
    rows = both[moved | (mrr & money)].copy()

    def amount(col: str) -> pd.Series:
        return rows[col].round(2).map("{:g}".format).astype(str)

    short = {"joined and left: new and churned": "new and churned",
             "joined and left: neither new nor churned": "neither new nor churned"}  # fmt: skip
    here_, there_ = rows["movement_here"].replace(short), rows["movement_there"].replace(short)
    counted = "counted as " + here_ + " here, " + there_ + f" under {profile}"
    same = rows["movement_here"] == rows["movement_there"]
    counted = counted.where(~same, rows["movement_here"] + f" here and under {profile}")
    joined = rows["joined_and_left_here"] | rows["joined_and_left_there"]
    counted = counted.where(~joined, "joined and left in " + rows["period"] + "; " + counted)
    changed = ~np.isclose(rows["m0_here"], rows["m0_there"]) | ~np.isclose(
        rows["m1_here"], rows["m1_there"]
    )
    detail = ("; MRR at start " + amount("m0_here") + " here vs " + amount("m0_there")
              + ", at end " + amount("m1_here") + " vs " + amount("m1_there"))  # fmt: skip
    rows["why"] = counted + detail.where(changed & money, "")
    rows = rows.rename(columns={"movement_here": "here", "movement_there": "there"})
    rows["mrr_change"] = (rows["m1_here"] - rows["m0_here"]) - (rows["m1_there"] - rows["m0_there"])
    rows = rows.sort_values("mrr_change", key=abs, ascending=False, kind="stable")
    return rows[["customer_id", "period", "here", "there", "why"]].reset_index(drop=True)


def _term_differences(here: Any, there: Any, spec: MetricSpec, profile: str) -> pd.DataFrame:
    """Customers behind a bridge term only one side's definitions add (reactivation MRR in
    NRR): they count in the metric on one side only."""
    import pandas as pd

    from csmetrics_cli.engine.movements import TERMS, movers

    mine, theirs = here.defs.bridge(spec.id, spec.bridge), there.defs.bridge(spec.id, spec.bridge)
    parts = []
    for terms, others, ctx, where in ((mine, theirs, here, "here"),
                                      (theirs, mine, there, f"under {profile}")):  # fmt: skip
        for term in (t for t in terms if t not in others):
            label, flag, amount = TERMS[term.lstrip("+-")]
            rows = movers(flag, amount, ctx)
            counted, other = "in " + label, "not counted"
            money = rows["amount"].round(2).map("{:g}".format).astype(str)
            parts.append(rows[["customer_id", "period"]].assign(
                here=counted if where == "here" else other,
                there=other if where == "here" else counted,
                why=label + " " + money + f" counts in {spec.id} {where} only"))  # fmt: skip
    columns = ["customer_id", "period", "here", "there", "why"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _survey_differences(here: Any, there: Any, kind: str, profile: str) -> pd.DataFrame:
    """Customers with a different number of counted answers under the two contexts."""
    import pandas as pd

    from csmetrics_cli.metrics.satisfaction import answers_per_customer

    a, b = answers_per_customer(here, kind), answers_per_customer(there, kind)
    both = pd.concat([a.rename("here"), b.rename("there")], axis=1).fillna(0).astype(int)
    rows = both[both["here"] != both["there"]].reset_index()
    rows["why"] = (rows["here"].astype(str) + f" {kind} answer(s) counted here, "
                   + rows["there"].astype(str) + f" under {profile}")  # fmt: skip
    rows[["here", "there"]] = rows[["here", "there"]].astype(str) + " answer(s)"
    return rows[["customer_id", "period", "here", "there", "why"]]


def _against(
    ctx: Any, period: Period, spec: MetricSpec, rows: pd.DataFrame, profile: str
) -> Against:
    """The metric under `profile`'s definitions beside the active ones, and who differs."""
    import pandas as pd

    from csmetrics_cli.engine.context import Context
    from csmetrics_cli.metrics.compute import compute

    other = Definitions.of_profile(profile)
    # the user's period: the other side applies its own window to it
    there_ctx = Context(ctx.data, [period], ctx.segment_by, definitions=other)
    there = compute(there_ctx, [spec])
    keys = ["period", "segment", "item"]
    values = (
        rows[[*keys, "value"]]
        .rename(columns={"value": "here"})
        .merge(there[[*keys, "value"]].rename(columns={"value": "there"}), on=keys, how="outer")
    )
    values["difference"] = values["here"] - values["there"]
    switches = {k: (v, other[k]) for k, v in ctx.defs.values.items() if other[k] != v}
    kind = SURVEY_KINDS.get(spec.id.split("_")[0])
    note = None
    customers = pd.DataFrame(columns=["customer_id", "period", "here", "there", "why"])
    if not switches:
        note = f"the active definitions are {profile}'s: nothing differs"
    elif kind is not None and ctx.data.has("surveys"):
        customers = _survey_differences(ctx, there_ctx, kind, profile)
    elif spec.family == "revenue" and ctx.data.has("subscriptions"):
        money = spec.unit == "currency" or "mrr" in f"{spec.numerator}{spec.denominator}"
        customers = pd.concat([_revenue_differences(ctx, there_ctx, profile, money),
                               _term_differences(ctx, there_ctx, spec, profile)],
                              ignore_index=True)  # fmt: skip
    else:
        note = f"{spec.id} is not counted customer by customer: only the values are compared"
    customers = _named(ctx.data, customers)
    return Against(profile, other, switches, values, customers, note)


def explain(
    data: Dataset,
    spec: MetricSpec,
    period: Period,
    segment_by: str | None = None,
    top: int = 15,
    against: str | None = None,
) -> ExplainResult:
    """The metric for one period, and the customers (or answers) behind each figure; with
    `against` (a profile), the metric under that profile's definitions beside it and the
    customers the two count differently."""
    from csmetrics_cli.definitions import PROFILES
    from csmetrics_cli.engine.context import Context
    from csmetrics_cli.metrics.compute import compute, detail_of

    if against is not None and against not in PROFILES:
        close = closest(against, list(PROFILES))
        hint = (f"did you mean '{close}'? " if close else "") + f"one of: {', '.join(PROFILES)}"
        raise UsageError(f"unknown profile '{against}'", hint=hint)

    segment_by = resolve_segment(data, segment_by)
    ctx = Context(data, [period], segment_by)
    rows = compute(ctx, [spec])
    data.check_usable()
    detail = detail_of(ctx, spec) if rows["value"].notna().any() else None
    if detail is not None:
        detail = detail[detail["period"].isin(rows["period"])].drop(columns="period")
        detail = _named(data, detail)
        if "amount" in detail:
            detail = detail.sort_values("amount", ascending=False, key=abs)
        detail = detail.reset_index(drop=True)
    bridge = _bridge(ctx, spec) if spec.bridge and rows["value"].notna().any() else []
    compared = _against(ctx, period, spec, rows, against) if against is not None else None
    return ExplainResult(spec, rows, detail, segment_by, top, bridge, ctx.defs, compared)


@dataclass(frozen=True)
class HealthResult:
    """The at-risk list: customers paying at a snapshot with who owns them, when they renew,
    score and its change, band, what pulls the score down, and the components."""

    kind: ClassVar[str] = "health"
    snapshot: str
    customers: pd.DataFrame  # index customer_id; the LIST_COLUMNS, then the components
    weights: dict[str, float]
    bands: dict[str, float]
    total: int  # customers paying at the snapshot, before any filter
    band_counts: dict[str, int]  # every paying customer per band ("unscored" for None)
    group_by: str | None = None
    shown: int | None = None  # rows a person sees (tables): the lowest scores first
    definitions: Definitions = field(default_factory=Definitions.resolve)

    def to_dict(self) -> dict[str, Any]:
        from csmetrics_cli.health.listing import LIST_COLUMNS
        from csmetrics_cli.health.model import COMPONENTS
        from csmetrics_cli.render.values import clean

        rows = []
        frame = self.customers.rename_axis("customer_id").reset_index()
        for r in frame.to_dict("records"):
            row = {c: clean(r.get(c)) for c in LIST_COLUMNS}
            row["unscored_reason"] = clean(r.get("unscored_reason"))
            row["components"] = {c: clean(r[c]) for c in COMPONENTS}
            rows.append(row)
        return {"snapshot": self.snapshot, "weights": self.weights, "bands": self.bands,
                "paying_customers": self.total, "band_counts": self.band_counts,
                "customers": rows, "definitions": self.definitions.to_dict()}  # fmt: skip


def _need_subscriptions(data: Dataset, command: str) -> None:
    """Health scores the customers paying at a snapshot: without subscriptions there are
    none, so the command fails (exit 1) saying so, rather than printing an empty list."""
    if data.has("subscriptions"):
        return
    why = data.unusable.get("subscriptions")
    raise CsmError(
        f"csm {command} scores the customers paying at a snapshot: it needs the subscriptions"
        " table" + (f" ({why})" if why else ""),
        hint="add subscriptions.csv (or map it under [tables] in csm.toml); `csm report` gives"
        " the metrics the other tables allow",
    )


def health(
    data: Dataset,
    period: Period,
    band: str | None = None,
    top: int = 0,
    where: dict[str, str] | None = None,
    group_by: str | None = None,
) -> HealthResult:
    """Score every customer paying at the period's end snapshot, lowest score first, with
    the change since the previous period's end and what pulls each score down."""
    import numpy as np

    from csmetrics_cli.engine.context import Context
    from csmetrics_cli.health.drivers import drivers
    from csmetrics_cli.health.listing import LIST_COLUMNS, column_of, customer_facts
    from csmetrics_cli.health.model import COMPONENTS, HealthModel, score

    _need_subscriptions(data, "health")
    model = HealthModel.from_config(data.config)
    ctx = Context(data, [period])
    day = np.datetime64(period.end_snapshot, "D")
    frame = score(ctx, day, model)
    before = score(ctx, np.datetime64(period.previous().end_snapshot, "D"), model)
    frame = frame[frame["mrr"] > 0]
    facts = customer_facts(data, frame.index, day)
    frame = facts.join(frame).assign(score_change=frame["score"] - before["score"])
    counts = frame["band"].fillna("unscored").value_counts()
    band_counts = {b: int(counts.get(b, 0)) for b in ("healthy", "needs_attention", "at_risk",
                                                       "unscored")}  # fmt: skip
    total = len(frame)
    if band is not None:
        frame = frame[frame["band"].isna()] if band == "unscored" else frame[frame["band"] == band]
    for column, value in (where or {}).items():
        frame = frame[column_of(data, frame, column).astype(str) == value]
    if group_by is not None:
        frame = frame.assign(**{group_by: column_of(data, frame, group_by)})
    frame = frame.sort_values("score", na_position="first", kind="stable")
    if group_by is not None:
        frame = frame.sort_values(group_by, kind="stable")
    if top:
        frame = frame.head(top) if group_by is None else frame.groupby(group_by).head(top)
    frame = frame.assign(drivers=drivers(frame[list(COMPONENTS)]))
    lead = [group_by] if group_by else []
    order = [
        *lead,
        *LIST_COLUMNS[1:],
        *(c for c in ("unscored_reason",) if c in frame),
        *COMPONENTS,
    ]
    bands = {"healthy": model.healthy, "at_risk": model.at_risk}
    return HealthResult(str(day), frame[order].rename_axis("customer_id"), dict(model.weights),
                        bands, total, band_counts, group_by, definitions=ctx.defs)  # fmt: skip


@dataclass(frozen=True)
class BacktestResult:
    """How each band churned over the months after past snapshots, and the AUC."""

    kind: ClassVar[str] = "backtest"
    bands: list[dict[str, Any]]
    auc: float | None
    horizon_months: int
    observations: int
    snapshots: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def backtest(data: Dataset, periods: list[Period], horizon: int) -> BacktestResult:
    """Score customers at each month end of the periods and follow them `horizon` months."""
    import numpy as np

    from csmetrics_cli.engine.context import Context
    from csmetrics_cli.health.backtest import outcomes, summarise
    from csmetrics_cli.health.model import HealthModel

    _need_subscriptions(data, "backtest")
    days = [np.datetime64(m.end_snapshot, "D") for p in periods for m in p.months()]
    ctx = Context(data, periods)
    body = summarise(outcomes(ctx, days, horizon, HealthModel.from_config(data.config)))
    return BacktestResult(
        bands=body["bands"],  # type: ignore[arg-type]
        auc=body["auc"],  # type: ignore[arg-type]
        horizon_months=horizon,
        observations=body["observations"],  # type: ignore[arg-type]
        snapshots=body["snapshots"],  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class ValidateResult:
    """Every table's row accounting and every issue found."""

    kind: ClassVar[str] = "validate"
    summary: dict[str, Any]
    limit: int = 50

    def to_dict(self) -> dict[str, Any]:
        return self.summary


def validate(data: Dataset, limit: int = 50) -> ValidateResult:
    """Read and check every table found."""
    data.load()
    data.check_usable()
    return ValidateResult(quality_summary(data), limit)


@dataclass(frozen=True)
class CatalogResult:
    """The metric catalog (or one family of it)."""

    kind: ClassVar[str] = "metrics"
    specs: list[MetricSpec]

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": [
            {"id": s.id, "name": s.name, "family": s.family, "unit": s.unit, "kind": s.kind.value,
             "formula": s.formula, "inputs": list(s.inputs), "itemised": s.itemised,
             "numerator": s.numerator, "denominator": s.denominator,
             "depends": list(s.depends), "better": s.better, "interval": s.interval,
             "aliases": sorted(a for a, t in ALIASES.items() if t == s.id)}
            for s in self.specs
        ]}  # fmt: skip


@dataclass(frozen=True)
class CacheResult:
    """What the table cache holds."""

    kind: ClassVar[str] = "cache"
    folder: str
    tables: int
    bytes: int
    removed: int | None = None  # set by `csm cache clear`

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def cache_info(clear: bool = False) -> CacheResult:
    """The cache folder and its size, after removing every entry when `clear`."""
    from csmetrics_cli.contracts import cache

    removed = cache.clear() if clear else None
    files = cache.entries()
    size = sum(p.stat().st_size + p.with_suffix(".json").stat().st_size for p in files
               if p.with_suffix(".json").exists())  # fmt: skip
    return CacheResult(str(cache.cache_dir()), len(files), size, removed)


def metrics(family: str | None = None) -> CatalogResult:
    """The catalog, in report order."""
    return CatalogResult([s for s in CATALOG if family is None or s.family == family])
