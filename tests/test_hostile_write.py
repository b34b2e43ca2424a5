"""Hostile output targets: devices, FIFOs, links to inputs, dangling links, leftovers of a
killed run, the umask, and OS failures that must be input errors, never half a file."""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from csmetrics_cli.cli.app import main
from csmetrics_cli.io import writers
from csmetrics_cli.io.writers import TMP_PREFIX, resolve_output, write_atomic
from csmetrics_cli.problems import CsmError
from csmetrics_cli.render.cells import (
    CELL_CONTROL,
    CONTROL,
    literal,
    literal_text,
    md_text,
    safe_text,
    sheet_text,
)
from csmetrics_cli.render.table import tables
from tests.conftest import write_tables

SUBSCRIPTIONS = "subscription_id,customer_id,mrr,start_date\ns1,A,10,2024-01-01\n"


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- devices, FIFOs and streams are written in place ------------------------------------------


@pytest.fixture
def null_device(tmp_path: Path) -> Path:
    """A null character device: a private node as root (so a bug cannot clobber /dev/null)."""
    if os.geteuid() != 0:
        return Path("/dev/null")  # nobody but root can replace it
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        pytest.skip("cannot create a device node here")
    return node


def test_a_character_device_stays_a_device(null_device, tmp_path):
    write_atomic(null_device, b"report")
    assert stat.S_ISCHR(os.stat(null_device).st_mode)
    assert not any(n.startswith(TMP_PREFIX) for n in _names(null_device.parent))


def test_a_fifo_is_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(fifo, b"a,b\n1,2\n")
    reader.join(timeout=10)
    assert got == [b"a,b\n1,2\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and _names(tmp_path) == ["pipe"]


def test_dev_stdout_is_written_in_place(capfd):
    print("before", flush=True)
    write_atomic(Path("/dev/stdout"), b"the report\n")
    assert capfd.readouterr().out == "before\nthe report\n"  # appended, not truncated


# --- inputs are protected through every kind of name -------------------------------------------


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = write_tables(tmp_path / "data", subscriptions=SUBSCRIPTIONS)
    (folder / "csm.toml").write_text('[settings]\ncurrency = "$"\n')
    return folder


@pytest.mark.parametrize("kind", ["same", "symlink", "hardlink", "relative"])
@pytest.mark.parametrize("victim", ["subscriptions.csv", "csm.toml"])
def test_an_input_is_never_overwritten(data, tmp_path, kind, victim, monkeypatch):
    source = data / victim
    before = source.read_bytes()
    target = {"same": source, "symlink": tmp_path / "link.csv", "hardlink": tmp_path / "hard.csv",
              "relative": Path("data") / ".." / "data" / victim}[kind]  # fmt: skip
    if kind == "symlink":
        target.symlink_to(source)
    elif kind == "hardlink":
        os.link(source, target)
    monkeypatch.chdir(tmp_path)
    inputs = [data / "subscriptions.csv", data / "csm.toml"]
    with pytest.raises(CsmError, match="input file"):
        write_atomic(target, b"report", inputs)
    assert source.read_bytes() == before


def test_the_cli_refuses_a_hard_link_to_a_table(capsys, data, tmp_path):
    os.link(data / "subscriptions.csv", tmp_path / "out.csv")
    out = str(tmp_path / "out.csv")
    code = main(["report", "-d", str(data), "-p", "2024-06", "--metrics", "mrr", "-o", out])
    assert code == 1 and "input file" in capsys.readouterr().err
    assert (data / "subscriptions.csv").read_text() == SUBSCRIPTIONS


def test_a_dangling_symlink_is_refused_and_its_target_not_created(tmp_path):
    link = tmp_path / "report.csv"
    link.symlink_to(tmp_path / "elsewhere" / "victim.csv")
    with pytest.raises(CsmError, match="dangling symbolic link") as caught:
        write_atomic(link, b"report")
    assert caught.value.hint
    assert not (tmp_path / "elsewhere").exists() and link.is_symlink()


def test_a_symlink_to_a_report_replaces_the_report_and_keeps_the_link(tmp_path):
    real = tmp_path / "reports" / "june.csv"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


# --- temporary files ------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def test_leftovers_of_a_killed_run_are_removed_by_the_next_write(tmp_path):
    dead = tmp_path / f"{TMP_PREFIX}{_dead_pid()}-abcd1234-report.csv"
    old = tmp_path / f"{TMP_PREFIX}{os.getpid()}-abcd1234-report.csv"
    running = tmp_path / f"{TMP_PREFIX}{os.getpid()}-efgh5678-report.csv"
    other = tmp_path / ".report.csv.x1y2.tmp"  # not csm's: never touched
    for path in (dead, old, running, other):
        path.write_bytes(b"half")
    hour_ago = time.time() - 3700
    os.utime(old, (hour_ago, hour_ago))
    write_atomic(tmp_path / "report.csv", b"full")
    assert _names(tmp_path) == sorted([running.name, other.name, "report.csv"])


def test_the_temporary_file_is_named_recognisably(tmp_path, monkeypatch):
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: str, dst: Path) -> None:
        seen.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(tmp_path / ("r" * 200 + ".csv"), b"x")
    assert seen[0].startswith(f"{TMP_PREFIX}{os.getpid()}-") and len(seen[0]) < 100


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        write_atomic(tmp_path / "report.csv", b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "report.csv").st_mode) == mode


def test_a_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_bytes() == b"new"


# --- OS failures are input errors with a fix, and leave nothing behind ------------------------


def _raise(code: int):
    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("function", "code", "words"),
    [
        ("write", errno.ENOSPC, "no space left"),
        ("write", errno.EDQUOT, "quota"),
        ("fsync", errno.EIO, "Input/output error"),
        ("replace", errno.EROFS, "read-only"),
        ("replace", errno.EACCES, "permission denied"),
    ],
)
def test_os_failures_are_input_errors_and_leave_the_old_file(tmp_path, monkeypatch, function,
                                                             code, words):  # fmt: skip
    target = tmp_path / "report.csv"
    target.write_bytes(b"old report")
    monkeypatch.setattr(os, function, _raise(code))
    with pytest.raises(CsmError) as caught:
        write_atomic(target, b"new report")
    assert words in caught.value.message and str(target) in caught.value.message
    assert caught.value.hint and caught.value.exit_code == 1
    assert target.read_bytes() == b"old report" and _names(tmp_path) == ["report.csv"]


def test_a_read_only_folder_is_reported_through_the_cli(capsys, data, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", _raise(errno.EROFS))
    out = tmp_path / "out"
    args = ["report", "-d", str(data), "-p", "2024-06", "--metrics", "mrr"]
    code = main([*args, "-o", str(out / "r.csv")])
    err = capsys.readouterr().err
    assert code == 1 and "read-only" in err and "internal error" not in err
    assert _names(out) == []


def test_names_over_name_max_and_paths_over_path_max(tmp_path):
    with pytest.raises(CsmError, match="too long"):
        write_atomic(tmp_path / ("n" * 300 + ".csv"), b"x")
    deep = tmp_path.joinpath(*["d" * 200] * 25, "r.csv")
    with pytest.raises(CsmError, match="too long"):
        write_atomic(deep, b"x")
    assert _names(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_folder_without_write_permission(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(CsmError, match="permission denied"):
        write_atomic(locked / "r.csv", b"x")


def test_a_file_in_the_way_of_the_folder(tmp_path):
    (tmp_path / "reports").write_text("a file")
    with pytest.raises(CsmError, match="not a folder"):
        write_atomic(tmp_path / "reports" / "r.csv", b"x")


def test_an_os_error_without_errno_is_left_to_the_bug_report(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "_write_all", lambda *_: (_ for _ in ()).throw(OSError("bug")))
    with pytest.raises(OSError, match="bug"):
        write_atomic(tmp_path / "r.csv", b"x")
    assert _names(tmp_path) == []


# --- --output DIR/ ------------------------------------------------------------------------------


def test_a_trailing_slash_names_a_folder_to_create(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_output("reports/", "csm-report-2024-06.csv") == Path(
        "reports/csm-report-2024-06.csv"
    )
    assert resolve_output(Path("reports"), "x.csv") == Path("reports")  # a file named reports
    (tmp_path / "existing").mkdir()
    assert resolve_output(Path("existing"), "x.csv") == Path("existing/x.csv")
    write_atomic(resolve_output("reports/", "r.csv"), b"a,b\n")
    assert (tmp_path / "reports" / "r.csv").read_bytes() == b"a,b\n"


# --- escaping: spreadsheets, terminals, Markdown -----------------------------------------------

ESCAPING = Path(__file__).parent / "fixtures" / "hostile" / "escaping"
REPORT = ["report", "-d", str(ESCAPING), "-p", "2024-06", "--by", "segment",
          "--metrics", "mrr,feature_adoption_rate"]  # fmt: skip
FORMULA = re.compile(r"^[=+\-@\t\r]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colours rich itself writes


def _raw(column: str) -> set[str]:
    """The hostile values of a fixture column, as written in the export."""
    table = "customers" if column == "segment" else "events"
    with (ESCAPING / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def _run(capsys, *args: str) -> str:
    code = main([*REPORT, *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "internal error" not in captured.err
    return captured.out


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("basic\r=1+2", "basic\r'=1+2"),
        ("a\r\n+b\n-5\n@c", "a\r\n'+b\n-5\n'@c"),  # -5 is a number, not a formula
        ("=1", "'=1"),
        ("\rx", "'\rx"),
        ("plain\ntext", "plain\ntext"),
    ],
)
def test_every_line_that_starts_a_formula_is_defused(text, want):
    assert safe_text(text) == want


def test_csv_quotes_carriage_returns_and_defuses_every_line(capsys):
    out = _run(capsys, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert {r["segment"] for r in rows if r["segment"]} == {sheet_text(s) for s in _raw("segment")}
    assert {r["item"] for r in rows if r["item"]} == {sheet_text(f) for f in _raw("feature")}
    # an importer that splits at every CR or LF finds no formula and no escape sequence
    for line in re.split(r"\r\n|\r|\n", out):
        assert not any(FORMULA.match(field) for field in line.split(",")), line
    assert "\x1b" not in out and "\x07" not in out
    assert "basic\r'=1+2" in {r["segment"] for r in rows}


def test_the_terminal_never_sees_an_escape_sequence_from_the_data():
    from rich.console import Console

    from tests.conftest import run_report

    frame = run_report(ESCAPING, "2024-06", by="segment", metrics=["mrr", "feature_adoption_rate"])
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=400)
    console.print(tables(frame, title="csm report \x1b]8;;http://e.vil/\x07"))
    shown = SGR.sub("", console.file.getvalue())  # type: ignore[attr-defined]
    assert not CONTROL.search(shown.replace("\n", ""))
    for text in ("\\x1b[2J\\x1b[31mred", "\\x1b]8;;http://e.vil/", "x[/]", "[blink red]loud",
                 "[bold]reports", "\\x07\\x9b31m", "csm report \\x1b]8;;"):  # fmt: skip
        assert text in shown, text


def test_table_output_through_the_cli_neither_crashes_on_markup_nor_leaks_escapes(capsys):
    out = _run(capsys, "-f", "table")  # "x[/]" used to be a MarkupError: an internal error
    assert "\x1b" not in out and "\\x1b" in out


def test_messages_and_spinner_show_file_names_literally(capsys, monkeypatch):
    from rich.console import Console

    from csmetrics_cli.cli import console

    console.say("Wrote \x1b[2Jreports/[red]x.csv")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jreports/[red]x.csv" in err
    fake = Console(file=io.StringIO(), force_terminal=True, color_system=None)
    monkeypatch.setattr(console, "err", lambda: fake)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with console.progress("Reading \x1b]8;;http://e.vil/\x07[/]events.csv"):
        time.sleep(0.2)
    assert "\x1b]8" not in fake.file.getvalue()  # type: ignore[attr-defined]


def test_xlsx_holds_escape_characters_visibly_and_no_formula(capsys, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "report.xlsx"
    _run(capsys, "-o", str(target))
    cells = [c for ws in load_workbook(target) for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "\\x1b[2J\\x1b[31mred" in texts and '\'=HYPERLINK("http://e.vil")' in texts
    for text in texts:
        assert not any(FORMULA.match(line) for line in re.split(r"\r\n|\r|\n", text)), text


def test_cell_controls_cover_what_openpyxl_refuses():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    illegal = [chr(c) for c in range(0x3000) if ILLEGAL_CHARACTERS_RE.match(chr(c))]
    assert illegal and all(CELL_CONTROL.match(c) for c in illegal)


def test_markdown_escapes_html_pipes_backticks_and_controls(capsys):
    out = _run(capsys, "-f", "md")
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in out
    assert "\\`code\\` \\| pipe" in out and "\\[blink red\\]loud" in out
    assert "\r" not in out and "\x1b" not in out and "\x07" not in out
    for table in re.findall(r"(?:^\|.*\n)+", out, flags=re.M):
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table  # every row has the header's number of cells


def test_md_text_and_literal():
    assert md_text("a\r\nb\rc\nd") == "a b c d"
    assert md_text("\\|") == "\\\\\\|"  # a backslash cannot un-escape the pipe
    assert literal("\x1b[2J\t\x9b\u202e") == "\\x1b[2J\\t\\x9b\\u202e"
    assert literal_text("[red]x[/]").plain == "[red]x[/]"
