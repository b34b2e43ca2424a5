"""Safe output: atomic replacement of regular files, direct writes to devices and pipes.

- A regular file (or a new path) is written to a temporary file beside it, then renamed over
  it, so a reader never sees half a report. The file gets the mode the umask allows (an
  existing file keeps its own mode).
- A character or block device, a FIFO, or /dev/stdout (/dev/fd/N) is written directly: a
  rename would turn /dev/null into a regular file.
- Every input of the run (tables and the config) is protected, through symlinks and hard
  links too. A dangling symlink is refused rather than followed: writing would create the
  file it points to, wherever that is.
- Temporary files are named `.csm-tmp-<pid>-<random>-<name>`; one left by a killed run is
  removed by the next write into the same folder once its process is gone (or after an hour).
- OS failures (read-only disk, disk full, permission denied, a name too long) are CsmErrors
  (exit 1) saying what failed and how to fix it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from csmetrics_cli.problems import CsmError

TMP_PREFIX = ".csm-tmp-"
_TMP_NAME = re.compile(rf"^{re.escape(TMP_PREFIX)}(\d+)-[a-z0-9_]+-")
STALE_SECONDS = 3600
# Names that reopen one of this process's streams: written in place, appended to.
_STREAM = re.compile(r"^/(dev/(stdout|stderr|fd/\d+)|proc/(self|\d+)/fd/\d+)$")

_FIXES = {
    errno.EROFS: ("the file system is read-only", "choose an --output on a writable disk"),
    errno.ENOSPC: ("no space left on the device", "free some space or choose another --output"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space or choose another --output"),
    errno.EACCES: ("permission denied", "choose a folder you can write to (or fix its rights)"),
    errno.EPERM: ("operation not permitted", "choose a folder you can write to"),
    errno.ENAMETOOLONG: ("the path or a name in it is too long", "choose a shorter --output"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the --output path"),
    errno.EEXIST: ("a part of the path is a file, not a folder", "check the --output path"),
    errno.EISDIR: ("it is a folder", "end --output with '/' to write a file inside it"),
    errno.ENOENT: ("no such file or folder", "check the --output path"),
    errno.ELOOP: ("too many levels of symbolic links", "check the links in the --output path"),
    errno.ENXIO: ("nothing is listening on it", "choose a regular file for --output"),
}


def _failure(path: Path, action: str, exc: OSError) -> CsmError:
    """An OS failure as an input/environment error: what failed, why, and a fix."""
    why, fix = _FIXES.get(exc.errno or 0, (exc.strerror or str(exc), "check the --output path"))
    return CsmError(f"cannot write {path}: {why} (while {action})", hint=fix)


def resolve_output(output: Path | str, default_name: str) -> Path:
    """A file path for --output: an existing folder, or any path ending in '/', gets
    default_name inside it (the folder is created when the file is written).

    Pass the option's raw text: Path("reports/") has already lost its trailing slash.
    """
    text = os.fspath(output)
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)):
        return path / default_name
    return path


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _protect(path: Path, found: os.stat_result | None, inputs: Iterable[Path]) -> None:
    """Refuse to write over an input, whatever the name (a symlink, a hard link) says."""
    target = os.path.realpath(path)
    for source in inputs:
        same = os.path.realpath(source) == target
        if not same and found is not None:
            with contextlib.suppress(OSError):  # an input that vanished cannot be clobbered
                same = _same_file(found, os.stat(source))
        if same:
            raise CsmError(f"refusing to write the report over the input file {source}",
                           hint="choose another --output path")  # fmt: skip


def _existing(path: Path) -> os.stat_result | None:
    """The file the path names (links followed), None when there is none yet."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            link = os.readlink(path)
            raise CsmError(f"refusing to write through the dangling symbolic link {path} -> "
                           f"{link}", hint="remove the link or choose another --output"
                           ) from None  # fmt: skip
        return None
    except OSError as exc:
        raise _failure(path, "looking it up", exc) from exc


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def _write_direct(path: Path, payload: bytes) -> None:
    """Write to a device, a FIFO or a stream in place (no temporary file, no rename)."""
    flags = os.O_WRONLY | (os.O_APPEND if _STREAM.match(os.path.abspath(path)) else 0)
    fd = os.open(path, flags)  # no O_CREAT: a missing /dev name is never created
    try:
        _write_all(fd, payload)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _remove_stale(folder: Path) -> None:
    """Delete csm temporary files in folder whose run is gone or that are over an hour old."""
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            match = _TMP_NAME.match(entry.name)
            if not match or not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):  # raced by another run, or not ours to delete
                old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
                if old or not _alive(int(match.group(1))):
                    os.unlink(entry.path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_replacing(target: Path, payload: bytes, found: os.stat_result | None) -> None:
    """Temporary file beside target, fsync, chmod, rename over it; nothing left on failure."""
    _remove_stale(target.parent)
    mode = stat.S_IMODE(found.st_mode) if found is not None else 0o666 & ~_umask()
    # The name stays under NAME_MAX whatever the target's (prefix, pid, random, <= 40 chars).
    prefix = f"{TMP_PREFIX}{os.getpid()}-"
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=f"-{target.name[:40]}", dir=target.parent)
    try:
        try:
            os.fchmod(fd, mode)  # mkstemp creates 0600
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, payload: bytes, inputs: Iterable[Path] = ()) -> None:
    """Write payload to path so that a reader never sees half a file, nor an input clobbered.

    `inputs` are every file the run read (tables and the config).
    """
    path = Path(path)
    action = "checking the target"
    try:
        found = _existing(path)
        _protect(path, found, inputs)
        stream = _STREAM.match(os.path.abspath(path)) is not None
        if stream or (found is not None and not stat.S_ISREG(found.st_mode)):
            action = "writing to it"
            _write_direct(path, payload)
            return
        action = "creating its folder"
        path.parent.mkdir(parents=True, exist_ok=True)
        action = "writing a temporary file beside it and renaming it"
        _write_replacing(Path(os.path.realpath(path)), payload, found)
    except BrokenPipeError:
        raise  # the reader went away: the CLI treats it like a closed stdout
    except OSError as exc:
        if exc.errno is None:  # not from the OS: a bug, let the CLI report it
            raise
        raise _failure(path, action, exc) from exc
