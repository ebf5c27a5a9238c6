"""The worker's niceness reaches every thread it has and every process they start later."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import os, subprocess, threading
    from workers.niceness import lower_priority

    started, done = threading.Event(), threading.Event()
    seen = {}

    def earlier_thread():
        started.set()
        done.wait()
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, 0)
        seen["node"] = subprocess.run(
            ["sh", "-c", "cut -d' ' -f19 /proc/self/stat"], capture_output=True, text=True
        ).stdout.strip()

    thread = threading.Thread(target=earlier_thread)
    thread.start()
    started.wait()
    now = lower_priority(7)
    again = lower_priority(3)  # never lowered: an unprivileged worker could not undo it
    done.set()
    thread.join()
    print(now, again, seen["thread"], seen["node"])
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="niceness per thread is Linux's")
def test_every_thread_and_what_it_starts_runs_at_the_niceness() -> None:
    assert os.getpriority(os.PRIO_PROCESS, 0) < 7, "the test runs below niceness 7 itself"
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out == ["7", "7", "7", "7"]
