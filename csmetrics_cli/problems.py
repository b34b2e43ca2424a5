"""The one catalog of data problems: every issue a loader or contract reports has a code here.

Problems are data. Loaders and contracts return `Issue` objects (never raise for a bad row);
only fatal input (a file that cannot be read at all) raises `InputError`, and only the CLI
boundary turns either into messages and exit codes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ProblemType:
    """A kind of problem: stable code, short title, message template and a likely fix."""

    code: str
    title: str
    template: str
    hint: str
    fatal: bool = False


# Row-level problems exclude only the row they are found on; fatal ones block the table.
# Two are warnings that exclude nothing: duplicate_column, and unknown_customer (reported
# once per table with the count and a few ids; the rows are kept).
PROBLEMS: dict[str, ProblemType] = {
    p.code: p
    for p in [
        ProblemType(
            "missing_path",
            "Data path not found",
            "{file} does not exist",
            "pass --data with a folder of exports or an .xlsx workbook",
            fatal=True,
        ),
        ProblemType(
            "missing_table",
            "Required table not found",
            "no '{table}' table in {file}",
            "name the file {table}.csv (or .xlsx/.parquet/.csv.gz), or the sheet '{table}'",
            fatal=True,
        ),
        ProblemType(
            "duplicate_table",
            "Table found twice",
            "'{table}' is provided by more than one file: {detail}",
            "keep one of them and move the other out of the data folder",
            fatal=True,
        ),
        ProblemType(
            "empty_file",
            "Empty file",
            "{file} is empty",
            "export the table again; a header row is needed at least",
            fatal=True,
        ),
        ProblemType(
            "unreadable_file",
            "File is not a readable table",
            "{file} could not be read as a table: {detail}",
            "check that it is a CSV, .csv.gz, .xlsx or .parquet export",
            fatal=True,
        ),
        ProblemType(
            "workbook_too_large",
            "Workbook too large to read safely",
            "{file} is too large to read safely: {detail}",
            "Excel holds at most 32,767 characters in a cell: check the export, or save the "
            "table as CSV",
            fatal=True,
        ),
        ProblemType(
            "bad_encoding",
            "Text encoding not recognised",
            "{file} is not valid {detail}",
            "pass --encoding (for example --encoding cp1252) or set encoding in csm.toml",
            fatal=True,
        ),
        ProblemType(
            "bad_config",
            "Invalid configuration",
            "{file}: {detail}",
            "see the csm.toml section of the README for the accepted keys",
            fatal=True,
        ),
        ProblemType(
            "missing_column",
            "Required column missing",
            "missing column '{column}' in {file}",
            "rename the column or map it in csm.toml under [columns.{table}]",
            fatal=True,
        ),
        ProblemType(
            "duplicate_column",
            "Duplicate column",
            "column '{column}' appears more than once in {file}; the first is used",
            "rename or drop the extra column in the export",
        ),
        ProblemType(
            "malformed_row",
            "Malformed line",
            "line {row} of {file} could not be split into columns: {detail}",
            "check for a stray quote or a wrong delimiter on that line",
        ),
        ProblemType(
            "missing_value",
            "Required value blank",
            "'{column}' is blank",
            "fill the value in the export, or drop the row",
        ),
        ProblemType(
            "unparseable_date",
            "Date not understood",
            "'{value}' in '{column}' is not a date",
            "use YYYY-MM-DD, or set date_order (MDY/DMY) in csm.toml",
        ),
        ProblemType(
            "ambiguous_date_order",
            "Day/month order ambiguous",
            "dates in '{column}' could be month/day or day/month",
            'set date_order = "MDY" or "DMY" in csm.toml',
            fatal=True,
        ),
        ProblemType(
            "unparseable_number",
            "Number not understood",
            "'{value}' in '{column}' is not a number",
            "remove text from the cell; currency symbols and thousands separators are fine",
        ),
        ProblemType(
            "non_finite_number",
            "Number not finite",
            "'{value}' in '{column}' is not a finite number",
            "use an ordinary amount: infinity, NaN and values beyond 1e308 cannot be counted",
        ),
        ProblemType(
            "excel_error",
            "Excel error in a cell",
            "'{column}' holds the Excel error {value}",
            "fix the formula in the workbook (or paste values), then export again",
        ),
        ProblemType(
            "unparseable_bool",
            "Yes/no value not understood",
            "'{value}' in '{column}' is not true/false",
            "use true/false, yes/no or 1/0",
        ),
        ProblemType(
            "negative_amount",
            "Negative amount",
            "'{column}' is negative ({value})",
            "record refunds and credits as separate invoices with status 'refunded'",
        ),
        ProblemType(
            "duplicate_id",
            "Duplicate id",
            "'{column}' {value} already appeared on row {detail}; the first row is kept",
            "remove the duplicate row from the export",
        ),
        ProblemType(
            "end_before_start",
            "End before start",
            "'{column}' ({value}) is before the start date",
            "end_date is the first day without service and must be on or after start_date",
        ),
        ProblemType(
            "unknown_customer",
            "Unknown customers",
            "{value} not in the customers table ({detail})",
            "add the customer to customers, or check the id's spelling and padding",
        ),
        ProblemType(
            "unknown_value",
            "Value not recognised",
            "'{value}' in '{column}' is not one of {detail}",
            "map it in csm.toml under [values.{table}.{column}]",
        ),
        ProblemType(
            "score_out_of_range",
            "Score out of range",
            "score {value} is outside 0..{detail}",
            "check survey_type and scale_max for this response",
        ),
    ]
}


@dataclass(frozen=True)
class Issue:
    """One problem found in the input: where it is, what it is, and how to fix it.

    `row` is the row number as a spreadsheet shows it (header = row 1), or None for
    table- or file-level problems. `excluded` is True when the row was left out.
    """

    code: str
    table: str | None
    file: str | None
    row: int | None
    column: str | None
    message: str
    hint: str
    excluded: bool = True

    @property
    def fatal(self) -> bool:
        return PROBLEMS[self.code].fatal

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_issue(
    code: str,
    *,
    table: str | None = None,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
    detail: object = None,
    hint: str | None = None,
    excluded: bool = True,
) -> Issue:
    """Build an Issue from the catalog's template for `code`."""
    kind = PROBLEMS[code]
    fields = {
        "table": table or "",
        "file": file or table or "",
        "row": row,
        "column": column or "",
        "value": value,
        "detail": detail,
    }
    return Issue(
        code=code,
        table=table,
        file=file,
        row=row,
        column=column,
        message=kind.template.format(**fields),
        hint=hint if hint is not None else kind.hint.format(**fields),
        excluded=excluded,
    )


class CsmError(Exception):
    """An error that stops the command; the CLI prints it and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InputError(CsmError):
    """Fatal input problem (exit 1), carrying the catalogued issue."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message, issue.hint)
        self.issue = issue


class UsageError(CsmError):
    """The command line asks for something impossible (exit 2)."""

    exit_code = 2


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice most like `word`, for "did you mean" hints (None when nothing is close)."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


def fatal(code: str, **fields: Any) -> InputError:
    """Shorthand: an InputError for a catalogued fatal problem."""
    return InputError(make_issue(code, **fields))
