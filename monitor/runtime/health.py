"""Is the daemon doing its work? What `/healthz` answers.

Each stage loop ticks on every turn (an idle loop still turns every few seconds); the
heartbeat says whether the database took its last write. Healthy: every stage ticked within
`STALE_TURNS` of its longest pause and the last heartbeat wrote; otherwise the reasons.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
STALE_TURNS = 3  # a stage is stale after this many of its longest pauses without a tick


@dataclass
class Health:
    # stage -> longest pause between two ticks when all is well (seconds)
    expected: dict[str, float] = field(default_factory=dict)
    ticks: dict[str, float] = field(default_factory=dict)  # stage -> time.monotonic()
    problems: dict[str, str] = field(default_factory=dict)  # what -> why

    def watch(self, stage: str, pause: float) -> None:
        self.expected[stage] = pause
        self.ticks[stage] = time.monotonic()

    def tick(self, stage: str) -> None:
        self.ticks[stage] = time.monotonic()

    def failing(self, what: str, why: str) -> None:
        """Record a problem (logged once, not at every turn that meets it again)."""
        if self.problems.get(what) != why:
            log.error("%s: %s", what, why)
        self.problems[what] = why

    def recovered(self, what: str) -> None:
        if self.problems.pop(what, None) is not None:
            log.info("%s: working again", what)

    def reasons(self, now: float | None = None) -> list[str]:
        """Why the daemon is unhealthy; empty when it is healthy."""
        now = time.monotonic() if now is None else now
        found = [f"{what}: {why}" for what, why in sorted(self.problems.items())]
        for stage, pause in sorted(self.expected.items()):
            idle = now - self.ticks.get(stage, 0.0)
            if idle > STALE_TURNS * pause:
                found.append(f"the {stage} stage has not run for {idle:.0f} s")
        return found
