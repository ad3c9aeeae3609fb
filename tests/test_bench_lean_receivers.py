"""The lean receivers the state and admin benches judge their targets on (bench/lean_receivers.py)
get every broadcast and every event, once, against a real server: a figure taken with an
instrument that drops or doubles messages would mean nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from bench import admin, state
from bench.admin_receivers import AdminReceivers
from bench.client_processes import ClientProcesses, lean
from tests.support.relay_server import RelayServer

SOCKETS = 3


async def test_every_state_reader_gets_each_write_once(data_dir: Path) -> None:
    server = RelayServer(data_dir, env=state.STATE_ENV).start()
    try:
        url, token = await state.prepare(server)
        readers = ClientProcesses(lean("state"), url, token, SOCKETS, processes=2)
        await readers.start()
        writer = await state.logged_in(url, token)
        before = time.monotonic_ns()
        for value in (7, 8, 9):
            await writer.send(json.dumps({"brightness": value}))
            assert json.loads(await writer.recv()) == {"brightness": value, "info": ["brightness"]}
        await writer.close()
        found = [seen for figures in await readers.stop() for seen in figures]
    finally:
        server.stop()
    assert [[value for value, _ in seen] for seen in found] == [[7, 8, 9]] * SOCKETS
    assert all(int(ns) > before for seen in found for _, ns in seen)


async def test_every_admin_reader_gets_each_event_once(data_dir: Path) -> None:
    server = RelayServer(data_dir, env=admin.ADMIN_ENV).start()
    try:
        await server.add_account(admin.USER, admin.PASSWORD)
        async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
            token = await admin.token_of(http, server.url)
            shash = await admin.shash_of(http, server.h2c_url)
            receivers = AdminReceivers(server.h2c_url, token, SOCKETS, 2, "lean")
            await receivers.ready()
            params = {"shash": shash, "device": "no-such-camera"}
            for index in range(2):
                await http.get(f"{server.h2c_url}/output.raw", params=params)
                await receivers.received(index)  # every socket has it
        arrivals = await receivers.arrivals()
    finally:
        server.stop()
    assert [len(times) for times in arrivals.times] == [2] * SOCKETS
    assert len(arrivals.since_at) == 2 * SOCKETS
