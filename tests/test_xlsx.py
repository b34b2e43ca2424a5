"""The XLSX board pack, read back with openpyxl: sheets, Summary KPIs and their formats, native
charts with named series, wide family sheets, Definitions, Data quality, print setup, and no
formula anywhere (hostile text included)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, LineChart
from openpyxl.worksheet.worksheet import Worksheet

from csmetrics_cli.api import report, select_metrics
from csmetrics_cli.cli.app import main
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.metrics.spec import UNITS
from csmetrics_cli.periods import month_range, parse_period
from csmetrics_cli.render import Env
from csmetrics_cli.render.xlsx import cell_value, fit_columns, report_xlsx
from tests.conftest import write_tables
from tests.test_revenue import CUSTOMERS, SUBSCRIPTIONS

ROOT = Path(__file__).parent.parent
# Three promoters, one passive, one detractor in June; one promoter in May.
SURVEYS = """
    response_id,customer_id,survey_type,score,responded_at
    n1,A,nps,10,2024-06-02
    n2,C,nps,9,2024-06-03
    n3,E,nps,9,2024-06-04
    n4,G,nps,8,2024-06-05
    n5,H,nps,3,2024-06-06
    n6,A,nps,10,2024-05-06
"""
FAMILY_SHEETS = ["Revenue and retention", "Onboarding, adoption and usage", "Customer health",
                 "Satisfaction and support"]  # fmt: skip
SHEETS = ["Summary", *FAMILY_SHEETS, "Definitions", "Data quality", "Chart data"]


@pytest.fixture
def june(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "d", customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS,
                        surveys=SURVEYS)  # fmt: skip


def _book(folder: Path, periods: list[str], **kwargs: object) -> Workbook:
    data = Dataset.open(folder, Config())
    spans = month_range(*periods) if len(periods) == 2 else [parse_period(periods[0])]
    result = report(data, spans, select_metrics(None, None), **kwargs)  # type: ignore[arg-type]
    return load_workbook(io.BytesIO(report_xlsx(result, Env())))


def _kpis(ws: Worksheet) -> dict[str, list]:
    """KPI name -> the cells of its row, from the Summary's KPI table."""
    rows = list(ws.iter_rows())
    head = next(i for i, r in enumerate(rows) if r[0].value == "KPI")
    out = {}
    for row in rows[head + 1 :]:
        if row[0].value is None:
            break
        out[row[0].value] = list(row)
    return out


def _text(title) -> str:
    return "".join(r.t for p in title.tx.rich.p for r in (p.r or []))


def _series_names(book: Workbook, chart) -> list[str]:
    names = []
    for s in chart.series:
        sheet, cell = s.tx.strRef.f.rsplit("!", 1)
        names.append(book[sheet.strip("'")][cell.replace("$", "")].value)
    return names


def _charts(book: Workbook) -> dict[str, object]:
    return {_text(c.title): c for ws in book for c in ws._charts}


def _no_formulas(book: Workbook) -> None:
    assert not any(c.data_type == "f" for ws in book for row in ws.iter_rows() for c in row)


def test_sheets_in_reading_order(june):
    assert _book(june, ["2024-06"]).sheetnames == SHEETS


def test_summary_headline_kpis_with_formats_previous_and_change(june):
    book = _book(june, ["2024-06"], compare=True)
    ws = book["Summary"]
    assert ws["A1"].value == "Customer success report: 2024-06"
    captions = [ws.cell(r, 1).value for r in range(2, 5)]
    assert captions[0] == "Period: 2024-06, compared with 2024-05"
    assert captions[1].startswith(f"Data: {june}, data through ")
    kpis = _kpis(ws)
    # CSAT has no responses: a null headline is left out, not shown as an empty row
    assert list(kpis) == ["MRR", "ARR", "Customers at end", "Customer churn rate",
                          "Net revenue retention", "Gross revenue retention",
                          "Net Promoter Score", "Customer health score", "At-risk MRR"]  # fmt: skip
    _, value, previous, change = kpis["MRR"][:4]
    assert (value.value, previous.value) == (960, 1010)  # May: A B G H I J K L, no E yet
    assert value.number_format == UNITS["currency"].excel
    assert change.value == -50 and change.number_format.startswith("+")
    assert change.font.color.rgb.endswith("B42318")  # MRR down is bad: red
    churn = kpis["Customer churn rate"]
    assert churn[1].number_format == UNITS["%"].excel and churn[1].value == pytest.approx(25)
    assert churn[3].number_format.startswith('+0.0" pp"')  # a change of a rate is in points
    nps = kpis["Net Promoter Score"]
    assert nps[1].value == pytest.approx(40) and nps[1].number_format == UNITS["points"].excel
    head = next(r for r in ws.iter_rows(values_only=True) if r[0] == "KPI")
    assert head[:4] == ("KPI", "2024-06", "2024-05", "Change")


def test_summary_notes_why_a_shown_kpi_has_no_value(tmp_path):
    # NPS has a May response but none in June: shown (a value exists) with the reason
    folder = write_tables(tmp_path / "d", customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS,
                          surveys="response_id,customer_id,survey_type,score,responded_at\n"
                          "n1,A,nps,10,2024-05-06\nn2,A,nps,10,2024-06-06\n")  # fmt: skip
    kpis = _kpis(_book(folder, ["2024-05", "2024-06"])["Summary"])
    assert "Net Promoter Score" in kpis
    folder = write_tables(tmp_path / "e", customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS,
                          surveys="response_id,customer_id,survey_type,score,responded_at\n"
                          "n1,A,nps,10,2024-05-06\n")  # fmt: skip
    kpis = _kpis(_book(folder, ["2024-05", "2024-06"])["Summary"])
    row = [c.value for c in kpis["Net Promoter Score"]]
    assert row[1] == 100 and row[2] is None
    assert row[3] == "2024-06: no nps responses in the period"


def test_one_month_has_the_bridge_nps_and_health_charts_with_named_series(june):
    book = _book(june, ["2024-06"])
    summary = book["Summary"]
    charts = _charts(book)
    assert set(charts) == {"MRR movements", "NPS breakdown", "Health bands"}
    assert len(summary._charts) == 3  # all on the Summary, none on the family sheets
    assert not any(book[s]._charts for s in FAMILY_SHEETS)
    bridge, nps, health = charts["MRR movements"], charts["NPS breakdown"], charts["Health bands"]
    assert isinstance(bridge, BarChart) and bridge.grouping == "stacked"
    assert _series_names(book, bridge) == ["New MRR", "Expansion MRR", "Reactivation MRR",
                                           "Contraction MRR", "Churned MRR"]  # fmt: skip
    assert _series_names(book, nps) == ["Promoters (9-10)", "Passives (7-8)",
                                        "Detractors (0-6)"]  # fmt: skip
    assert nps.type == "bar" and len(health.series) == 3
    for chart in charts.values():
        assert _text(chart.x_axis.title) == "Period" and _text(chart.y_axis.title)
        assert chart.legend is not None and chart.anchor._from.row < 66
    data = book["Chart data"]
    rows = {r[0]: r[1:] for r in data.iter_rows(values_only=True) if r[0] == "2024-06"}
    assert len(rows) == 1  # each block has one row per period; the bridge comes first
    bridge_row = next(r for r in data.iter_rows(values_only=True) if r[0] == "2024-06")
    # new C 50 + F 120; expansion G 50; reactivation E 90; contraction H 60; churned B + J
    assert bridge_row[1:6] == (170, 50, 90, -60, -300)
    nps_row = [r for r in data.iter_rows(values_only=True) if r[0] == "2024-06"][1]
    assert nps_row[1:4] == pytest.approx((60, 20, 20))


def test_a_trend_adds_the_mrr_line_beside_the_table(june):
    book = _book(june, ["2024-04", "2024-06"])
    trend = _charts(book)["MRR trend"]
    assert isinstance(trend, LineChart) and _series_names(book, trend) == ["MRR"]
    assert trend.anchor._from.row < 66
    assert len(book["Summary"]._charts) == 4


def test_summary_prints_on_one_landscape_page(june):
    ws = _book(june, ["2024-06"], compare=True)["Summary"]
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    assert ws.page_setup.orientation == "landscape"
    area = ws.print_area.split("!")[-1].replace("$", "")
    last_chart = max(c.anchor.to.col for c in ws._charts)
    assert area.startswith("A1:") and ws[area.split(":")[1]].column >= last_chart


def test_family_sheet_is_wide_with_bold_frozen_filtered_header_and_unit_formats(june):
    ws = _book(june, ["2024-06"], compare=True)["Revenue and retention"]
    head = [c.value for c in ws[1]]
    assert head == ["Metric", "Unit", "2024-06", "95% CI low", "95% CI high", "2024-05",
                    "Change", "Note"]  # fmt: skip
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == f"A1:H{ws.max_row}"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert rows["MRR"][1].value == "currency" and rows["MRR"][2].value == 960
    assert rows["MRR"][2].number_format == UNITS["currency"].excel
    assert rows["Customer churn rate"][2].number_format == UNITS["%"].excel
    churn = [rows["Customer churn rate"][i].value for i in (3, 2, 4)]  # low, value, high
    assert 0 <= churn[0] <= churn[1] <= churn[2] <= 100 and churn[1] == pytest.approx(25.0)
    assert rows["Customer churn rate"][3].number_format == UNITS["%"].excel
    assert rows["MRR"][3].value is None  # no interval on a sum
    assert rows["Customers at end"][6].number_format.startswith("+#,##0;")
    assert rows["Customer acquisition cost"][7].value  # the note says why it is empty


def test_items_are_indented_under_their_metric_on_sample_data():
    book = _book(ROOT / "sample_data", ["2024-06"])
    ws = book["Onboarding, adoption and usage"]
    rows = [r for r in ws.iter_rows(min_row=2)]
    names = [r[0].value for r in rows]
    at = names.index("Feature adoption rate")
    parent, first = rows[at], rows[at + 1]
    assert parent[0].font.bold and parent[2].value is None
    assert first[0].alignment.indent > 0 and isinstance(first[2].value, float)
    assert "go_live" in names and "dashboards" in names


def test_by_and_compare_give_a_column_per_period_segment_and_field():
    book = _book(ROOT / "sample_data", ["2024-05", "2024-06"], segment_by="plan", compare=True)
    ws = book["Revenue and retention"]
    segments = [c.value for c in ws[1] if c.value]
    assert segments == ["All customers", "enterprise", "growth", "pro", "starter"]
    labels = [c.value for c in ws[2]]
    assert labels[:12] == ["Metric", "Unit", "2024-05", "2024-05 95% CI low",
                           "2024-05 95% CI high", "2024-04 (previous)", "2024-05 change",
                           "2024-06", "2024-06 95% CI low", "2024-06 95% CI high",
                           "2024-05 (previous)", "2024-06 change"]  # fmt: skip
    assert len(labels) == 2 + 5 * 2 * 5 + 1 and ws.freeze_panes == "C3"
    assert ws.auto_filter.ref.startswith("A2:")
    mrr = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "MRR")
    assert mrr[11].value == pytest.approx(mrr[7].value - mrr[10].value)
    assert book["Summary"]["A1"].value == "Customer success report: 2024-05 to 2024-06 by plan"


def test_definitions_come_from_the_catalog(june):
    ws = _book(june, ["2024-06"])["Definitions"]
    assert [c.value for c in ws[1]] == ["Id", "Metric", "Family", "Unit", "Better when",
                                        "Formula"]  # fmt: skip
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["mrr"][1:4] == ("MRR", "Revenue & retention", "currency")
    assert rows["customer_churn_rate"][4] == "lower"
    assert all(rows[m][5] == cell_value(BY_ID[m].formula) for m in rows)
    assert ws.freeze_panes == "A2" and ws[1][0].font.bold


def test_data_quality_lists_tables_warnings_and_issues(tmp_path):
    folder = write_tables(tmp_path / "d", subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,10,2024-01-01
        s1,B,10,2024-01-01
        s3,C,10,2024-13-01
    """)  # fmt: skip
    ws = _book(folder, ["2024-06"])["Data quality"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:4] == ("Table", "Rows read", "Rows used", "Rows excluded")
    assert rows[2][:4] == ("subscriptions", 3, 1, 2)
    head = next(i for i, r in enumerate(rows) if r[0] == "File")
    assert rows[head][:5] == ("File", "Row", "Column", "Code", "Message")
    issues = {(r[1], r[2], r[3]) for r in rows[head + 1 :] if r[0]}
    assert issues == {(3, "subscription_id", "duplicate_id"), (4, "start_date", "unparseable_date")}
    assert ws.auto_filter.ref.startswith(f"A{head + 1}:")
    assert any(r[0] and str(r[0]).startswith("period 2024-06 ends") for r in rows)


def test_hostile_segments_and_items_stay_text_everywhere(capsys, tmp_path):
    escaping = ROOT / "tests" / "fixtures" / "hostile" / "escaping"
    target = tmp_path / "r.xlsx"
    code = main(["report", "-d", str(escaping), "--from", "2024-05", "--to", "2024-06",
                 "--by", "segment", "--compare", "-q", "-o", str(target)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    book = load_workbook(target)
    _no_formulas(book)
    texts = {c.value for ws in book for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)}  # fmt: skip
    assert '\'=HYPERLINK("http://e.vil")' in texts and "api\n'-2+3" in texts  # items
    assert "pro\n'@SUM(A1)" in texts  # a segment, in the header over its columns
    lines = [line for t in texts for line in re.split(r"\r\n|\r|\n", t)]
    assert not any(line[:1] in ("=", "+", "-", "@", "\t") for line in lines if line)
    names = [_text(c.title) for ws in book for c in ws._charts]
    assert names and all(n[:1].isalpha() for n in names)


def test_fit_columns_and_cell_value_stay_importable_for_other_sheets():
    book = Workbook()
    ws = book.active
    ws.append([cell_value("=1+2"), 1234567.891])
    fit_columns(ws)
    assert ws["A1"].value == "'=1+2" and ws.column_dimensions["B"].width >= 12
