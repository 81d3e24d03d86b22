"""The deliverer: claims the delivery lease of each channel with ready alerts and sends
that channel's rows (alerts/delivery.py), one task per channel, so a slow or failing
channel holds back only itself. Digests of throttled rules are created by a periodic job
and delivered like any other row."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable

from monitor.alerts.delivery import ChannelDelivery, DeliveryPolicy
from monitor.runtime.context import IDLE_POLL_SECONDS, Runtime, finish_within, wait_any

log = logging.getLogger(__name__)


class Deliverer:
    def __init__(
        self,
        runtime: Runtime,
        *,
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rt = runtime
        config = runtime.config
        self.policy = DeliveryPolicy(
            pace=config.slack.pace if runtime.sender.paced else 0.0,
            max_attempts=config.runtime.max_attempts,
            lease=config.runtime.lease,
        )
        self._jitter = jitter
        self._sleep = sleep
        self._serving: dict[str, asyncio.Task[None]] = {}

    @property
    def busy(self) -> int:
        return len(self._serving)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.rt.health.tick("deliverer")
            started = await self.deliver_available()
            if not started:
                await wait_any(stop, self.rt.wake.queued, timeout=IDLE_POLL_SECONDS)
                self.rt.wake.queued.clear()

    async def drain(self, upstream_done: asyncio.Event) -> None:
        """Deliver until the writer is done and no channel has a ready row (run --once)."""
        while True:
            finished = upstream_done.is_set()
            started = await self.deliver_available()
            await self.wait_idle()
            if not started and finished:
                return
            if not started:
                await wait_any(upstream_done, self.rt.wake.queued, timeout=0.5)
                self.rt.wake.queued.clear()

    async def wait_idle(self) -> None:
        if self._serving:
            await asyncio.wait(list(self._serving.values()))

    async def deliver_available(self) -> int:
        """Start serving every channel with ready rows that we can claim."""
        rt = self.rt
        try:
            channels = await rt.store.claim_channels(rt.owner, rt.now(), self.policy.lease)
        except Exception:
            log.exception("could not claim channels for delivery; trying again shortly")
            return 0
        started = 0
        for channel in channels:
            if channel in self._serving:
                continue
            task = asyncio.get_running_loop().create_task(self._serve(channel))
            self._serving[channel] = task
            task.add_done_callback(functools.partial(self._served, channel))
            started += 1
        return started

    def _served(self, channel: str, _: asyncio.Task[None]) -> None:
        self._serving.pop(channel, None)

    async def _serve(self, channel: str) -> None:
        rt = self.rt
        delivery = ChannelDelivery(
            store=rt.store,
            sender=rt.sender,
            channel=channel,
            owner=rt.owner,
            now=rt.now,
            policy=self.policy,
            tell=rt.ops.tell,
            jitter=self._jitter,
            sleep=self._sleep,
        )
        try:
            report = await delivery.run()
            rt.stats.alerts_sent += report.sent
            rt.stats.alerts_failed += report.failed
            rt.metrics.sent.inc(report.sent)
            rt.metrics.failed.inc(report.failed)
            for rule in report.rules:
                rt.metrics.alerts.labels(rule).inc()
            for lag in report.published_lag:
                rt.metrics.publication_to_alert.observe(max(lag, 0.0))
            for lag in report.send_lag:
                rt.stats.sample(rt.stats.send_lag, lag)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery to %s failed (a bug, please report it)", channel)
        finally:
            try:
                await rt.store.release_channel(channel, rt.owner)
            except Exception:
                log.exception("could not release the delivery lease of %s", channel)

    async def stop(self, grace: float) -> None:
        await finish_within(self._serving.values(), grace)
