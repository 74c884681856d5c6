"""Where batches of runs are evaluated: in this process, on a local Dask cluster, or on an
existing Dask cluster. Results never depend on the backend: work is split into chunks of run
indices and every run draws from its own stream (seed, run index), not from a worker's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from epicommons.errors import InputError

CHUNK = 250  # runs per task: large enough to amortise scheduling, small enough to balance
IN_FLIGHT = 2  # chunks submitted per worker thread: one running, one queued behind it
CONNECT_TIMEOUT_S = 10  # a scheduler that has not answered by then is reported as unreachable


class Backend(Protocol):
    """Maps a function over chunks; `shared` is sent to the workers once per `share` call.

    `stream` yields `(index, result)` as chunks finish, in any order, keeping only a bounded
    number of chunks in flight (so a caller that folds results as they come holds O(chunk));
    `map` is the same stream gathered into a list in chunk order."""

    name: str

    def share(self, obj: Any) -> Any: ...

    def stream(
        self, fn: Callable[..., Any], shared: Any, chunks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]: ...

    def map(
        self,
        fn: Callable[..., Any],
        shared: Any,
        chunks: Sequence[Any],
        on_done: Callable[[int], None] | None = None,
    ) -> list[Any]: ...


def gather(
    results: Iterable[tuple[int, Any]], n: int, on_done: Callable[[int], None] | None = None
) -> list[Any]:
    """The results of a `stream` of `n` chunks in chunk order; `on_done(i)` as each arrives."""
    out: list[Any] = [None] * n
    for i, value in results:
        out[i] = value
        if on_done is not None:
            on_done(i)
    return out


class _Gathering:
    """`map` for a backend that streams: the stream gathered in chunk order."""

    def map(
        self,
        fn: Callable[..., Any],
        shared: Any,
        chunks: Sequence[Any],
        on_done: Callable[[int], None] | None = None,
    ) -> list[Any]:
        return gather(self.stream(fn, shared, chunks), len(chunks), on_done)  # type: ignore[attr-defined]


class InProcess(_Gathering):
    """Evaluate chunks one after another in this process."""

    name = "in-process"

    def share(self, obj: Any) -> Any:
        return obj

    def stream(
        self, fn: Callable[..., Any], shared: Any, chunks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        for i, c in enumerate(chunks):
            yield i, fn(shared, c)


class DaskBackend(_Gathering):
    """Evaluate chunks as tasks of a `distributed.Client`, `IN_FLIGHT` per worker thread at most
    (the next is submitted as one finishes)."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def share(self, obj: Any) -> Any:
        return self.client.scatter(obj, broadcast=True, hash=False)

    def stream(
        self, fn: Callable[..., Any], shared: Any, chunks: Sequence[Any]
    ) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        window = IN_FLIGHT * max(1, sum(self.client.nthreads().values()))
        position: dict[str, int] = {}  # chunks submitted and not yet finished
        pending = as_completed([])
        nxt = 0

        def submit() -> None:
            # never more than `window` chunks past the earliest unfinished one: a caller putting
            # results back in order (`InOrder`) then holds at most `window` of them
            nonlocal nxt
            while nxt < len(chunks) and nxt < min(position.values(), default=nxt) + window:
                fut = self.client.submit(fn, shared, chunks[nxt], pure=False)
                position[fut.key] = nxt
                pending.add(fut)
                nxt += 1

        submit()
        for fut in pending:
            value = fut.result()
            i = position.pop(fut.key)
            fut.release()
            submit()
            yield i, value


class InOrder:
    """Puts a stream's `(index, result)` pairs back in index order (indices 0, 1, ...); a
    result that comes before an earlier one waits. `most_waiting`: the most ever held."""

    def __init__(self) -> None:
        self.most_waiting = 0

    def __call__(self, results: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        waiting: dict[int, Any] = {}
        nxt = 0
        for i, value in results:
            waiting[i] = value
            self.most_waiting = max(self.most_waiting, len(waiting))
            while nxt in waiting:
                yield nxt, waiting.pop(nxt)
                nxt += 1


@contextmanager
def open_backend(
    workers: int | None = None, scheduler: str | None = None, *, processes: bool = True
) -> Iterator[Backend]:
    """In-process by default; `workers`: a local Dask cluster on 127.0.0.1 with that many
    single-threaded workers; `scheduler`: connect to an existing cluster (tcp://HOST:PORT)."""
    if workers is not None and scheduler is not None:
        raise ValueError("give either workers or a scheduler address, not both")
    if workers is None and scheduler is None:
        yield InProcess()
        return
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"cannot reach a Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S} s "
                f"({type(exc).__name__}); is it running, and is the address right?",
                field="--scheduler",
            ) from None
        with client:
            yield DaskBackend(client, f"dask scheduler {scheduler}")
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # loopback, a free port
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield DaskBackend(client, f"local dask cluster, {workers} worker(s)")


def chunked(n: int, size: int = CHUNK) -> list[tuple[int, int]]:
    """Half-open index ranges covering 0..n in pieces of `size`."""
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]
