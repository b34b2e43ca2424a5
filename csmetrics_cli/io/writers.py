"""Atomic output: write to a temporary file beside the target, then rename over it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from csmetrics_cli.problems import CsmError


def resolve_output(output: Path, default_name: str) -> Path:
    """A file path for --output: an existing folder (or one ending in '/') gets default_name."""
    if output.is_dir() or str(output).endswith(("/", os.sep)):
        return output / default_name
    return output


def write_atomic(path: Path, payload: bytes, inputs: Iterable[Path] = ()) -> None:
    """Write payload to path so that a reader never sees half a file, nor an input clobbered."""
    target = path.resolve()
    if any(target == Path(p).resolve() for p in inputs):
        raise CsmError(f"refusing to write the report over the input file {path}",
                       hint="choose another --output path")  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
