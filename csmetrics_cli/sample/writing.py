"""`write_sample`: the tables as canonical CSV files and an Excel workbook, written atomically."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csmetrics_cli.io.writers import write_atomic
from csmetrics_cli.sample.tables import TABLES, generate

EXCEL_MAX_ROWS = 1_048_576  # rows in a sheet, header included
CSV_CHUNK_ROWS = 500_000


def write_sample(
    out_dir: Path,
    *,
    customers: int = 1500,
    seed: int = 7,
    workbook: bool = False,
    on_table: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write each table as <table>.csv (events.csv.gz) and optionally excel/csm_sample.xlsx.

    on_table gets each table name as its CSV is written, then "excel/<table>" per sheet.
    """
    tables = generate(customers=customers, seed=seed)
    if workbook:
        too_long = [name for name, df in tables.items() if len(df) >= EXCEL_MAX_ROWS]
        if too_long:
            raise ValueError(
                f"the {', '.join(too_long)} table has more rows than an Excel sheet holds "
                f"({EXCEL_MAX_ROWS - 1:,}); leave out the workbook or ask for fewer customers"
            )
    out_dir = Path(out_dir)
    paths: list[Path] = []
    for name in TABLES:
        path = out_dir / (f"{name}.csv.gz" if name == "events" else f"{name}.csv")
        _write_csv(path, tables[name], gz=name == "events")
        paths.append(path)
        if on_table is not None:
            on_table(name)
    if workbook:
        path = out_dir / "excel" / "csm_sample.xlsx"
        write_atomic(path, _xlsx_bytes(tables, on_table))
        paths.append(path)
    return paths


def _write_csv(path: Path, df: pd.DataFrame, *, gz: bool = False) -> None:
    """Write a table as canonical CSV (gzip-compressed when asked) through the atomic writer."""
    write_atomic(path, _csv_bytes(df, gz=gz))


def _csv_bytes(df: pd.DataFrame, *, gz: bool) -> bytes:
    """A table's whole CSV file in memory, gzip-compressed chunk by chunk when asked."""
    if not gz:
        return b"".join(_csv_chunks(df))
    # level 9 keeps the default sample small; big samples use 6, several times faster
    level = 9 if len(df) <= 2 * CSV_CHUNK_ROWS else 6
    raw = io.BytesIO()
    # mtime=0 and no file name keep the gzip header identical from run to run
    with gzip.GzipFile("", "wb", level, raw, mtime=0) as packed:
        for part in _csv_chunks(df):
            packed.write(part)
    return raw.getvalue()


def _csv_chunks(df: pd.DataFrame) -> Iterator[bytes]:
    """The CSV bytes of a table, a few hundred thousand rows at a time to bound memory."""
    for first in range(0, max(len(df), 1), CSV_CHUNK_ROWS):
        chunk = df.iloc[first : first + CSV_CHUNK_ROWS]
        yield _csv_text(chunk, header=first == 0).encode("utf-8")


def _csv_text(df: pd.DataFrame, *, header: bool) -> str:
    """CSV in the canonical text form: ISO dates, true/false, empty cells for blanks."""
    cells = {str(name): _csv_cells(str(name), col) for name, col in df.items()}
    needs_quotes = any(
        pc.any(pc.match_substring_regex(values, r'[,"\r\n]')).as_py() for values in cells.values()
    )
    if needs_quotes or not len(df):
        plain = pd.DataFrame(
            {name: values.to_numpy(zero_copy_only=False) for name, values in cells.items()}
        )
        return plain.to_csv(index=False, header=header, lineterminator="\n")
    # nothing to quote: join the cells in Arrow, many times faster than to_csv on big tables
    lines = pc.binary_join_element_wise(*cells.values(), ",")
    body = pc.binary_join(
        pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n"
    )
    return (",".join(cells) + "\n" if header else "") + str(body[0].as_py()) + "\n"


def _csv_cells(name: str, col: pd.Series) -> pa.Array:
    """One column as CSV cell text, blanks as empty strings."""
    if pd.api.types.is_datetime64_any_dtype(col):
        values: npt.NDArray[np.datetime64] = col.to_numpy()
        text = np.datetime_as_string(values, unit="s" if name == "timestamp" else "D")
        text[np.isnat(values)] = ""
        return pa.array(text, pa.string())
    if pd.api.types.is_bool_dtype(col):
        return pa.array(col.map({True: "true", False: "false"}).astype(object).fillna(""))
    if pd.api.types.is_float_dtype(col):
        return pa.array(col.map("{:.2f}".format).astype(object), pa.string())
    return pc.fill_null(pa.array(col).cast(pa.string()), "")


_XLSX_TIME = (1980, 1, 1, 0, 0, 0)
_XLSX_DOC_DATE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms)")


def _xlsx_bytes(
    tables: dict[str, pd.DataFrame], on_table: Callable[[str], None] | None = None
) -> bytes:
    """One sheet per table with real date cells; normalised so the bytes repeat run to run."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    fixed = dt.datetime(2025, 1, 1)
    wb.properties.created = fixed
    wb.properties.creator = "csm sample"
    for name in TABLES:
        df = tables[name]
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        columns = [_excel_values(col) for _, col in df.items()]
        for row in zip(*columns, strict=True):
            cells: list[Any] = list(row)
            for i, value in enumerate(cells):
                if isinstance(value, str) and value[:1] == "=":
                    # a text cell, not a formula: the sample keeps the suspicious name as data
                    cell = WriteOnlyCell(ws, value)
                    cell.data_type = "s"
                    cells[i] = cell
            ws.append(cells)
        if on_table is not None:
            on_table(f"excel/{name}")
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _XLSX_DOC_DATE.sub(rb"\g<1>2025-01-01T00:00:00Z\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=_XLSX_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return out.getvalue()


def _excel_values(col: pd.Series) -> list[Any]:
    """Python values for openpyxl: dates and datetimes, bools, numbers, None for blanks."""
    if pd.api.types.is_datetime64_any_dtype(col):
        unit = "datetime64[s]" if col.name == "timestamp" else "datetime64[D]"
        return list(col.to_numpy().astype(unit).astype(object))
    if pd.api.types.is_bool_dtype(col):
        return [None if v is pd.NA else bool(v) for v in col.astype(object)]
    if pd.api.types.is_numeric_dtype(col):
        return col.tolist()
    return [None if isinstance(v, float) else v for v in col.astype(object)]
