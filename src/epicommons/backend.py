"""Where batches of runs are evaluated: in this process, on a local Dask cluster, or on an
existing Dask cluster. Results never depend on the backend: work is split into chunks of run
indices and every run draws from its own stream (seed, run index), not from a worker's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from epicommons.errors import InputError

CHUNK = 250  # runs per task: large enough to amortise scheduling, small enough to balance
CONNECT_TIMEOUT_S = 10  # a scheduler that has not answered by then is reported as unreachable


class Backend(Protocol):
    """Maps a function over chunks; `shared` is sent to the workers once per `share` call."""

    name: str

    def share(self, obj: Any) -> Any: ...

    def map(
        self,
        fn: Callable[..., Any],
        shared: Any,
        chunks: Sequence[Any],
        on_done: Callable[[int], None] | None = None,
    ) -> list[Any]: ...


class InProcess:
    """Evaluate chunks one after another in this process."""

    name = "in-process"

    def share(self, obj: Any) -> Any:
        return obj

    def map(
        self,
        fn: Callable[..., Any],
        shared: Any,
        chunks: Sequence[Any],
        on_done: Callable[[int], None] | None = None,
    ) -> list[Any]:
        out = []
        for i, c in enumerate(chunks):
            out.append(fn(shared, c))
            if on_done is not None:
                on_done(i)
        return out


class DaskBackend:
    """Evaluate chunks as tasks of a `distributed.Client` (results gathered in chunk order)."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def share(self, obj: Any) -> Any:
        return self.client.scatter(obj, broadcast=True, hash=False)

    def map(
        self,
        fn: Callable[..., Any],
        shared: Any,
        chunks: Sequence[Any],
        on_done: Callable[[int], None] | None = None,
    ) -> list[Any]:
        from distributed import as_completed

        futures = [self.client.submit(fn, shared, c, pure=False) for c in chunks]
        if on_done is not None:
            position = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                on_done(position[fut.key])
        return self.client.gather(futures)


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
