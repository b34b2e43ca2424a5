"""The page around the charts: its style, the per-family tables and the data-quality summary.

Every piece of text that comes from the data (segments, items, notes, file names, issues) goes
through `escape`; the Content-Security-Policy forbids any request, so a page that slipped a
URL in would still stay offline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import pandas as pd

from csmetrics_cli.metrics.spec import FAMILIES
from csmetrics_cli.render.cells import human, human_change, human_interval, is_null
from csmetrics_cli.render.html.tiles import tone
from csmetrics_cli.render.html.vega import ALL, Chart, Skipped

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MAX_ISSUES = 20
STYLE = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 "Liberation Sans",Arial,Helvetica,sans-serif;color:#24292f;
background:#f6f8fa}
main{max-width:1200px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 12px}
h3{font-size:14px;margin:0 0 8px;color:#24292f}
.meta{color:#57606a;margin:0 0 4px}.warn{color:#9a6700}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;
margin-top:20px}
.tile{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 14px;
color:#3b6fd8;min-height:112px}
.tile .label{color:#57606a;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile .value{color:#24292f;font-size:24px;font-weight:bold;margin:2px 0;white-space:nowrap}
.tile .change{font-size:13px;font-weight:bold}.tile .change span{font-weight:normal;
color:#57606a;font-size:12px}
.good{color:#1a7f37}.bad{color:#cf222e}.flat{color:#57606a}
.note{color:#57606a;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;
grid-auto-flow:dense}
figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px;
overflow-x:auto}
figure.wide{grid-column:1/-1}
figure svg{max-width:100%;height:auto;display:block}
.skipped{color:#57606a;margin:4px 0}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d0d7de;border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 10px;border-bottom:1px solid #eaeef2;text-align:right;white-space:nowrap;
vertical-align:top}
th{background:#f6f8fa;font-weight:bold;position:sticky;top:0}
th:first-child,td:first-child,td.text{text-align:left}
td .chg,td .note,td .ci{display:block;font-size:11px}
td .ci{color:#57606a}
td .note{white-space:normal;max-width:260px;margin-left:auto}
td .txt{display:block;white-space:normal;text-align:left;min-width:8em;max-width:340px}
tr:last-child td{border-bottom:none}
"""


def document(title: str, body: str) -> bytes:
    """A whole page: no script, no external resource, and a policy that forbids them."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    ).encode()


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], table_id: str = "") -> str:
    """An HTML table of cells that are already HTML (escape them before)."""
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    ident = f' id="{table_id}"' if table_id else ""
    return (
        f'<div class="scroll"><table{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def charts_section(charts: Sequence[Chart | Skipped], note: str = "") -> str:
    figures, skipped = [], []
    for chart in charts:
        if isinstance(chart, Skipped):
            skipped.append(
                f'<p class="skipped">{escape(chart.title)}: not drawn, {escape(chart.reason)}.</p>'
            )
            continue
        wide = " wide" if chart.wide else ""
        figures.append(
            f'<figure class="chart{wide}" id="chart-{chart.id}">'
            f"<h3>{escape(chart.title)}</h3>{chart.svg}</figure>"
        )
    lead = f'<p class="note">{escape(note)}</p>' if note else ""
    return (
        f'<section id="charts"><h2>Charts</h2>{lead}<div class="charts">{"".join(figures)}'
        f"</div>{''.join(skipped)}</section>"
    )


def _cell(
    value: object,
    unit: str,
    note: object,
    change: object,
    previous: object,
    metric: str,
    currency: str,
    interval: tuple[object, object] = (None, None),
) -> str:
    text = escape(human(value, unit, currency))
    span = human_interval(*interval, unit)
    if span:
        text += f'<span class="ci" title="95% confidence interval">95% CI {escape(span)}</span>'
    if change is not None and not is_null(change):
        delta = human_change(change, unit, currency) or "0"
        was = escape(human(previous, unit, currency))
        text += f'<span class="chg {tone(metric, change)}">{escape(delta)} (was {was})</span>'
    if not is_null(note):
        text += f'<span class="note">{escape(str(note))}</span>'
    return text


def family_tables(frame: pd.DataFrame, periods: Sequence[str], currency: str) -> str:
    """One table per family: metrics (and items) as rows, periods (x segments) as columns;
    a rate's cell carries its 95% interval under the value."""
    segments = list(dict.fromkeys(None if is_null(s) else str(s) for s in frame["segment"]))
    segmented = segments != [None]
    columns = [(p, s) for p in periods for s in segments]

    def header(p: str, s: str | None) -> str:
        seg = escape(ALL if s is None else s)
        return f"{escape(p)}<br>{seg}" if segmented else escape(p)

    compare = "change" in frame.columns
    out = []
    for family, rows in frame.groupby("family", sort=False):
        cells: dict[tuple[str, object, str, str | None], str] = {}
        names: dict[tuple[str, object], str] = {}
        for r in rows.itertuples(index=False):
            item = None if is_null(r.item) else str(r.item)
            segment = None if is_null(r.segment) else str(r.segment)
            names[(r.metric, item)] = str(r.name) + (f": {item}" if item else "")
            cells[(r.metric, item, r.period, segment)] = _cell(
                r.value,
                r.unit,
                r.note,
                getattr(r, "change", None) if compare else None,
                getattr(r, "previous", None),
                r.metric,
                currency,
                (r.ci_low, r.ci_high),
            )
        body = [
            [escape(name)] + [cells.get((m, i, p, s), "") for p, s in columns]
            for (m, i), name in names.items()
        ]
        title = FAMILIES[str(family)].title if family in FAMILIES else str(family)
        out.append(
            f"<h3>{escape(title)}</h3>"
            + table(
                ["Metric", *(header(p, s) for p, s in columns)],
                body,
                f"table-{escape(str(family))}",
            )
        )
    return '<section id="tables"><h2>Metrics</h2>' + "".join(out) + "</section>"


def quality(summary: dict[str, Any], warnings: Sequence[str]) -> str:
    """Rows read, used and excluded per table; skipped tables; issues; warnings."""
    rows = [
        [
            escape(str(t["table"])),
            f'<span class="text">{escape(str(t["file"]))}</span>',
            f"{t['rows_read']:,}",
            f"{t['rows_used']:,}",
            f"{t['rows_excluded']:,}",
        ]
        for t in summary.get("tables", [])
    ]
    parts = ['<section id="quality"><h2>Data quality</h2>']
    parts.append(
        table(["Table", "File", "Rows read", "Rows used", "Rows excluded"], rows, "table-quality")
    )
    for name, why in summary.get("unusable_tables", {}).items():
        parts.append(f'<p class="warn">{escape(str(name))} skipped: {escape(str(why))}</p>')
    issues = summary.get("issues", [])
    if issues:
        counts = Counter((str(i.get("table")), str(i.get("code"))) for i in issues)
        listed = ", ".join(f"{escape(c)} in {escape(t)}: {n:,}" for (t, c), n in counts.items())
        parts.append(f"<p>{len(issues):,} issues ({listed}).</p>")
        shown = [
            [
                escape(str(i.get("file") or "")),
                escape(str(i.get("row") or "")),
                escape(str(i.get("column") or "")),
                escape(str(i.get("code") or "")),
                escape(str(i.get("message") or "")),
            ]
            for i in issues[:MAX_ISSUES]
        ]
        parts.append(table(["File", "Row", "Column", "Code", "Problem"], shown, "table-issues"))
        if len(issues) > MAX_ISSUES:
            parts.append(
                f'<p class="note">{len(issues) - MAX_ISSUES:,} more: `csm validate`'
                " lists them all.</p>"
            )
    else:
        parts.append('<p class="note">No problems found in the rows read.</p>')
    parts += [f'<p class="warn">Warning: {escape(w)}</p>' for w in warnings]
    return "".join(parts) + "</section>"
