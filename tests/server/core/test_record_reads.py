"""Record answers read a piece at a time, their slots, and the storage quota, on the core alone."""

from __future__ import annotations

import asyncio
import os

import pytest

from camrelay.protocol.errors import QuotaExceeded, ServerBusy
from camrelay.server.core import blob_reads
from camrelay.server.core.accounts import Account
from camrelay.server.core.relay import Relay

MIB = 1 << 20


async def test_a_large_record_comes_in_pieces_of_at_most_one_piece_size(
    relay: Relay, owner: Account
) -> None:
    blob = os.urandom(3 * MIB + 5)
    rid = (await relay.records.add(owner.id, "cam", "MJPEG", blob)).rid
    found = await relay.records.data(owner.id, rid, "session")
    assert found.stream is not None and found.size == len(blob) and found.meta == "MJPEG"
    pieces = [piece async for piece in found.stream.pieces()]
    assert max(len(p) for p in pieces) == blob_reads.PIECE
    assert b"".join(pieces) == blob
    assert relay.records.read_slots.in_use == 0


async def test_a_small_record_comes_whole_and_takes_no_slot(relay: Relay, owner: Account) -> None:
    rid = (await relay.records.add(owner.id, "cam", "", b"jpeg")).rid
    found = await relay.records.data(owner.id, rid, "session")
    assert (found.whole, found.stream) == (b"jpeg", None)


async def test_a_record_deleted_mid_answer_ends_it_short(
    relay: Relay, owner: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blob_reads, "IDLE_S", 0)  # the reader pauses: the store is let go at once
    rid = (await relay.records.add(owner.id, "cam", "", os.urandom(MIB))).rid
    found = await relay.records.data(owner.id, rid, "session")
    assert found.stream is not None
    pieces = found.stream.pieces()
    first = await anext(pieces)
    await relay.records.delete(owner.id, [rid])
    rest = [piece async for piece in pieces]
    assert (len(first), rest) == (blob_reads.PIECE, [])
    assert relay.records.read_slots.in_use == 0


async def test_a_session_holds_at_most_four_large_answers(relay: Relay, owner: Account) -> None:
    rid = (await relay.records.add(owner.id, "cam", "", os.urandom(MIB))).rid
    held = [await relay.records.data(owner.id, rid, "s1") for _ in range(4)]
    with pytest.raises(ServerBusy) as refused:
        await relay.records.data(owner.id, rid, "s1")
    assert refused.value.code == 5
    other = await relay.records.data(owner.id, rid, "s2")  # another session is not held back
    assert held[0].stream is not None and other.stream is not None
    held[0].stream.close()
    held[0].stream.close()  # closing twice gives one slot back, not two
    again = await relay.records.data(owner.id, rid, "s1")
    assert relay.records.read_slots.in_use == 5
    for found in [*held, other, again]:
        assert found.stream is not None
        found.stream.close()
    assert relay.records.read_slots.in_use == 0


async def test_concurrent_records_never_outgrow_the_quota_together(
    relay: Relay, owner: Account
) -> None:
    await relay.config.update(owner.id, [(7, 1)])
    results = await asyncio.gather(
        *(relay.records.add(owner.id, "cam", "", b"x" * (MIB // 3)) for _ in range(4)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(refused) == 1 and refused[0].code == 17
    assert await relay.records.usage(owner.id) == 3 * (MIB // 3)


async def test_usage_follows_deletes_and_retention(relay: Relay, owner: Account) -> None:
    first = await relay.records.add(owner.id, "cam", "", b"a" * 100)
    await relay.records.add(owner.id, "cam", "", b"b" * 50)
    await relay.records.delete(owner.id, [first.rid])
    assert await relay.records.usage(owner.id) == 50
    await relay.records.purge_older(owner.id, "9999")
    assert await relay.records.usage(owner.id) == 0
