"""--format html: a self-contained dashboard. Parsed (never grepped) for tiles and charts,
checked for remote references and escaping, and opened in headless Chromium when it is there."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from csmetrics_cli.api import health, open_data, report, select_metrics
from csmetrics_cli.cli.app import main
from csmetrics_cli.periods import month_range, parse_period
from csmetrics_cli.render import Env, renderer
from tests.conftest import write_tables
from tests.test_revenue import SUBSCRIPTIONS

SAMPLE = Path(__file__).parents[1] / "sample_data"
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = '<script>alert("x")</script>'
ODD = 'R&D "quoted"'
REGIONS = {"B": ODD, "E": ODD, "G": HOSTILE, "J": ODD, "L": ODD}  # the rest are NA
CUSTOMERS = "\n".join(
    ["customer_id,name,plan,region"]
    + [
        f'{c},{c.lower()},{plan},"{REGIONS.get(c, "NA").replace(chr(34), chr(34) * 2)}"'
        for c, plan in zip(
            "ABCDEFGHIJKL", ["starter"] * 4 + ["pro"] * 4 + ["enterprise"] * 4, strict=True
        )
    ]
)
REPORT_CHARTS = {
    "mrr-trend",
    "mrr-bridge",
    "customers",
    "retention",
    "nps",
    "satisfaction",
    "health",
}
TILES = {
    "mrr",
    "arr",
    "customers_end",
    "customer_churn_rate",
    "net_revenue_retention",
    "gross_revenue_retention",
    "nps",
    "csat",
    "customer_health_score",
}


class Page(HTMLParser):
    """What a test reads from a page: tags, tiles, charts, attributes and visible text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()
        self.tiles: dict[str, list[str]] = {}  # metric -> classes inside the tile
        self.figures: set[str] = set()
        self.svgs: set[str] = set()
        self.attrs: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False
        self._tile: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags[tag] += 1
        self.attrs += list(a.items())
        classes = a.get("class", "").split()
        if "tile" in classes:
            self._tile = a.get("data-metric") or a.get("id", "").removeprefix("tile-")
            self.tiles[self._tile] = []
        elif self._tile is not None:
            self.tiles[self._tile] += classes + ([tag] if tag == "svg" else [])
        if tag == "figure" and "chart" in classes:
            self.figures.add(a["id"].removeprefix("chart-"))
        if tag == "svg" and "data-chart" in a:
            self.svgs.add(a["data-chart"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._tile = None
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def remote_references(page: Page) -> list[str]:
    """Attribute values (src, href...) or CSS that would make a request."""
    bad = [
        f"{k}={v}"
        for k, v in page.attrs
        if not k.startswith("xmlns") and ("://" in v or v.strip().startswith("//"))
    ]
    return bad + (["url( in <style>"] if "url(" in page.style or "@import" in page.style else [])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small") / "data"
    return write_tables(folder, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)


def render(
    data: Path,
    periods: list[str],
    by: str | None = None,
    compare: bool = False,
    family: str | None = None,
) -> str:
    ds = open_data(data)
    spans = month_range(*periods) if len(periods) == 2 else [parse_period(periods[0])]
    result = report(ds, spans, select_metrics(family, None), segment_by=by, compare=compare)
    body = renderer("report", "html")(result, Env("$"))
    assert isinstance(body, bytes)
    return body.decode("utf-8")


@pytest.fixture(scope="module")
def small_page(small: Path) -> str:
    return render(small, ["2024-06"], compare=True)


@pytest.fixture(scope="module")
def sample_page() -> str:
    if not SAMPLE.is_dir():
        pytest.skip("sample_data/ is missing (make sample)")
    return render(SAMPLE, ["2024-04", "2024-06"])


def test_small_report_has_tiles_and_the_charts_it_has_data_for(small_page):
    page = Page(small_page)
    assert {"mrr", "arr", "customers_end", "customer_churn_rate"} <= set(page.tiles)
    assert "change" in page.tiles["mrr"]  # --compare: a change under the value
    assert {"mrr-trend", "mrr-bridge", "customers", "retention"} <= page.figures
    assert page.figures == page.svgs  # one inline <svg> per chart figure
    # No surveys table: NPS and CSAT charts are left out with a line, never drawn empty.
    assert not {"nps", "satisfaction"} & page.figures
    text = " ".join(page.text)
    assert "NPS: not drawn, needs the surveys table." in text
    assert "Data quality" in text and "customers.csv" in text


def test_sample_data_trend_has_every_tile_chart_and_sparkline(sample_page):
    page = Page(sample_page)
    assert set(page.tiles) == TILES
    assert all("spark" in classes for classes in page.tiles.values())
    assert page.figures == page.svgs == REPORT_CHARTS
    assert page.tags["table"] >= 5  # four families and the data-quality table


def test_pages_reference_nothing_remote(small_page, sample_page):
    for text in (small_page, sample_page):
        page = Page(text)
        assert remote_references(page) == []
        assert page.tags["script"] == page.tags["link"] == page.tags["img"] == 0
        assert ("http-equiv", "Content-Security-Policy") in page.attrs


def test_segment_values_are_escaped(small):
    text = render(small, ["2024-05", "2024-06"], by="region", family="revenue")
    page = Page(text)
    assert page.tags["script"] == 0
    assert HOSTILE not in text
    shown = " ".join(page.text)
    assert HOSTILE in shown and 'R&D "quoted"' in shown  # escaped, so read back as text
    assert {"mrr-trend", "mrr-bridge", "customers", "retention"} <= page.svgs


def test_health_page_has_bands_chart_and_customers(small):
    result = health(open_data(small), parse_period("2024-06"))
    page = Page(renderer("health", "html")(result, Env()).decode("utf-8"))
    assert {"healthy", "needs_attention", "at_risk", "unscored"} <= set(page.tiles)
    assert page.svgs == {"health-bands"}
    assert remote_references(page) == []
    assert "F" in page.text  # a customer row


def test_cli_writes_html_by_suffix(small, tmp_path, capsys):
    target = tmp_path / "report.html"
    args = ["report", "-p", "2024-06", "-m", "mrr", "--data", str(small), "-o", str(target)]
    code = main([*args, "-q"])
    assert code == 0, capsys.readouterr().err
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def png_rows(path: Path, limit: int) -> tuple[int, int, list[bytes]]:
    """Width, height and the first `limit` rows of RGB(A) pixels of an 8-bit PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, bpp = 8, b"", 0, 0, 3
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[pos + 8 : pos + 18])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + size]
        pos += 12 + size
    stride = width * bpp
    raw = zlib.decompressobj().decompress(idat, (stride + 1) * limit)
    rows, prev = [], bytearray(stride)
    for r in range(min(limit, height)):
        kind, line = (
            raw[r * (stride + 1)],
            bytearray(raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)]),
        )
        for i in range(stride) if kind else ():  # undo the PNG row filter
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [row[i : i + 3] for row in rows for i in range(0, len(row), bpp)]  # type: ignore[return-value]


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp / 'profile'}",
    ]
    return subprocess.run(
        [str(CHROMIUM), *flags, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_dashboard_renders_in_a_real_browser(sample_page, tmp_path):
    if not (CHROMIUM.exists() and shutil.which(str(CHROMIUM))):
        if os.environ.get("CSM_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "CSM_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing (apt-get install chromium)"
            )
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium to run this test)")
    page = tmp_path / "report.html"
    page.write_text(sample_page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri(), tmp=tmp_path)
    assert shot.exists(), done.stderr[-2000:]
    width, height, pixels = png_rows(shot, 400)  # the header and the tiles
    assert (width, height) == (1280, 2000)
    colours = Counter(pixels)
    background = colours.most_common(1)[0][1] / len(pixels)
    dark = sum(n for px, n in colours.items() if sum(px) < 200)  # text
    assert background < 0.9 and dark > 500 and len(colours) > 50, "the screenshot looks blank"
    dom = chromium("--dump-dom", page.as_uri(), tmp=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    shown = Page(dom.stdout)
    assert shown.svgs == REPORT_CHARTS
    assert set(shown.tiles) == TILES
