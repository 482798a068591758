"""Preparing a batch's files in worker processes, handed back one at a time in file order.

Reading, validating and pseudonymising a file is pure CPU work (the CIN census reader most of
all), so it runs in a pool of processes; keeping it (landing, quarantine, store, audit) stays in
the ingesting process, the store's only writer. At most eight files per worker are in flight
or waiting (enough to keep the workers busy while a group of files is kept), so memory stays
flat however long the batch. A ``UserError`` in a worker comes back as that file's error;
any other exception is a bug and fails the run.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward.errors import UserError
from steward.governance.access import User
from steward.ingest_prepare import Attempt, PrepareContext, Prepared, prepare_file
from steward.pseudonymise.pseudonym import Pseudonymiser
from steward.study.local_authorities import LocalAuthority

IN_FLIGHT_PER_WORKER = 8
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


@dataclass(frozen=True)
class WorkerSetup:
    """What each worker starts with: no open file, store or log, only what preparing reads."""

    workspace_root: Path
    pseudonym_key: bytes
    local_authorities: tuple[LocalAuthority, ...]
    submitter: User | None


_context: PrepareContext | None = None


def _start_worker(setup: WorkerSetup) -> None:
    global _context
    # The pool's processes already fill the cores: each worker's pseudonymiser hashes on one
    # thread.
    hasher = Pseudonymiser(setup.pseudonym_key, workers=1)
    _context = PrepareContext(
        setup.workspace_root, hasher, setup.local_authorities, setup.submitter
    )


@dataclass(frozen=True)
class _Raised:
    """A ``UserError`` crossing back from a worker (its keyword fields defeat plain pickling)."""

    kind: type[UserError]
    fields: dict[str, Any]

    def error(self) -> UserError:
        return self.kind(**self.fields)


def _prepare(path: Path, submission_id: str) -> Prepared | _Raised:
    assert _context is not None, "the worker was started without its setup"
    try:
        return prepare_file(_context, path, submission_id)
    except UserError as exc:
        fields = {f.name: getattr(exc, f.name) for f in dataclasses.fields(exc)}
        return _Raised(type(exc), fields)


def prepare_in_workers(
    setup: WorkerSetup, jobs: Iterable[tuple[Path, str, bool]], *, workers: int
) -> Iterator[tuple[Path, str, Attempt]]:
    """``(path, submission_id, attempt)`` for each job ``(path, submission_id, to_prepare)``,
    in the jobs' order; a job not ``to_prepare`` gets ``None``.

    ``jobs`` is read lazily, a few ahead of the files handed back.
    """
    context = multiprocessing.get_context("fork") if _CAN_FORK else None
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(setup,)
    )
    pending: deque[tuple[Path, str, Future[Prepared | _Raised] | None]] = deque()
    remaining = iter(jobs)

    def submit_next() -> None:
        job = next(remaining, None)
        if job is not None:
            path, submission_id, to_prepare = job
            future = pool.submit(_prepare, path, submission_id) if to_prepare else None
            pending.append((path, submission_id, future))

    try:
        for _ in range(IN_FLIGHT_PER_WORKER * workers):
            submit_next()
        while pending:
            path, submission_id, future = pending.popleft()
            submit_next()  # keeps the workers busy while this file is kept
            result = None if future is None else future.result()  # re-raises a worker's bug
            yield path, submission_id, result.error() if isinstance(result, _Raised) else result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
