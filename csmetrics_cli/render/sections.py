"""Every result other than the report, as titled sections of rows, in any format.

A result becomes a list of `Section`s (title, lines of context, columns, rows); one generic
renderer per format prints sections: a rich table per section, Markdown tables, one CSV
(of the result's main section) or a workbook with a sheet per section. No pandas here, so
`csm metrics` prints without loading it.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from csmetrics_cli.render import Env
from csmetrics_cli.render.cells import (
    csv_row,
    human,
    human_interval,
    is_null,
    literal_text,
    md_text,
)
from csmetrics_cli.render.values import clean, csv_text


@dataclass(frozen=True)
class Section:
    """One table of a result: `units` says how to show a numeric column to people."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    lines: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    main: bool = False  # the section a CSV carries
    wrap: set[str] = field(default_factory=set)  # text columns that may wrap in a table
    optional: tuple[str, ...] = ()  # columns a narrow table leaves out, in this order


INTERVAL_NAMES = {
    "wilson": "Wilson score",
    "nps": "adjusted Wald (n + 3, 0.75 added to promoters and detractors)",
    "bootstrap": "percentile bootstrap over customers ({replicates:,} replicates, seed {seed})",
}


def _frame_rows(frame: Any) -> tuple[list[str], list[list[Any]]]:
    columns = [str(c) for c in frame.columns]
    return columns, [[clean(v) for v in row] for row in frame.itertuples(index=False)]


def _explain(result: Any) -> list[Section]:
    s = result.spec
    by = result.segment_by
    rows = []
    for r in result.values.itertuples(index=False):
        segment = None if is_null(r.segment) else f"{by}={r.segment}"
        rows.append([r.period, segment, clean(r.item), clean(r.value),
                     human_interval(r.ci_low, r.ci_high, s.unit) or None, clean(r.numerator),
                     clean(r.denominator), r.note])  # fmt: skip
    lines = [f"formula: {s.formula}", f"inputs: {', '.join(s.inputs) or '-'}"]
    if s.interval:
        from csmetrics_cli.metrics.intervals import REPLICATES, SEED  # numpy: explain has it

        how = INTERVAL_NAMES[s.interval].format(replicates=REPLICATES, seed=SEED)
        lines.append(f"95% interval: {how}")
    values = Section(
        title=f"{s.name} ({s.id}, {s.family}, {s.unit})",
        columns=[
            "period",
            "segment",
            "item",
            "value",
            "95% CI",
            "numerator",
            "denominator",
            "note",
        ],
        rows=rows,
        lines=[*lines, *([d] if (d := result.definitions.caption()) else [])],
        units={"value": s.unit},
        wrap={"note"},
        optional=("95% CI",) if s.itemised else ("item", "95% CI"),
        main=result.detail is None and result.against is None,
    )
    if result.against is not None:
        return [values, *_against(result)]
    if result.bridge:
        return [values, *_bridge(result)]
    if result.detail is None or not len(result.detail):
        return [values]
    columns, detail_rows = _frame_rows(result.detail.head(result.top))
    total = len(result.detail)
    behind = Section(
        title=f"Behind {s.id} (top {min(result.top, total)} of {total:,})",
        columns=columns,
        rows=detail_rows,
        main=True,
        units={c: "currency" for c in ("m0", "m1", "amount", "mrr")},
        wrap={"name"},
        optional=("name",),  # narrow: the id and every figure before the name
    )
    return [values, behind]


def _against(result: Any) -> list[Section]:
    """The metric here and under the other profile, then the customers counted differently."""
    from csmetrics_cli.definitions import show

    a, by = result.against, result.segment_by
    rows = [[r.period, None if is_null(r.segment) else f"{by}={r.segment}", clean(r.item),
             clean(r.here), clean(r.there), clean(r.difference)]
            for r in a.values.itertuples(index=False)]  # fmt: skip
    switches = [f"{k}: {show(h)} here, {show(t)} under {a.profile}"
                for k, (h, t) in a.switches.items()]  # fmt: skip
    side = Section(title=f"{result.spec.id}: here and under {a.profile}",
                   columns=["period", "segment", "item", "here", a.profile, "difference"],
                   rows=rows, lines=switches or [a.note or ""],
                   units={"here": result.spec.unit, a.profile: result.spec.unit,
                          "difference": result.spec.unit})  # fmt: skip
    columns, shown = _frame_rows(a.customers.head(result.top))
    total = len(a.customers)
    more = [f"and {total - len(shown):,} more"] if total > len(shown) else []
    # Without differing switches the note already stands under the values: once is enough.
    lines = [a.note] if a.note and switches else more
    who = Section(
        title=f"Customers counted differently under {a.profile}: {total:,}",
        columns=columns,
        rows=shown,
        lines=lines,
        main=True,
        wrap={"name", "why"},
    )
    return [side, who]


def _bridge(result: Any) -> list[Section]:
    """The numerator term by term, then the customers behind each term, largest first."""
    unit = "customers" if result.bridge[0].measure.endswith("customers") or (
        result.bridge[0].measure.startswith("customers")) else "currency"  # fmt: skip
    total = sum((-1 if t.sign == "-" else 1) * (t.value or 0) for t in result.bridge)
    rows = [[t.sign or " ", t.label, t.value, len(t.customers)] for t in result.bridge]
    rows.append(["=", "total", clean(total), None])
    out = [Section(title="Bridge, all customers",
                   columns=["", "term", "value", "customers"], rows=rows,
                   units={"value": unit}, main=True)]  # fmt: skip
    for t in result.bridge:
        if not len(t.customers):
            continue
        columns, shown = _frame_rows(t.customers.head(result.top))
        rest = len(t.customers) - len(shown)
        out.append(Section(title=f"{t.sign}{t.label}: {len(t.customers):,} customers",
                           columns=columns, rows=shown,
                           lines=[f"and {rest:,} more"] if rest > 0 else [],
                           units={c: "currency" for c in ("m0", "m1", "amount")}))  # fmt: skip
    return out


def _health(result: Any) -> list[Section]:
    from csmetrics_cli.health.model import COMPONENTS

    total = max(result.total, 1)
    bands = Section(title=f"Health on {result.snapshot}: {result.total:,} paying customers",
                    columns=["band", "customers", "share"],
                    rows=[[band, n, n / total * 100] for band, n in result.band_counts.items()],
                    units={"share": "%"})  # fmt: skip
    frame = result.customers.reset_index()
    columns, rows = _frame_rows(frame)
    what = "lowest scores first" if result.group_by is None else f"by {result.group_by}"
    listed = Section(title=f"{len(rows):,} customers, {what}", columns=columns, rows=rows,
                     units={"mrr": "currency", "score": "score", "score_change": "score"},
                     main=True, wrap={"name", "drivers", "unscored_reason"},
                     optional=(*reversed(COMPONENTS), "unscored_reason", "plan", "renewal_date",
                               "score_change", "owner"))  # fmt: skip
    return [bands, listed]


def _backtest(result: Any) -> list[Section]:
    rows = [[b["band"], b["customers"], b["churned"], clean(b["churn_rate"])] for b in result.bands]
    auc = "AUC: no churners or no stayers" if result.auc is None else f"AUC {result.auc:.3f}"
    return [Section(title=f"Backtest: churn within {result.horizon_months} months by band",
                    columns=["band", "customers", "churned", "churn_rate"], rows=rows,
                    lines=[auc, f"{result.observations:,} observations over"
                           f" {len(result.snapshots)} snapshots"],
                    units={"churn_rate": "%"}, main=True)]  # fmt: skip


def _validate(result: Any) -> list[Section]:
    summary = result.summary
    tables = [[t["table"], t["file"], t["rows_read"], t["rows_used"], t["rows_excluded"]]
              for t in summary["tables"]]  # fmt: skip
    tables += [[name, f"skipped: {why}", None, None, None]
               for name, why in summary["unusable_tables"].items()]  # fmt: skip
    out = [Section("Tables", ["table", "file", "rows_read", "rows_used", "rows_excluded"], tables)]
    issues = summary["issues"]
    counts = Counter((i["table"], i["code"], i["column"]) for i in issues)
    if counts:
        rows = [[table, code, column, n] for (table, code, column), n in counts.most_common()]
        out.append(Section("Problems", ["table", "code", "column", "rows"], rows))
    shown = issues if result.limit == 0 else issues[: result.limit]
    lines = ["No problems found."] if not issues else []
    if len(shown) < len(issues):
        lines = [f"{len(issues) - len(shown):,} more: --limit 0 lists all"]
    out.append(Section("Issues", ["file", "row", "column", "code", "problem", "fix", "excluded"],
                       [[i["file"], i["row"], i["column"], i["code"], i["message"], i["hint"],
                         i["excluded"]] for i in shown], lines=lines, main=True,
                       wrap={"problem", "fix"}, optional=("excluded", "fix", "file")))  # fmt: skip
    return out


def _metrics(result: Any) -> list[Section]:
    rows = [[s.id, s.name, s.family, s.unit, s.kind.value, s.formula, ", ".join(s.inputs)]
            for s in result.specs]  # fmt: skip
    return [Section("csm metrics", ["id", "name", "family", "unit", "kind", "formula", "inputs"],
                    rows, main=True, wrap={"name", "formula", "inputs"},
                    optional=("kind", "inputs", "name", "unit", "family"))]  # fmt: skip


WRAP_MIN = 16  # a wrapping text column is at least this wide


def _cache(result: Any) -> list[Section]:
    rows = [["folder", result.folder], ["tables", result.tables], ["bytes", result.bytes]]
    if result.removed is not None:
        rows.append(["removed", result.removed])
    return [Section("csm cache", ["what", "value"], rows, main=True)]


SECTIONS: dict[str, Callable[[Any], list[Section]]] = {
    "cache": _cache,
    "explain": _explain,
    "health": _health,
    "backtest": _backtest,
    "validate": _validate,
    "metrics": _metrics,
}


def _shown(value: Any, unit: str | None, env: Env) -> str:
    """A cell as people read it: numbers with separators, units where known, '-' for null."""
    if is_null(value):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if unit:
            return human(value, unit, env.currency)
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    return str(value)


def _layout(
    section: Section, texts: list[list[str]], width: int | None, pad: int
) -> tuple[list[int], set[str]]:
    """The column positions to show and the columns that may wrap. Wrapping columns count
    WRAP_MIN wide; optional columns go (in the section's order) until the rest fits; if it
    still does not, every text column may wrap (numbers never do)."""
    keep = list(range(len(section.columns)))
    if width is None:
        return keep, section.wrap

    def need(i: int, wrap: set[str]) -> int:
        natural = max([len(section.columns[i]), *(len(t[i]) for t in texts)])
        return (min(natural, WRAP_MIN) if section.columns[i] in wrap else natural) + pad

    position = {c: i for i, c in enumerate(section.columns)}
    optional = [position[c] for c in section.optional if c in position]
    while sum(need(i, section.wrap) for i in keep) > width and optional:
        keep.remove(optional.pop(0))
    if sum(need(i, section.wrap) for i in keep) <= width:
        return keep, section.wrap
    numeric = _numeric(section)
    return keep, section.wrap | {section.columns[i] for i in keep} - numeric


def _numeric(section: Section) -> set[str]:
    """The columns holding numbers (right-aligned wherever they are shown)."""
    return {c for i, c in enumerate(section.columns)
            if any(isinstance(r[i], int | float) and not isinstance(r[i], bool)
                   for r in section.rows)}  # fmt: skip


def as_table(result: Any, env: Env) -> Any:
    """Rich tables, one per section, laid out to the width: ids and numbers are never cut,
    long text wraps, and optional columns are left out when there is no room."""
    from rich.console import Group

    from csmetrics_cli.render.table import new_table

    parts: list[Any] = []
    pad = 3 if env.boxed else 2
    for section in SECTIONS[result.kind](result):
        numeric = _numeric(section)
        texts = [[_shown(v, section.units.get(c), env) for c, v in
                  zip(section.columns, row, strict=True)] for row in section.rows]  # fmt: skip
        keep, wrap = _layout(section, texts, env.width, pad)
        parts.append(literal_text(section.title, style="bold"))
        table = new_table("", env.boxed)
        for i in keep:
            column = section.columns[i]
            wraps = column in wrap
            longest = max([len(column), *(len(row[i]) for row in texts)])
            table.add_column(literal_text(column), justify="right" if column in numeric else "left",
                             no_wrap=not wraps, overflow="fold" if wraps else "ellipsis",
                             min_width=min(WRAP_MIN, longest) if wraps else None)  # fmt: skip
        for row in texts:
            table.add_row(*(literal_text(row[i]) for i in keep))
        dropped = [section.columns[i] for i in range(len(section.columns)) if i not in keep]
        if section.rows:  # an empty section is its title and its lines
            parts.append(table)
        lines = list(section.lines)
        if dropped:
            lines.append(f"not shown for width: {', '.join(dropped)} (see --format csv)")
        parts += [literal_text(line, style="dim") for line in lines]
    return Group(*parts)


def as_csv(result: Any, env: Env) -> bytes:
    """The result's main section as CSV (raw values, formula-like text escaped)."""
    sections = SECTIONS[result.kind](result)
    section = next((s for s in sections if s.main), sections[-1])
    lines = [csv_row(section.columns)]
    lines += [csv_row(csv_text(v) for v in row) for row in section.rows]
    return "".join(lines).encode("utf-8")


def as_markdown(result: Any, env: Env) -> bytes:
    """A Markdown heading and table per section."""
    lines: list[str] = []
    for section in SECTIONS[result.kind](result):
        lines += [f"## {md_text(section.title)}", ""]
        lines += [md_text(line) + "  " for line in section.lines]
        if section.lines:
            lines.append("")
        if section.columns and section.rows:
            numeric = _numeric(section)
            lines.append("| " + " | ".join(md_text(c) for c in section.columns) + " |")
            lines.append(
                "|" + "".join("---:|" if c in numeric else "---|" for c in section.columns)
            )
            for row in section.rows:
                cells = [_shown(v, section.units.get(c), env)
                         for c, v in zip(section.columns, row, strict=True)]  # fmt: skip
                lines.append("| " + " | ".join(md_text(c) for c in cells) + " |")
            lines.append("")
    return "\n".join(lines).encode("utf-8")


def as_xlsx(result: Any, env: Env) -> bytes:
    """A workbook with one sheet per section, bold frozen headers and autofilter."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from csmetrics_cli.render.xlsx import cell_value, fit_columns

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for section in SECTIONS[result.kind](result):
        ws = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", section.title)[:31])
        ws.append(section.columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            ws.append([cell_value(v) for v in row])
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        fit_columns(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
