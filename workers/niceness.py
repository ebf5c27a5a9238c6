"""The worker yields the CPU to the api: a delivery is answered before grading goes on.

At a deadline a machine that runs both is busy grading; at the same priority, the api's
answers wait their turn behind the cluster's processes (bench/webhook_latency.py measured
p99 90 ms busy against 65 ms idle; at niceness 19, 64 ms). Linux keeps a niceness per
thread and each new thread or process takes its creator's, so it is set on every thread
the process has when it starts, before the grading session starts its nodes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def lower_priority(niceness: int) -> int:
    """Raise this process's niceness to at least `niceness` (never lower it: an
    unprivileged process could not take it back); the niceness it now has."""
    for task in Path("/proc/self/task").iterdir():
        tid = int(task.name)
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            if os.getpriority(os.PRIO_PROCESS, tid) < niceness:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
    return os.getpriority(os.PRIO_PROCESS, 0)
