"""Bearer tokens (CONTRACT §4): valid while used within the idle timeout, gone after a logout,
stored only as a hash; a wrong login waits its turn like authorize."""

from __future__ import annotations

import pytest

from camrelay.protocol.errors import NoSuchUser
from camrelay.server.core.accounts import Account
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.relay import Relay
from camrelay.server.core.tokens import iso_time

ADDRESS = "127.0.0.1"


async def test_login_answers_the_contracts_shape(relay: Relay, owner: Account) -> None:
    grant = await relay.tokens.log_in("owner", "secret", ADDRESS)
    assert grant.answer() == {
        "token": grant.token,
        "expires": iso_time(relay.clock.now() + 12 * 3600),
        "user": "owner",
        "account": "owner",
        "role": "admin",
        "cameras": None,
    }
    assert len(grant.token) == 43
    assert iso_time(1_700_000_000.5) == "2023-11-14T22:13:20.500Z"


async def test_a_token_lapses_when_idle_and_lives_while_used(
    relay: Relay, owner: Account, clock: ManualClock
) -> None:
    idle = relay.tokens.idle_s
    used = await relay.tokens.log_in("owner", "secret", ADDRESS)
    unused = await relay.tokens.log_in("owner", "secret", ADDRESS)
    for _ in range(3):
        clock.advance(idle - 1)
        assert await relay.tokens.identify(used.token) is not None
    assert await relay.tokens.expires(used.token) == clock.now() + idle
    assert await relay.tokens.identify(unused.token) is None
    clock.advance(idle + 1)
    assert await relay.tokens.identify(used.token) is None


async def test_logout_revokes_once(relay: Relay, owner: Account) -> None:
    grant = await relay.tokens.log_in("owner", "secret", ADDRESS)
    other = await relay.tokens.log_in("owner", "secret", ADDRESS)
    assert await relay.tokens.revoke(grant.token) is True
    assert await relay.tokens.identify(grant.token) is None
    assert await relay.tokens.revoke(grant.token) is False
    assert await relay.tokens.identify(other.token) is not None


@pytest.mark.parametrize("token", ["", "x" * 129, "not a token"])
async def test_unknown_tokens_are_nobody(relay: Relay, owner: Account, token: str) -> None:
    assert await relay.tokens.identify(token) is None


async def test_only_the_hash_is_stored(relay: Relay, owner: Account) -> None:
    grant = await relay.tokens.log_in("owner", "secret", ADDRESS)
    path = relay.db.path
    assert path is not None
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert grant.token.encode() not in stored


async def test_a_wrong_login_counts_as_a_failure_of_the_address(
    relay: Relay, owner: Account
) -> None:
    with pytest.raises(NoSuchUser):
        await relay.tokens.log_in("owner", "wrong", ADDRESS)
    assert relay.throttle.delay(ADDRESS) > 0
    await relay.tokens.log_in("owner", "secret", ADDRESS)
    assert relay.throttle.delay(ADDRESS) == 0
