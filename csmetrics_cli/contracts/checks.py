"""Turn a raw table of strings into a typed canonical frame plus the issues found on the way.

Every row read ends up either in the returned frame or excluded with at least one Issue,
so `rows_read == len(frame) + rows_excluded` always holds. Checks are vectorised; Python only
loops over the (few) bad rows to build their messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.mapping import Shaped, header_of, shape
from csmetrics_cli.contracts.schema import SCHEMAS, Column, TableSchema
from csmetrics_cli.io.discover import Source
from csmetrics_cli.io.parse import (
    non_finite_numbers,
    normalise_header,
    parse_bools,
    parse_dates,
    parse_numbers,
)
from csmetrics_cli.io.readers import RawTable
from csmetrics_cli.problems import Issue, closest, fatal, make_issue

# Spellings of billing intervals seen in billing exports, mapped onto the canonical ones.
INTERVAL_SYNONYMS = {
    "daily": "day", "days": "day", "weekly": "week", "weeks": "week", "monthly": "month",
    "months": "month", "mo": "month", "quarterly": "quarter", "quarters": "quarter",
    "yearly": "year", "annual": "year", "annually": "year", "years": "year", "yr": "year",
}  # fmt: skip
MONTHS_PER_INTERVAL = {"day": 12 / 365.25, "week": 12 / 52.1775, "month": 1.0, "quarter": 3.0,
                       "year": 12.0}  # fmt: skip
DEFAULT_SCALE = {"nps": 10.0, "csat": 5.0, "ces": 7.0}


@dataclass
class CheckedTable:
    """A validated table: the rows kept, how many were read, and what was found."""

    frame: pd.DataFrame
    rows_read: int
    rows_excluded: int
    issues: list[Issue]


def _arrow(strings: pd.Series | pd.Index) -> pa.Array:
    return pa.array(strings.astype("string[pyarrow]"))


def is_in(values: pd.Series, allowed: pd.Index | Iterable[str]) -> pd.Series:
    """values.isin(allowed) via Arrow's hash lookup (pandas loops in Python on Arrow strings)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # judged once per category
        known = is_in(pd.Series(values.cat.categories), allowed).to_numpy()
        return pd.Series(np.append(known, False)[values.cat.codes.to_numpy()], index=values.index)

    found = pc.is_in(_arrow(values), value_set=_arrow(pd.Index(allowed)))
    return pd.Series(pc.fill_null(found, False).to_numpy(zero_copy_only=False), index=values.index)


def positions_in(index: pd.Index, values: pd.Series | pd.Index) -> np.ndarray:
    """index.get_indexer(values) for text ids (-1 for a blank or absent one; `index`
    distinct) via Arrow's hash lookup: a third of pandas' time on Arrow strings, which it
    turns into Python objects first."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # looked up once per category
        found = positions_in(index, pd.Index(values.cat.categories))
        return np.append(found, -1)[np.asarray(values.cat.codes)]
    found = pc.index_in(_arrow(values), value_set=_arrow(index))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def map_headers(
    raw: RawTable, schema: TableSchema, configured: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Raw header -> canonical name: csm.toml's mapping first, then exact names, then aliases;
    and the copies: canonical name -> header, for a header mapped to several columns.

    `configured` is canonical column -> a header of `raw` (contracts/mapping.py resolves
    csm.toml's values). Other headers keep their normalised name; one that would take a name
    already given to another header (a csm.toml mapping wins over a column already called
    so) becomes `<name> (original)`, an extra column. The names returned are unique.
    """
    by_alias = {alias: c.name for c in schema.columns for alias in c.aliases}
    names = set(schema.column_names)
    mapping: dict[str, str] = {}
    copies: dict[str, str] = {}
    taken: dict[str, str] = {}  # canonical name -> the header that has it
    for canon, header in configured.items():
        if header in mapping:  # one header feeding several canonical columns
            copies[canon] = header
        else:
            mapping[header] = canon
        taken[canon] = header
    # Exact canonical names win over aliases, so `id` + `customer_id` both map sensibly.
    normalised = {h: normalise_header(h) for h in raw.frame.columns if h not in mapping}
    ordered = sorted(normalised, key=lambda h: 0 if normalised[h] in names else 1)
    for header in ordered:
        norm = normalised[header]
        found = norm if norm in names else by_alias.get(norm)
        if found and found not in taken:
            mapping[header] = found
            taken[found] = header
        else:
            mapping[header] = norm
    used = set(taken)
    for header in ordered:
        name = mapping[header]
        if taken.get(name) == header:
            continue
        name = name or header  # a header of symbols only (`#`) keeps its own name
        while name in used:
            name += " (original)"
        mapping[header] = name
        used.add(name)
    return mapping, copies


def _fits(values: pd.Series, column: Column, config: Config, decimal: str) -> bool:
    """True when a sample of the header's values parses as the column's type."""
    sample = values.dropna().head(200)
    if sample.empty:
        return False
    if column.kind in ("date", "timestamp"):
        parsed = parse_dates(sample, date_order=config.date_order or "YMD", tz=config.timezone)
        return not bool(parsed.bad.any())
    if column.kind == "number":
        return not bool(parse_numbers(sample, decimal=decimal)[1].any())
    if column.kind == "bool":
        return not bool(parse_bools(sample)[1].any())
    return True


def canonical_headers(
    source: Source, headers: list[str], config: Config, sample: pd.DataFrame | None = None
) -> dict[str, str]:
    """Canonical column -> the file's header for a table an engine reads without csm's reader,
    through map_headers as check_table maps them; a required column that is neither found
    nor given a csm.toml default is missing_column, its hint judged on `sample` (the first
    rows) when given."""
    cells = pd.DataFrame(columns=headers) if sample is None else sample.astype("str")
    raw = RawTable(source, cells, np.arange(len(cells), dtype=np.int64) + 2)
    schema = SCHEMAS[source.table]
    configured = {
        canon: header
        for canon, value in config.columns.get(source.table, {}).items()
        if (header := header_of(value, headers)) is not None
    }
    mapping, copies = map_headers(raw, schema, configured)
    found = {canon: header for header, canon in mapping.items() if canon in schema.column_names}
    found |= copies
    defaults = config.defaults.get(source.table, {})
    for col in schema.columns:
        if col.required and col.name not in found and col.name not in defaults:
            raise missing_column(raw, schema, col.name, set(found.values()), config)
    return found


def missing_column(
    raw: RawTable, schema: TableSchema, column: str, used: set[str], config: Config
) -> Exception:
    """missing_column, suggesting a header whose meaning fits: one no other column took,
    whose values parse as the column's type, and whose name is like it (else none)."""
    col = schema.column(column)
    free = [str(h) for h in raw.frame.columns if h not in used]
    fitting = [h for h in free if _fits(raw.frame[h], col, config, raw.decimal)]
    by_key = {normalise_header(h): h for h in fitting}
    close = closest(column, by_key, cutoff=0.5)
    hint = f'map it in csm.toml under [columns.{schema.name}] ({column} = "<header>")'
    if close:
        hint = (
            f"did you mean '{by_key[close]}'? add to csm.toml: "
            f'[columns.{schema.name}] {column} = "{by_key[close]}"'
        )
    elif col.kind in _TYPED and fitting:
        kind = {"date": "dates", "timestamp": "dates", "number": "numbers", "bool": "yes/no"}
        shown = ", ".join(f"'{h}'" for h in fitting[:6])
        hint += f"; headers holding {kind[col.kind]}: {shown}"
    return fatal(
        "missing_column", table=schema.name, file=raw.source.label, column=column, hint=hint
    )


class _RowIssues:
    """Collects issues for rows of one table; the rows flagged here are excluded."""

    def __init__(self, raw: RawTable, table: str, labels: dict[str, str] | None = None) -> None:
        self.raw, self.table = raw, table
        self.labels = labels or {}  # canonical column -> the export's header (or expression)
        self.bad = np.zeros(len(raw.frame), dtype=bool)
        self.issues: list[Issue] = []

    def flag(
        self,
        mask: pd.Series | np.ndarray,
        code: str,
        column: str,
        values: pd.Series | None = None,
        detail: object = None,
    ) -> None:
        """Exclude the rows where `mask` is true, with one issue each."""
        where = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(where):
            return
        self.bad[where] = True
        shown = values if values is not None else pd.Series([None] * len(self.bad))
        label = self.labels.get(column, column)
        for i in where:
            value = shown.iloc[i]
            issue = make_issue(
                code,
                table=self.table,
                file=self.raw.source.label,
                row=int(self.raw.rows[i]),
                column=column,
                value=None if pd.isna(value) else value,
                detail=detail if not callable(detail) else detail(i),
            )
            if label != column:  # name the export's own header too
                issue = replace(issue, message=f"{issue.message} (export: {label})")
            self.issues.append(issue)

    def unanswered(self, mask: pd.Series) -> None:
        """Exclude rows without a score as one deliberate `unanswered` issue (not a problem)."""
        where = np.flatnonzero(np.asarray(mask, dtype=bool) & ~self.bad)
        if not len(where):
            return
        self.bad[where] = True
        numbers = self.raw.rows[where]
        shown = ", ".join(str(r) for r in numbers[:5]) + (", ..." if len(where) > 5 else "")
        count = f"{len(where):,} row" + ("s" if len(where) != 1 else "")
        self.issues.append(make_issue("unanswered", table=self.table, file=self.raw.source.label,
                                      value=count, detail=f"rows {shown}"))  # fmt: skip


def _map_values(text: pd.Series, column: Column, table: str, config: Config) -> pd.Series:
    lowered = text.str.strip().str.lower()
    mapping: dict[str, str] = {}
    if column.name == "interval":
        mapping.update(INTERVAL_SYNONYMS)
    for canon, spelled in config.values.get(table, {}).get(column.name, {}).items():
        for s in [spelled] if isinstance(spelled, str) else spelled:
            mapping[str(s).strip().lower()] = canon
    return lowered.replace(mapping) if mapping else lowered


def check_table(
    raw: RawTable,
    config: Config,
    customer_ids: pd.Index | None = None,
    shaped: Shaped | None = None,
) -> CheckedTable:
    """Validate and type one raw table; `customer_ids` checks references when known.

    `shaped` is the table after csm.toml's mapping rules (contracts/mapping.py); without it
    they are applied here. Rows the rules excluded count in rows_read and rows_excluded.
    """
    schema = SCHEMAS[raw.source.table]
    shaped = shaped if shaped is not None else shape(raw, config)
    raw = shaped.raw
    mapping, copies = map_headers(raw, schema, shaped.columns)
    frame = raw.frame.rename(columns=mapping)
    if copies:
        frame = frame.assign(**{canon: raw.frame[header] for canon, header in copies.items()})
    # canonical column -> the export's header (or expression) it came from, for messages
    labels = {mapping[h]: str(h) for h in raw.frame.columns if mapping[h] in schema.column_names}
    labels = {c: h for c, h in (labels | shaped.labels).items() if h != c}
    for column, value in config.defaults.get(schema.name, {}).items():
        if column not in frame.columns:  # e.g. survey_type = "nps" for a one-survey export
            frame[column] = str(value)
    present = set(frame.columns)
    used = {h for h, n in mapping.items() if n in schema.column_names} | set(copies.values())
    for col in schema.columns:
        if col.required and col.name not in present:
            raise missing_column(raw, schema, col.name, used, config)
    if schema.name == "subscriptions" and "mrr" not in present and not {
        "amount", "interval"} <= present:  # fmt: skip
        raise missing_column(raw, schema, "mrr", used, config)
    if schema.name == "costs" and not {"date", "period"} & present:
        raise missing_column(raw, schema, "date", used, config)

    rows = _RowIssues(raw, schema.name, labels)
    frame, blanked = _flag_excel_errors(raw, frame, mapping, schema, rows)
    parsed: dict[str, pd.Series] = {}
    for col in schema.columns:
        if col.name not in present:
            continue
        text = frame[col.name]  # the reader has trimmed cells and made blanks missing
        blank = text.isna() & ~blanked.get(col.name, False)
        if schema.name == "surveys" and col.name == "score":
            rows.unanswered(blank)  # a survey sent but not answered is no response
        elif col.not_blank:
            rows.flag(blank, "missing_value", col.name)
        parsed[col.name] = _parse_column(text, col, schema.name, raw, config, rows)
    # One concat, not a column insert per extra: inserts make wide exports quadratic.
    extras = ~frame.columns.isin(schema.column_names)
    out = pd.concat([pd.DataFrame(parsed, index=frame.index), frame.loc[:, extras]], axis=1)

    _table_rules(out, schema.name, rows, config)
    for col in schema.columns:
        if col.unique and col.name in out:
            _flag_duplicates(out[col.name], col.name, rows)
    if schema.refers_to_customers and customer_ids is not None and "customer_id" in out:
        warning = _unknown_customers(out["customer_id"], customer_ids, rows)
        if warning is not None:
            rows.issues.append(warning)

    kept = out.loc[~rows.bad].reset_index(drop=True) if rows.bad.any() else out
    # Lines the reader could not split (malformed_row) were read and excluded too.
    unsplit = sum(1 for i in raw.issues if i.excluded and i.row is not None)
    return CheckedTable(
        frame=kept,
        rows_read=len(out) + unsplit + shaped.dropped,
        rows_excluded=int(rows.bad.sum()) + unsplit + shaped.dropped,
        issues=[*raw.issues, *shaped.issues, *rows.issues],
    )


# The errors Excel caches in a cell whose formula failed.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                "#GETTING_DATA", "#SPILL!", "#CALC!")  # fmt: skip
_TYPED = ("date", "timestamp", "number", "bool")


def _flag_excel_errors(
    raw: RawTable, frame: pd.DataFrame, mapping: dict[str, str], schema: TableSchema,
    rows: _RowIssues,
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:  # fmt: skip
    """Exclude rows with an Excel error: any workbook error cell, or the error's text in a
    date/number/bool column. There the cell is blanked, so that no other check reports it;
    the blanked cells are returned by column."""
    typed = {c.name for c in schema.columns if c.kind in _TYPED and c.name in frame.columns}
    for header, positions in raw.error_cells.items():
        name = mapping.get(header, header)
        if name not in typed:
            mask = np.zeros(len(frame), dtype=bool)
            mask[positions] = True
            rows.flag(mask, "excel_error", name, frame[name])
    blanked: dict[str, pd.Series] = {}
    for name in sorted(typed, key=schema.column_names.index):
        hit = is_in(frame[name], EXCEL_ERRORS)
        if hit.any():
            rows.flag(hit, "excel_error", name, frame[name])
            frame[name] = frame[name].mask(hit)
            blanked[name] = hit
    return frame, blanked


def _parse_column(
    text: pd.Series, col: Column, table: str, raw: RawTable, config: Config, rows: _RowIssues
) -> pd.Series:
    if col.kind in ("date", "timestamp"):
        parsed = parse_dates(text, date_order=config.date_order, tz=config.timezone)
        if parsed.ambiguous:
            raise fatal("ambiguous_date_order", table=table, file=raw.source.label, column=col.name)
        rows.flag(parsed.bad, "unparseable_date", col.name, text)
        return parsed.values
    if col.kind == "number":
        numbers, bad = parse_numbers(text, decimal=raw.decimal)
        if bad.any():
            infinite = pd.Series(False, index=text.index)
            infinite[bad] = non_finite_numbers(text[bad], decimal=raw.decimal)
            rows.flag(infinite, "non_finite_number", col.name, text)
            bad &= ~infinite
        rows.flag(bad, "unparseable_number", col.name, text)
        if col.non_negative:
            rows.flag((numbers < 0).fillna(False) & ~bad, "negative_amount", col.name, text)
        return numbers
    if col.kind == "bool":
        flags, bad = parse_bools(text)
        rows.flag(bad, "unparseable_bool", col.name, text)
        return flags
    if col.choices:
        mapped = _map_values(text, col, table, config)
        rows.flag(
            mapped.notna() & ~is_in(mapped, col.choices),
            "unknown_value",
            col.name,
            text,
            detail="/".join(col.choices),
        )
        return mapped
    return text


def _unknown_customers(ids: pd.Series, known: pd.Index, rows: _RowIssues) -> Issue | None:
    """One warning for the kept rows whose customer_id is not in the customers table.

    The rows stay (SPEC section 1): exports of different tools rarely agree to the day.
    """
    unknown = ids.notna() & ~is_in(ids, known) & ~rows.bad
    count = int(unknown.sum())
    if not count:
        return None
    distinct = ids[unknown].drop_duplicates()
    sample = ", ".join(str(i) for i in distinct.head(5)) + (", ..." if len(distinct) > 5 else "")
    refer = (
        f"{count:,} rows refer to customer_ids" if count > 1 else "1 row refers to a customer_id"
    )
    return make_issue(
        "unknown_customer",
        table=rows.table,
        file=rows.raw.source.label,
        column="customer_id",
        value=refer,
        detail=sample,
        excluded=False,
    )


def _flag_duplicates(ids: pd.Series, column: str, rows: _RowIssues) -> None:
    """Flag repeated ids among rows still kept; the first kept row wins."""
    kept = ids.where(~rows.bad)
    hashed, blanks = _arrow(kept), kept.isna().sum()
    if len(pc.unique(hashed)) - (blanks > 0) == len(kept) - blanks:
        return  # no id repeats (Arrow's hash): half the time of the factorize below
    # factorize numbers the ids in order of first appearance (-1 for missing), so a row
    # repeats an id exactly when its code is at most the largest code above it.
    codes, _ = pd.factorize(kept)
    above = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    dup = (codes >= 0) & (codes <= above)
    if not dup.any():
        return
    first_row = rows.raw.rows[np.flatnonzero((codes >= 0) & (codes > above))]  # per code
    rows.flag(dup, "duplicate_id", column, ids, detail=lambda i: int(first_row[codes[i]]))


def _table_rules(out: pd.DataFrame, table: str, rows: _RowIssues, config: Config) -> None:
    """Cross-column rules that only make sense for one table."""
    if table == "subscriptions":
        if "end_date" in out:
            rows.flag(
                (out["end_date"] < out["start_date"]).fillna(False),
                "end_before_start",
                "end_date",
                out["end_date"].dt.strftime("%Y-%m-%d"),
            )
        _derive_mrr(out, rows)
    elif table == "tickets" and "resolved_at" in out:
        rows.flag(
            (out["resolved_at"] < out["created_at"]).fillna(False),
            "end_before_start",
            "resolved_at",
            out["resolved_at"].dt.strftime("%Y-%m-%d"),
        )
    elif table == "surveys":
        default_max = out["survey_type"].map(DEFAULT_SCALE).astype("float64")
        scale = out["scale_max"].fillna(default_max) if "scale_max" in out else default_max
        out["scale_max"] = scale.astype("float64")
        rows.flag(
            (out["score"] > scale).fillna(False), "score_out_of_range", "score",
            out["score"], detail=lambda i: scale.iloc[i],
        )  # fmt: skip
    elif table == "costs":
        if "period" in out:
            month = pd.to_datetime(out["period"], format="%Y-%m", errors="coerce")
            rows.flag(
                out["period"].notna() & month.isna(), "unparseable_date", "period", out["period"]
            )
            out["date"] = out["date"].fillna(month) if "date" in out else month
        rows.flag(out["date"].isna() & ~pd.Series(rows.bad), "missing_value", "date")
        out["category"] = out["category"].str.lower()


def _derive_mrr(out: pd.DataFrame, rows: _RowIssues) -> None:
    """mrr = amount x months-per-month of the interval / interval_count, where mrr is blank."""
    mrr = out["mrr"] if "mrr" in out else pd.Series(np.nan, index=out.index, dtype="float64")
    if {"amount", "interval"} <= set(out.columns):
        count = out["interval_count"].fillna(1) if "interval_count" in out else 1.0
        # astype: mapping an empty column gives strings, and a header-only table is valid.
        months = out["interval"].map(MONTHS_PER_INTERVAL).astype("float64")
        per_month = out["amount"] / (months * count)
        mrr = mrr.fillna(per_month.replace([np.inf, -np.inf], np.nan))
    rows.flag(mrr.isna() & ~pd.Series(rows.bad), "missing_value", "mrr")
    out["mrr"] = mrr.astype("float64")
