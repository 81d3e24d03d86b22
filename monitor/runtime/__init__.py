"""The runtime: the stage loops (poller, processors, writer, deliverer), each its own loop,
with the database as the queue between them; `run_daemon` and `run_once` drive them."""

from monitor.runtime.daemon import Daemon, run_daemon
from monitor.runtime.once import EXIT_PENDING, RunReport, run_once

__all__ = ["EXIT_PENDING", "Daemon", "RunReport", "run_daemon", "run_once"]
