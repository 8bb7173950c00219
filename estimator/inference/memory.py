"""Keeping the Monte Carlo's large temporary arrays in memory the process already has.

Every chunk of draws creates a few hundred arrays of half a megabyte, used once and
freed. glibc's allocator serves blocks that large with ``mmap`` and gives them back to the
system when freed, so the next chunk pays a page fault for every 4 KiB it writes; on some
virtual machines that costs more than the arithmetic. Raising glibc's thresholds keeps
such blocks in the heap, where freed memory is reused: measured here, the dated DeepSeek
model evaluates about 1.8x faster. Threads would each get an arena of their own, made of
heaps of at most 64 MiB that are shrunk and regrown as a chunk's arrays come and go (the
same page faults again), so every thread is kept on the one main heap: large blocks are
allocated a few hundred times per chunk, too rarely for the shared lock to matter.
Elsewhere (another C library, another system) this does nothing. It changes no number,
only where memory comes from.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

#: ``mallopt`` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
#: Blocks below this come from the heap (glibc caps it at 32 MiB on 64-bit systems).
MMAP_THRESHOLD = 32 * 2**20
#: Free memory at the top of the heap is given back to the system only beyond this.
TRIM_THRESHOLD = 512 * 2**20


@functools.cache
def keep_freed_memory() -> bool:
    """Ask glibc to keep large freed blocks for reuse (once per process); whether it
    could."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    done = [bool(mallopt(option, value)) for option, value in (*settings, (M_ARENA_MAX, 1))]
    return all(done)
