"""How csm sets up its process (cli/process.py): its defaults, and the user's values winning."""

from __future__ import annotations

import ctypes
import os

import pytest

from csmetrics_cli.cli import process


class _Libc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


@pytest.fixture
def libc(monkeypatch: pytest.MonkeyPatch) -> _Libc:
    fake = _Libc()
    monkeypatch.setattr(ctypes, "CDLL", lambda _name: fake)
    names = ("NUMPY_MADVISE_HUGEPAGE", "ARROW_DEFAULT_MEMORY_POOL", "MALLOC_MMAP_THRESHOLD_",
             "MALLOC_TRIM_THRESHOLD_")  # fmt: skip
    for name in names:
        monkeypatch.setenv(name, "")  # so that the test's end restores what was there
        monkeypatch.delenv(name)
    return fake


def test_defaults_turn_off_numpys_huge_pages_and_keep_freed_memory(libc):
    process.tune()
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    assert libc.calls == [(process.M_MMAP_THRESHOLD, 32 << 20),
                          (process.M_TRIM_THRESHOLD, 2**31 - 1)]  # fmt: skip


def test_the_users_settings_win(libc, monkeypatch):
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "0")
    process.tune()
    assert os.environ["NUMPY_MADVISE_HUGEPAGE"] == "1"
    assert os.environ["ARROW_DEFAULT_MEMORY_POOL"] == "mimalloc"
    assert libc.calls == []


def test_no_glibc_leaves_the_allocator_alone(monkeypatch):
    def missing(_name: object) -> object:
        raise OSError("no libc")

    monkeypatch.setattr(ctypes, "CDLL", missing)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    process.tune()  # no error


@pytest.mark.parametrize("command", ["report", "health", "explain", "validate"])
def test_each_data_command_tunes_before_numpy_is_imported(command):
    # numpy reads NUMPY_MADVISE_HUGEPAGE when imported: a command importing it first would
    # leave the setting without effect
    import subprocess
    import sys
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "sample_data"
    extra = {"explain": ["mrr", "-p", "2024-06"], "validate": []}.get(command, ["-p", "2024-06"])
    script = (
        "import sys\n"
        "from csmetrics_cli.cli import process\n"
        "seen = []\n"
        "tune = process.tune\n"
        "process.tune = lambda: (seen.append('numpy' in sys.modules), tune())\n"
        "from csmetrics_cli.cli.app import main\n"
        f"code = main({[command, *extra, '-d', str(sample), '--no-cache', '-q']!r})\n"
        "print(code, seen)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "0 [False]", out.stderr
