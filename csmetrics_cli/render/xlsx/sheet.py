"""What every sheet of a workbook shares: safe cell values, number formats by unit, the bold
frozen header with an autofilter, fitted columns and print setup."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from csmetrics_cli.metrics.spec import UNITS
from csmetrics_cli.render.cells import is_null, sheet_text

FONT = "Calibri"  # a font without a name falls back to a serif in LibreOffice
BOLD = Font(name=FONT, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADER_BORDER = Border(bottom=Side(style="thin", color="7F7F7F"))
GOOD = Font(name=FONT, color="1E7B34")
BAD = Font(name=FONT, color="B42318")
MUTED = Font(name=FONT, italic=True, color="595959")
WRAP = Alignment(wrap_text=True, vertical="top")
LEFT_HEADER = Alignment(wrap_text=True, vertical="bottom")
RIGHT_HEADER = Alignment(wrap_text=True, vertical="bottom", horizontal="right")


def cell_value(value: object) -> object:
    """A value openpyxl writes as data: numbers stay numbers, text can never be a formula."""
    if is_null(value):
        return None
    if isinstance(value, str):
        return sheet_text(value)
    return value.item() if hasattr(value, "item") else value


def _shown_width(value: object) -> int:
    """About how many characters a cell shows: numbers with separators and 2 decimals."""
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        return len(f"{abs(value):,.0f}") + 6  # sign, decimals, a unit suffix
    return max((len(line) for line in str(value).splitlines()), default=0)


def fit_columns(ws: Worksheet, min_row: int = 1, widest: int = 60) -> None:
    """Column widths from the first 200 rows from `min_row` (at least 8, at most `widest`)."""
    last = min(ws.max_row, min_row + 199)
    for i, column in enumerate(ws.iter_cols(min_row=min_row, max_row=last), start=1):
        width = max((_shown_width(c.value) for c in column if c.value is not None), default=6)
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), widest)


def number_format(unit: str, currency: str = "") -> str:
    """The Excel number format of a unit (UNITS), with the currency symbol when configured."""
    fmt = UNITS[unit].excel if unit in UNITS else "General"
    symbol = currency.replace('"', "").replace("\\", "")
    return f'"{symbol}"{fmt}' if unit == "currency" and symbol else fmt


def change_format(unit: str, currency: str = "") -> str:
    """A signed format for a change: +1,234.00 / -5.0 pp (a change of a % is in points)."""
    fmt = '0.0" pp"' if unit == "%" else number_format(unit, currency)
    return f"+{fmt};-{fmt};{fmt}"


def change_font(change: object, better: str | None) -> Font | None:
    """Green when the change is an improvement, red when it is not (None: no direction)."""
    if is_null(change) or change == 0 or better is None:
        return None
    improved = (float(change) > 0) == (better == "up")  # type: ignore[arg-type]
    return GOOD if improved else BAD


def header(ws: Worksheet, row: int, labels: Sequence[object], numbers: range = range(0)) -> None:
    """A bold, shaded header row (text through cell_value: segments are data); the labels
    of the `numbers` columns (1-based) are right-aligned over their numbers."""
    for i, label in enumerate(labels, start=1):
        cell = ws.cell(row, i, cell_value(label))
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, HEADER_BORDER
        cell.alignment = RIGHT_HEADER if i in numbers else LEFT_HEADER


def table_sheet(ws: Worksheet, header_row: int, freeze: str | None = None) -> None:
    """Freeze above the body, filter on the header row, fit the columns, print to width."""
    ws.freeze_panes = freeze or f"A{header_row + 1}"
    last = get_column_letter(max(ws.max_column, 1))
    ws.auto_filter.ref = f"A{header_row}:{last}{max(ws.max_row, header_row)}"
    fit_columns(ws, min_row=header_row)
    ws.print_title_rows = f"1:{header_row}"
    print_to_width(ws, landscape=ws.max_column > 6)


def print_to_width(ws: Worksheet, landscape: bool, pages_high: int = 0) -> None:
    """Print on pages one sheet wide (and `pages_high` high; 0 = as many as needed)."""
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_high
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
