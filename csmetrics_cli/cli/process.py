"""How csm sets up its own process before a command reads data (the CLI only: a library
leaves the process it is imported into as it is). Each setting was measured on the 100k sample;
a value the user set in the environment wins."""

from __future__ import annotations

import os

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3


def tune() -> None:
    """Large arrays get memory already touched, instead of fresh pages the kernel must
    find and zero on every allocation (warm report 2.1-2.3 s, a third of it system time,
    -> 2.0 s; more where the host reclaims the VM's free memory, as this one's does)."""
    # numpy asks the kernel for huge pages for every large array; where the kernel compacts
    # memory on the spot to find them (THP defrag = madvise), each allocation stalls: 50 ms
    # instead of 8 ms for a day column of 2.8M rows. numpy reads this when it is imported.
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    # pyarrow's own allocator (mimalloc) takes fresh pages for each table it builds; the
    # system's reuses what numpy and pandas freed (reading the 100k invoices the first
    # time: 0.72 s -> 0.50 s). Read when pyarrow makes its first buffer.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return
    import ctypes

    # glibc maps each block above its threshold on its own and unmaps it when freed, so the
    # next array of that size faults in new pages; it also hands the heap's free top back.
    # Blocks up to 32 MB (glibc's largest threshold) from the heap, which keeps what it
    # freed for the next arrays until the process ends.
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # not glibc (macOS, Windows): left as it is
        return
    mallopt(M_MMAP_THRESHOLD, 32 << 20)
    mallopt(M_TRIM_THRESHOLD, 2**31 - 1)
