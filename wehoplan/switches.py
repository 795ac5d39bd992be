"""Process-wide settings switched off while some work runs, counted across threads.

A Streamlit server runs every session's script in a thread of one process, so a setting
of the process (numpy's huge-page request) switched off for one long computation must stay
off until the last of the overlapping computations ends, and then come back as it was
before the first began. :class:`CountedSwitch` does that; a switch changes how the work
runs, never what it gives. (Only settings that cost the other sessions nothing belong here:
pausing the cyclic collector during an import was tried and is not one of them, see issue 10.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class CountedSwitch:
    """A setting switched off while any user is inside :meth:`off`, restored when the last one leaves.

    ``set_`` sets the setting (True: on) and returns what it was before.
    """

    def __init__(self, set_: Callable[[bool], bool]) -> None:
        self._set = set_
        self._lock = threading.Lock()
        self._users = 0
        self._before = True

    @contextmanager
    def off(self) -> Iterator[None]:
        """Switch the setting off for the ``with`` block (and any block that overlaps it)."""
        with self._lock:
            if self._users == 0:
                self._before = self._set(False)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._set(self._before)


def _set_huge_pages(enabled: bool) -> bool:
    """Set numpy's request for transparent huge pages (``madvise``) for arrays of 4 MB or more."""
    try:
        from numpy._core import multiarray
    except ImportError:  # another numpy: leave its default alone
        return enabled
    switch = getattr(multiarray, "_set_madvise_hugepage", None)
    return enabled if switch is None else bool(switch(enabled))


#: numpy's huge pages, off while a county-sized roll-up runs (see :func:`wehoplan.rollup.engine.plain_pages`).
HUGE_PAGES = CountedSwitch(_set_huge_pages)
