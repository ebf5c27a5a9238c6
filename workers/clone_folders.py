"""Where a worker process clones: a folder of its own under the work dir, and leftovers of
dead workers removed when a worker starts.

A worker killed mid-job (SIGKILL, out of memory, a host reboot) leaves its clone behind,
and a deadline burst leaves many. Several workers may share one work dir, so the start of
one must never remove a clone another is grading. Each process therefore holds an exclusive
lock (flock) on a file in its own folder for as long as it lives; the kernel drops that lock
when the process dies, however it dies. A folder whose lock can be taken belongs to no live
process and is removed; a folder whose lock is held is in flight and is left alone.
Folders are made and swept under one lock of the whole work dir, so a worker starting never
sees another's folder before that folder's lock is held. (flock is per machine: give workers
on different machines different work dirs.)
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from celery.signals import worker_process_init

from grader.settings import get_settings

log = logging.getLogger(__name__)
ROOT = "grader-clones"  # under the work dir
_HELD = ".held"  # the lock file inside each process's folder


@dataclass(frozen=True)
class _Claim:
    pid: int
    folder: Path
    lock: IO[str]  # kept open: closing it would drop the lock


_claimed: dict[Path, _Claim] = {}  # by base folder: one per process and work dir


def own_folder(work_dir: Path | None) -> Path:
    """This process's folder for clones under `work_dir` (None: the system temp dir),
    claimed on first use; it lives as long as the process."""
    base = (work_dir or Path(tempfile.gettempdir())) / ROOT
    claim = _claimed.get(base)
    if claim is None or claim.pid != os.getpid():  # a forked child claims its own
        claim = _claim(base)
        _claimed[base] = claim
    return claim.folder


def remove_leftovers(base: Path) -> list[Path]:
    """Remove the folders under `base` that no live process holds; return them. Call with
    `base`'s own lock held (see _claim)."""
    removed: list[Path] = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        held = folder / _HELD
        try:
            with held.open("a") as probe:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder)
        except BlockingIOError:
            continue  # a live worker's: in flight
        removed.append(folder)
    return removed


def _claim(base: Path) -> _Claim:
    base.mkdir(parents=True, exist_ok=True)
    with (base / ".lock").open("a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # released when `guard` closes
        removed = remove_leftovers(base)
        folder = Path(tempfile.mkdtemp(prefix=f"worker-{os.getpid()}-", dir=base))
        lock = (folder / _HELD).open("a")
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    if removed:
        log.info("removed %d clone folders left by workers that stopped", len(removed))
    return _Claim(os.getpid(), folder, lock)


def _on_process_start(**_: object) -> None:
    """Once per worker process, before its first task: claim the folder, sweeping leftovers."""
    try:
        own_folder(get_settings().service.work_dir)
    except OSError:
        log.exception("could not prepare the clone folder; the first job will try again")


# Connected by call, not decorator: Celery ships no type information. A strong reference:
# the handler must live as long as the process.
worker_process_init.connect(_on_process_start, weak=False)
