"""Ending a run cleanly: SIGINT, SIGTERM, SIGHUP and a closed standard output stop it as `interrupted`, with reports."""

from __future__ import annotations

import _thread
import os
import select
import signal
import stat
import threading
from collections.abc import Callable
from typing import Any

from apiconform.exitcodes import ExitCode

# The signals that end a run as interrupted. SIGHUP comes when the terminal or SSH session that started
# the run goes away; its default action would end the process without reports and leave the temporary
# folder behind. (Windows has no SIGHUP.)
STOPPING_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interruption:
    """Turns SIGINT, SIGTERM, SIGHUP and a closed stdout into one KeyboardInterrupt in the main thread.

    What stopped the run is kept (`cause`: a name and the exit code it gives: 130 for SIGINT, 143 for
    SIGTERM, 129 for SIGHUP (a closed terminal or SSH session), 141 for a closed stdout, as a shell
    reports SIGPIPE). At once every API stops sending;
    pytest then ends the session, and the plugin writes reports whose verdict is `interrupted`.
    A second signal while the reports are written is ignored, so they are not cut short.
    """

    def __init__(self) -> None:
        self.cause: tuple[str, int] | None = None
        # Told at once when the run stops (the session stops every API sending); set once a session exists.
        self.on_stop: Callable[[tuple[str, int]], None] | None = None
        self.installed = False
        self._raised = False
        self._settled = False
        self._saved: dict[int, Any] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._stdout: int | None = None

    def install(self, *, watch_stdout: bool = True) -> bool:
        """Install the handlers (main thread only); False when they were already installed or cannot be."""
        if self.installed or threading.current_thread() is not threading.main_thread():
            return False
        self.cause, self._raised, self._settled = None, False, False
        for signum in STOPPING_SIGNALS:
            self._saved[signum] = signal.signal(signum, self._on_signal)
        self.installed = True
        if watch_stdout:
            self._watch_stdout()
        return True

    def uninstall(self) -> None:
        if not self.installed:
            return
        self.settle()
        if self._stdout is not None:
            os.close(self._stdout)
            self._stdout = None
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()
        self.installed = False

    def settle(self) -> None:
        """The run is over (its reports written): stop watching stdout; later signals change nothing."""
        self._settled = True
        self._stop.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=2)
            self._watcher = None

    def stop(self, cause: tuple[str, int]) -> None:
        """Record why the run stops (the first cause wins) and tell the session, which stops sending."""
        if self.cause is None:
            self.cause = cause
        if self.on_stop is not None:
            self.on_stop(self.cause)

    def follow(self, on_stop: Callable[[tuple[str, int]], None]) -> None:
        """Tell `on_stop` when the run stops, at once if it already has (a signal during start-up)."""
        self.on_stop = on_stop
        if self.cause is not None:
            on_stop(self.cause)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._settled:
            return
        self.stop((signal.Signals(signum).name, 128 + signum))
        if not self._raised:
            self._raised = True
            raise KeyboardInterrupt

    def _watch_stdout(self) -> None:
        """Watch standard output, when it is a pipe or a socket, for its reader going away (`| head`)."""
        try:
            mode = os.fstat(1).st_mode
        except OSError:
            return
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) or not hasattr(select, "poll"):
            return
        self._stdout = os.dup(1)
        self._stop.clear()
        poller = select.poll()
        # No events asked for: poll still reports POLLERR/POLLHUP, which is all that is wanted.
        poller.register(self._stdout, 0)

        def watch() -> None:
            while not self._stop.is_set():
                if poller.poll(200) and not self._stop.is_set() and not self._settled:
                    self.stop(("closed stdout", ExitCode.CLOSED_STDOUT))
                    _thread.interrupt_main(signal.SIGINT)
                    return

        self._watcher = threading.Thread(target=watch, name="apiconform-stdout-watch", daemon=True)
        self._watcher.start()
