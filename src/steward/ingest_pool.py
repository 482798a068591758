"""Preparing a batch's files in worker processes, handed back one at a time in file order.

Hashing, reading, validating, pseudonymising and encrypting a file for the landing area is
pure CPU work (the CIN census reader most of all), so it runs in a pool of processes; keeping
it (putting the staged file in place, quarantine, store, audit) stays in the ingesting process,
the store's only writer. At most 32 files per worker are in flight or waiting, so memory stays
flat however long the batch, yet the workers still have files to prepare while a group of
files is kept (with 8 they ran dry, and 20 LAs took 12% longer to ingest). A ``UserError`` in
a worker comes back as that file's error; any other exception is a bug and fails the run.
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
from steward.ingest_prepare import Attempt, PrepareContext, Prepared, prepare_submission
from steward.landing import Landing
from steward.pseudonymise.pseudonym import Pseudonymiser
from steward.study.local_authorities import LocalAuthority

IN_FLIGHT_PER_WORKER = 32
_CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


@dataclass(frozen=True)
class WorkerSetup:
    """What each worker starts with: no open file, store or log, only what preparing reads."""

    workspace_root: Path
    pseudonym_key: bytes
    local_authorities: tuple[LocalAuthority, ...]
    submitter: User | None
    landing_folder: Path
    master_key: bytes  # encrypts each file for the landing area
    run_tag: str
    known: frozenset[str]  # submissions in the store when the run started: not prepared again


_context: PrepareContext | None = None
_known: frozenset[str] = frozenset()


def _start_worker(setup: WorkerSetup) -> None:
    global _context, _known
    # The pool's processes already fill the cores: each worker's pseudonymiser hashes on one
    # thread.
    hasher = Pseudonymiser(setup.pseudonym_key, workers=1)
    landing = Landing(setup.landing_folder, setup.master_key)
    _context = PrepareContext(
        setup.workspace_root, hasher, setup.local_authorities, setup.submitter,
        landing, setup.run_tag,
    )  # fmt: skip
    _known = setup.known


@dataclass(frozen=True)
class _Raised:
    """A ``UserError`` crossing back from a worker (its keyword fields defeat plain pickling)."""

    kind: type[UserError]
    fields: dict[str, Any]

    def error(self) -> UserError:
        return self.kind(**self.fields)


def _prepare(path: Path) -> tuple[str, Prepared | _Raised | None]:
    assert _context is not None, "the worker was started without its setup"
    submission_id, attempt = prepare_submission(_context, path, _known)
    if isinstance(attempt, UserError):
        fields = {f.name: getattr(attempt, f.name) for f in dataclasses.fields(attempt)}
        return submission_id, _Raised(type(attempt), fields)
    return submission_id, attempt


def prepare_in_workers(
    setup: WorkerSetup, files: Iterable[Path], *, workers: int
) -> Iterator[tuple[Path, str, Attempt]]:
    """``(path, submission_id, attempt)`` for each file, in the files' order (see
    :func:`steward.ingest_prepare.prepare_submission`).

    ``files`` is read lazily, a few ahead of the files handed back.
    """
    context = multiprocessing.get_context("fork") if _CAN_FORK else None
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(setup,)
    )
    pending: deque[tuple[Path, Future[tuple[str, Prepared | _Raised | None]]]] = deque()
    remaining = iter(files)

    def submit_next() -> None:
        path = next(remaining, None)
        if path is not None:
            pending.append((path, pool.submit(_prepare, path)))

    try:
        for _ in range(IN_FLIGHT_PER_WORKER * workers):
            submit_next()
        while pending:
            path, future = pending.popleft()
            submit_next()  # keeps the workers busy while this file is kept
            submission_id, result = future.result()  # re-raises a worker's bug
            yield path, submission_id, result.error() if isinstance(result, _Raised) else result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
