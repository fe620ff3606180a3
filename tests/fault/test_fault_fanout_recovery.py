"""A server process never goes deaf: two uvicorn processes on a Redis server of the test's own (on
its own port), a writer process, and faults on that Redis.

After a Redis restart (during a delivery burst, or while idle) and across channels_redis's
``group_expiry``, every event committed once the processes are back reaches every subscriber on
both processes, old and new, exactly once and in commit order (docs/delivery.rst, "Layer failures").
Needs PostgreSQL and redis-server (skipped without them, except under CI=true).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.fault.test_fault_redis_restart import OwnRedis
from tests.support.load.run import Client, Cluster, open_all
from tests.support.services import require, required

RECOVERED = "Channel layer is back after"


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    require("PostgreSQL")
    if shutil.which("redis-server") is None:
        required("redis-server is not installed")
    redis = OwnRedis()
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
async def cluster(own_redis: OwnRedis, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Cluster]:
    env = {"DCRF_LOAD_REDIS_PORT": str(own_redis.port), "DCRF_LOAD_LOG_LEVEL": "INFO"}
    env.update(getattr(request, "param", {}))
    servers = await asyncio.to_thread(Cluster, env=env, logs=tmp_path)
    try:
        yield servers
    finally:
        servers.stop()


class Subscribers:
    """The open clients (each watching the one item and subscribed to it), with their readers."""

    def __init__(self, cluster: Cluster, pk: int) -> None:
        self.cluster = cluster
        self.pk = pk
        self.clients: list[Client] = []
        self.readers: list[asyncio.Future[None]] = []

    async def add(self, count: int) -> None:
        """``count`` new subscribers, alternating between the two processes."""
        start = len(self.clients)
        clients = [Client(self.cluster.url(start + n), self.pk, self.pk) for n in range(count)]
        await open_all(clients)
        self.clients += clients
        self.readers += [asyncio.ensure_future(client.read()) for client in clients]

    def received(self) -> int:
        return sum(len(c.watched) + len(c.instance_values) for c in self.clients)

    async def quiet(self, seconds: float = 1.0, limit: float = 60.0) -> None:
        """Wait until nothing arrived for ``seconds`` (what was in flight is delivered)."""
        deadline = time.monotonic() + limit
        before = -1
        while self.received() != before and time.monotonic() < deadline:
            before = self.received()
            await asyncio.sleep(seconds)

    async def commit_and_check(self, round_: int, updates: int) -> None:
        """Commit ``updates`` saves (values ROUND*1000+n) and check every subscriber got each one."""
        await self.quiet()
        for client in self.clients:
            client.reset()
        await asyncio.to_thread(self.cluster.command, f"update {round_} {updates}")
        expected = [round_ * 1000 + n for n in range(1, updates + 1)]
        deadline = time.monotonic() + 30
        for _ in range(300):  # every event, or 30 s
            if self.received() >= 2 * updates * len(self.clients) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        await self.quiet(0.5)  # duplicates would arrive now
        for number, client in enumerate(self.clients):
            assert client.closed is None, number
            assert [value for value, _ in client.watched] == expected, (number, self.cluster.url(number))
            # instance events carry the row as read at delivery: one per commit, never going back
            assert len(client.instance_values) == updates, (number, client.instance_values)
            assert client.instance_values == sorted(client.instance_values)
            assert client.instance_values[-1] == expected[-1]
            assert client.unexpected == []

    async def close(self) -> None:
        for client in self.clients:
            await client.ws.close()
        await asyncio.gather(*self.readers, return_exceptions=True)


async def setup(cluster: Cluster, subscribers: int) -> Subscribers:
    pk = (await asyncio.to_thread(cluster.command, "setup 1"))["pks"][0]
    group = Subscribers(cluster, pk)
    await group.add(subscribers)
    return group


async def recovered(cluster: Cluster, times: int = 1, limit: float = 30.0) -> list[str]:
    """Wait until each server logged its ``times``-th recovery; returns those lines."""
    deadline = time.monotonic() + limit
    while True:
        lines = [[line for line in cluster.log(n).splitlines() if RECOVERED in line] for n in range(2)]
        if all(len(found) >= times for found in lines):
            return [found[times - 1] for found in lines]
        assert time.monotonic() < deadline, f"not recovered: {[cluster.log(n)[-2000:] for n in range(2)]}"
        await asyncio.sleep(0.1)


def assert_no_errors(cluster: Cluster) -> None:
    """No ERROR of this package or of uvicorn (channels_redis's own clean-up tasks may log theirs)."""
    for n in range(2):
        log = cluster.log(n)
        assert not re.search(r"^(ERROR|CRITICAL) djangochannelsrestframework|Exception in ASGI", log, re.MULTILINE), log


@pytest.mark.parametrize("cluster", [{"DCRF_LOAD_EVENT_DELAY": "0.002"}], indirect=True)
async def test_a_redis_restart_during_a_delivery_burst(cluster: Cluster, own_redis: OwnRedis) -> None:
    """The reproduction: each process is behind the burst (its events cost 2 ms per socket), so its
    fan-out hands out events that the other readers of the process already took from Redis, and
    never reads from Redis itself during the outage."""
    subscribers = await setup(cluster, 30)
    await asyncio.to_thread(cluster.command, "update 1 150")
    assert subscribers.received() < 2 * 30 * 150  # still delivering: the outage comes in the middle
    own_redis.stop()
    await asyncio.sleep(0.5)
    own_redis.start()
    lines = await recovered(cluster)
    for line in lines:
        assert re.fullmatch(
            r"WARNING djangochannelsrestframework\.observer Channel layer is back after \d+\.\d s: "
            r"this process re-joined its 2 observer groups",
            line,
        ), line
    await subscribers.commit_and_check(2, 20)
    await subscribers.add(2)  # a new subscriber on each process
    await subscribers.commit_and_check(3, 5)
    await subscribers.close()
    assert_no_errors(cluster)


async def test_a_redis_restart_while_idle(cluster: Cluster, own_redis: OwnRedis) -> None:
    subscribers = await setup(cluster, 6)
    await subscribers.commit_and_check(1, 3)
    own_redis.stop()
    await asyncio.sleep(2)
    own_redis.start()
    await recovered(cluster)
    await subscribers.commit_and_check(2, 5)
    await subscribers.add(2)
    await subscribers.commit_and_check(3, 5)
    await subscribers.close()
    assert_no_errors(cluster)


@pytest.mark.parametrize("cluster", [{"DCRF_LOAD_GROUP_EXPIRY": "3"}], indirect=True)
async def test_memberships_outlive_the_group_expiry(cluster: Cluster) -> None:
    subscribers = await setup(cluster, 2)  # one on each process, open for several expiries
    await subscribers.commit_and_check(1, 2)
    for round_ in (2, 3, 4):
        await asyncio.sleep(4)  # longer than the group expiry: only a re-join keeps the membership
        await subscribers.add(2)  # a new subscriber on each process
        await subscribers.commit_and_check(round_, 2)
    await subscribers.close()
    for n in range(2):  # the health line of the periodic re-join
        assert re.search(
            r"INFO djangochannelsrestframework\.observer Observer fan-out: re-joined 2 groups; "
            r"the quietest, DCRF-[0-9a-f]{64}, received nothing for \d+ s",
            cluster.log(n),
        )
    assert RECOVERED not in cluster.log(0) + cluster.log(1)
    assert_no_errors(cluster)
