"""A small pool of daemon threads. ``concurrent.futures`` pools are joined when the interpreter exits, so after
Ctrl+C a process would wait for every transfer in flight to end; daemon workers let it stop at once, after the
caller has cleaned up (aborted the pending version)."""
from __future__ import annotations

import threading
from typing import Any, Callable, Optional, Sequence


def run_all(items: Sequence[Any], action: Callable[[Any], None], workers: int, stop: Optional[threading.Event] = None) -> None:
    """Calls ``action`` on every item, ``workers`` at a time. The first error stops what has not started and is
    raised here; so is a ``KeyboardInterrupt`` arriving while this waits (then ``stop`` is set for the workers)."""
    if not items:
        return
    stop = stop or threading.Event()
    if workers <= 1 or len(items) == 1:
        for item in items:
            if stop.is_set():
                return
            action(item)
        return
    iterator = iter(items)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while not stop.is_set():
            with lock:
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            try:
                action(item)
            except BaseException as error:  # noqa: B902 - handed to the waiting thread
                with lock:
                    errors.append(error)
                stop.set()
                return

    threads = [threading.Thread(target=work, daemon=True, name=f"portal-worker-{i}") for i in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)  # a timed wait, so Ctrl+C reaches this thread at once
    except BaseException:
        stop.set()
        raise
    if errors:
        raise errors[0]
