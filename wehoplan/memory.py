"""How the process takes memory from the system: freed county-sized columns are kept for the next roll-up.

glibc's ``malloc`` maps every block above 32 MB afresh from the kernel and unmaps it when it
is freed. A county's trend (100k actions x 60 months) makes a few dozen columns of ~48 MB
each, so every trend faults in about 1.5 GB of new pages, while a city-sized plan's columns
(under 32 MB) are served again from memory the process already holds: that difference alone
made the 100k trend 20-30x the 10k one instead of about 10x (bench/README.md, "seventh pass:
the trend at county scale"). :func:`keep_freed_blocks` asks ``malloc`` to serve blocks up to
256 MB from its heap and to keep up to 2 GB of freed heap (threshold and pad of the heap's
trimming), so a county plan's columns are recycled as a city's are. It changes no value, only
where memory comes from; the cost is that the process's resident memory stays near its
high-water mark between page runs instead of falling back (the peak is the same).

It applies on Linux with glibc only, and never when the person running the server set glibc's
own ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or ``MALLOC_TOP_PAD_`` (their choice wins), or
``WEHOPLAN_KEEP_FREED_MEMORY=false`` (``Config.keep_freed_memory``).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading

from wehoplan.config import Config, load_config

#: Blocks up to this size come from the heap (glibc's own default stops at 32 MB).
HEAP_BLOCKS_UP_TO = 256 << 20
#: Freed memory at the top of the heap kept for reuse instead of given back: the 2 GB a page may take
#: (issue 15), so a county trend's ~1.4 GB of columns are all there for the next one. (``mallopt``
#: takes a C ``int``: 2 GB itself would wrap to a negative number, and nothing would be trimmed.)
KEEP_FREED_UP_TO = (2 << 30) - (1 << 20)

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc's <malloc.h>
_GLIBC_OWN = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
_lock = threading.Lock()
_done: list[bool] = []


def _wanted(config: Config) -> bool:
    if not (config.keep_freed_memory and sys.platform.startswith("linux")):
        return False
    return not any(os.environ.get(k) for k in _GLIBC_OWN)


def keep_freed_blocks(config: Config | None = None) -> bool:
    """Ask glibc's ``malloc`` to recycle county-sized blocks (once per process); True when it applies.

    The app and the command line call it as they start; ``config`` defaults to the environment's.
    """
    with _lock:
        if not _done:
            try:
                wanted = _wanted(config or load_config())
            except ValueError:  # a malformed setting: the page or command reading its settings says which
                return False
            _done.append(_apply() if wanted else False)
        return _done[0]


def _apply() -> bool:
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, another libc): its own allocator stays as it is
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # Trimming gives back all of the free top of the heap but the pad once it reaches the threshold:
    # with the pad as large as the threshold, up to that much stays (a trend's columns, freed, then
    # made again by the next one) and only what is beyond it goes back.
    return all(mallopt(option, value) for option, value in (
        (_M_MMAP_THRESHOLD, HEAP_BLOCKS_UP_TO), (_M_TRIM_THRESHOLD, KEEP_FREED_UP_TO), (_M_TOP_PAD, KEEP_FREED_UP_TO)))
