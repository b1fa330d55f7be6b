"""Give freed memory back to the operating system after a burst of work.

A console stays open for hours on a bastion. After a check run or a big lookup, CPython frees
its objects but glibc keeps the pages in its arenas, so the idle footprint creeps up;
`malloc_trim(0)` hands them back. A no-op where libc has no malloc_trim (musl, macOS).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _malloc_trim() -> object | None:
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def trim() -> None:
    gc.collect()
    fn = _malloc_trim()
    if fn is not None:
        fn(0)  # type: ignore[operator]

