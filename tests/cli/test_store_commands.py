"""Store URLs, `camrelay migrate`, `camrelay export | camrelay import` on real SQLite files, and
servers started on what was imported, checked through the HTTP API."""

from __future__ import annotations

import asyncio
import io
import os
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from camrelay.server.core import pg_database
from camrelay.server.core.db import LATEST_SCHEMA, Database, migration_scripts
from camrelay.server.core.pg_database import LATEST_SCHEMA as PG_LATEST
from camrelay.server.core.store_export import export_store
from camrelay.server.core.store_import import import_store
from camrelay.server.core.store_snapshot import substr_pieces
from camrelay.server.core.store_tables import DERIVED, SEQUENCED, TABLES, VERSION
from camrelay.server.core.store_url import StoreError, schema_checked, sqlite_path
from tests.support.api import Api, Device
from tests.support.cli import camrelay
from tests.support.old_store import old_store
from tests.support.postgres import fresh_database
from tests.support.relay_server import RelayServer, free_port
from tests.support.state_socket import state_socket

BIG = os.urandom(3 << 19)  # 1.5 MiB: many pieces
PIECE_LINE = '{"piece":"'


def url_of(path: Path) -> str:
    """sqlite:///PATH (four slashes before an absolute path)."""
    return f"sqlite:///{path}"


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a SQLite file, sorted."""
    with sqlite3.connect(path) as conn:
        names = [
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        rows = {name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall()) for name in names}
    conn.close()
    return rows


def rows_in(path: Path) -> int:
    """The rows an export of the file carries (record_usage is recomputed, not carried)."""
    return sum(len(dump(path)[table.name]) for table in TABLES)


async def populate(server: RelayServer, http: httpx.AsyncClient) -> dict[str, Any]:
    """Accounts, users with roles and scopes, a device key, records (one of 1.5 MiB), targeted
    messages given and not, a broadcast, config, camera state and a token, through the real
    commands and API."""
    data = ["--data", str(server.data_dir)]
    camrelay("user", "add", "site", "--server-admin", *data, stdin="site pw\n")
    camrelay("user", "add", "other", *data, stdin="other pw\n")
    guard = ["guard", "--account", "site", "--role", "viewer", "--cameras", "door"]
    camrelay("user", "add", *guard, *data, stdin="guard pw\n")
    made = dict(
        line.split(" ", 1)
        for line in camrelay(
            *"key add --account site --device door".split(), *data
        ).stdout.splitlines()[:2]
    )
    api = Api(http, server.url)
    door = await api.login(made["id"], made["secret"], "door")
    phone = await api.login("site", "site pw", "phone")
    assert (await door.add_record(b"small", "small.jpg"))["result"] == "OK"
    big = await door.add_record(BIG, "big.mjpeg")
    await (await api.login("other", "other pw", "cam")).add_record(b"theirs")
    newest = (await door.add_record(b"deleted"))["rid"]  # the highest id, gone before the move
    assert await phone.call("deleteRecords", records=[newest]) == {"result": "OK"}
    assert await door.call("addMsgs", msg="t1", target="phone") == {"result": "OK"}
    await door.call("addMsgs", msg="b1", params={"n": 1})
    given = await phone.call("getMsgs")
    await door.call("addMsgs", msg="t2", target="phone")
    assert await phone.call("setConfig", config=[{"kind": 7, "fv": 20}]) == {"result": "OK"}
    await server.add_camera("site", "door")
    async with state_socket(server, device="door") as sock:
        await sock.login(username="site", password="site pw")
        await sock.ask({"brightness": 75}, {"brightness": 75, "info": ["brightness"]})
    login = await http.post(
        f"{server.url}/api/login", json={"username": "site", "password": "site pw"}
    )
    return {
        "key": (made["id"], made["secret"]),
        "held": phone.shash,
        "big": big["rid"],
        "deleted": newest,
        "given": [m["msg"] for m in given["msgs"]],
        "token": login.json()["token"],
    }


async def probe(
    server: RelayServer, http: httpx.AsyncClient, facts: dict[str, Any]
) -> dict[str, Any]:
    """What a server answers about the populated store (logins, records, messages, sync)."""
    api = Api(http, server.url)
    seen: dict[str, Any] = {"held": await Device(api, facts["held"], "phone").call("heartBit")}
    seen["wrong"] = await api.call("authorize", {"name": "site", "pass": "nope", "device": "x"})
    door = await api.login(*facts["key"], "door")
    guard = await api.login("guard", "guard pw", "tablet")
    phone = await api.login("site", "site pw", "phone")
    seen["guard_records"] = await guard.call("getRecordCount")
    seen["phone_records"] = await phone.call("getRecordCount")
    seen["meta"] = await phone.call("getRecordMeta", rid=facts["big"])
    got = await http.post(
        f"{server.url}/getRecordData.json", json={"shash": guard.shash, "rid": facts["big"]}
    )
    seen["big_bytes"] = got.content == BIG
    seen["msgs"] = await phone.call("getMsgs")
    seen["synced"] = await phone.call("getMsgsAndSync")
    seen["after_sync"] = await phone.call("getMsgs")
    seen["config"] = await phone.call("getConfig")
    async with state_socket(server, device="door") as sock:
        seen["state"] = await sock.login(username="site", password="site pw")
    storage = await http.get(
        f"{server.url}/api/storage", headers={"Authorization": f"Bearer {facts['token']}"}
    )
    seen["storage"] = (storage.status_code, storage.json())
    await door.call("addMsgs", msg="later", target="phone")
    later = (await phone.call("getMsgs"))["msgs"]
    seen["later_is_newest"] = later[-1]["msg"] == "later" and later[-1]["stamp"] > max(
        m["stamp"] for m in seen["msgs"]["msgs"]
    )
    seen["deleted_id_not_reused"] = (await door.add_record(b"new"))["rid"] > facts["deleted"]
    return seen


def pipe(source: str, target: str) -> subprocess.CompletedProcess[str]:
    """`camrelay export --store SOURCE | camrelay import --store TARGET` in a shell."""
    python = shlex.quote(sys.executable)
    command = (
        f"{python} -m camrelay export --store {shlex.quote(source)} | "
        f"{python} -m camrelay import --store {shlex.quote(target)}"
    )
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=300
    )


def export_of(url: str) -> str:
    """What `camrelay export --store URL` prints (it must succeed)."""
    out = camrelay("export", "--store", url)
    assert (out.returncode, out.stderr) == (0, "")
    return out.stdout


@pytest.mark.parametrize("target_store", ["sqlite", "postgresql"])
async def test_an_exported_store_imported_elsewhere_serves_the_same(
    tmp_path: Path, http: httpx.AsyncClient, target_store: str
) -> None:
    first = RelayServer(tmp_path / "a").start()
    facts = await populate(first, http)
    first.stop()
    source = tmp_path / "a" / "camrelay.sqlite3"
    if target_store == "sqlite":
        target = url_of(tmp_path / "moved" / "b.sqlite3")
    else:
        target = fresh_database()

    moved = pipe(url_of(source), target)

    assert (moved.returncode, moved.stderr) == (0, "")
    assert moved.stdout == f"imported {rows_in(source)} rows into {target}\n"
    assert facts["given"] == ["t1", "b1"]
    if target_store == "sqlite":
        assert dump(tmp_path / "moved" / "b.sqlite3") == dump(source)  # ids, stamps, counters…
    else:
        assert export_of(target) == export_of(url_of(source))  # the same stream, byte for byte
        back = pipe(target, url_of(tmp_path / "back.sqlite3"))
        assert (back.returncode, back.stderr) == (0, "")
        assert dump(tmp_path / "back.sqlite3") == dump(source)  # ids, stamps, counters…
    again = camrelay("import", "--store", target, stdin=export_of(url_of(source)))
    assert (again.returncode, again.stdout, again.stderr) == (
        2,
        "",
        f"camrelay import: the store at {target}: it is not empty (accounts has rows): "
        "import needs an empty, migrated store\n",
    )

    old = RelayServer(tmp_path / "a").start()
    new = RelayServer(tmp_path / "b", store_url=target).start()
    try:
        before, after = await probe(old, http, facts), await probe(new, http, facts)
    finally:
        old.stop()
        new.stop()
    assert after == before
    assert not (tmp_path / "b" / "camrelay.sqlite3").exists()  # the server used --store
    assert after["held"] == {"result": "OK"} and after["big_bytes"]
    assert after["wrong"] == {"result": "BAD", "code": 7}
    assert [r["device"] for r in after["guard_records"]["records"]] == ["door", "door"]
    assert after["meta"] == {
        "result": "OK",
        "device": "door",
        "meta": "big.mjpeg",
        "stamp": after["meta"]["stamp"],
    }
    assert [m["msg"] for m in after["msgs"]["msgs"]] == ["t1", "b1", "t2"]
    assert after["synced"] == after["msgs"] and after["after_sync"] == {"result": "OK", "msgs": []}
    assert after["storage"] == (
        200,
        {"used": len(BIG) + 5, "quota": 20 << 20, "purgeOldest": False},
    )
    assert after["later_is_newest"] and after["state"]["brightness"] == 75
    assert after["deleted_id_not_reused"]


@pytest.fixture
async def exported(tmp_path: Path, http: httpx.AsyncClient) -> str:
    """The export of a small store with a record of three pieces."""
    server = RelayServer(tmp_path / "small").start()
    try:
        await server.add_account("solo", "solo pw")
        device = await Api(http, server.url).login("solo", "solo pw", "cam")
        await device.add_record(bytes(range(256)) * 1200)
        await device.call("addMsgs", msg="hello", target="phone")
    finally:
        server.stop()
    out = camrelay("export", "--data", str(tmp_path / "small"))
    assert (out.returncode, out.stderr) == (0, "")
    return out.stdout


def cut_in(text: str, marker: str) -> str:
    """`text` up to the middle of its first line holding `marker`."""
    at = text.index(marker)
    return text[: at + len(marker) + 10]


def bad_inputs(good: str) -> list[tuple[str, str]]:
    """Broken streams and the line `camrelay import` answers each with."""
    lines = good.splitlines(keepends=True)
    first_piece = next(n for n, text in enumerate(lines, 1) if text.startswith(PIECE_LINE))
    users_fk = good.replace('{"table":"accounts","row":[1,', '{"table":"accounts","row":[9,', 1)
    return [
        ("", "the stream is empty: no camrelay export header"),
        ("garbage\n", "line 1: not JSON (Expecting value: line 1 column 1 (char 0))"),
        (
            '{"format":"other"}\n',
            f"line 1: not a camrelay-store export version {VERSION} (camrelay export writes one)",
        ),
        (
            good.replace(f'"schema":{LATEST_SCHEMA}', '"schema":4', 1),
            f"line 1: the export has schema 4, this camrelay imports schema {LATEST_SCHEMA}: "
            "export and import with the same camrelay",
        ),
        (
            "".join(lines[:2]) + "garbage\n" + "".join(lines[2:]),
            "line 3: not JSON (Expecting value: line 1 column 1 (char 0))",
        ),
        (users_fk, "line 3: the store refused a users row: FOREIGN KEY constraint failed"),
        (cut_in(good, PIECE_LINE), f"the stream is cut: line {first_piece} ends half-way"),
        ("".join(lines[:-3]), "the stream is cut: a record lacks 45056 bytes"),
        (
            "".join(lines[:-2] + lines[-1:]),
            f"line {len(lines) - 1}: the end line comes without a sequences line before it",
        ),
        (
            "".join(
                lines[:-2] + [lines[-2].replace('"records":', '"records":-1,"old":')] + lines[-1:]
            ),
            f"line {len(lines) - 1}: the sequences line gives accounts, users, messages, "
            "records ids from 0 up",
        ),
        ("".join(lines[:-1]), f"the stream is cut after line {len(lines) - 1}: no end line"),
        (good + "more\n", f"line {len(lines) + 1}: more after the end line"),
    ]


async def test_bad_streams_are_refused_with_a_line_and_leave_the_store_empty(
    tmp_path: Path, exported: str
) -> None:
    assert camrelay("migrate", "--store", str(tmp_path / "fresh.sqlite3")).returncode == 0
    fresh = dump(tmp_path / "fresh.sqlite3")
    for n, (stream, said) in enumerate(bad_inputs(exported)):
        target = url_of(tmp_path / f"t{n}.sqlite3")
        refused = camrelay("import", "--store", target, stdin=stream)
        assert (refused.returncode, refused.stdout, refused.stderr) == (
            2,
            "",
            f"camrelay import: {said}\n",
        )
        assert dump(tmp_path / f"t{n}.sqlite3") == fresh, said
    good = camrelay("import", "--store", target, stdin=exported)
    assert (good.returncode, good.stderr) == (0, "")


def test_migrate_brings_an_old_store_up_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = old_store(path, 3)
    conn.close()
    newer = tmp_path / "newer.sqlite3"
    old_store(newer, LATEST_SCHEMA).execute("PRAGMA user_version=99").connection.close()

    first = camrelay("migrate", "--store", url_of(path))
    second = camrelay("migrate", "--store", str(path))
    too_new = camrelay("migrate", "--store", str(newer))

    assert (first.returncode, first.stdout) == (0, f"schema 3 -> {LATEST_SCHEMA}\n")
    assert (second.returncode, second.stdout) == (0, f"schema {LATEST_SCHEMA}: up to date\n")
    assert (too_new.returncode, too_new.stderr) == (
        2,
        f"camrelay migrate: the store at {newer} has schema 99, newer than this camrelay's "
        f"{LATEST_SCHEMA}: run a newer camrelay\n",
    )
    assert "users" in dump(path)


def test_a_postgresql_store_is_served_only_once_camrelay_migrate_brought_it_up(
    tmp_path: Path,
) -> None:
    empty, older = fresh_database(migrated=False), fresh_database(migrated=False)
    with psycopg.connect(older, autocommit=True) as conn:
        for _, script in migration_scripts("migrations_pg")[:3]:
            conn.execute(script.encode())
        conn.execute("UPDATE schema_version SET version=3")
    for url, schema in ((empty, 0), (older, 3)):
        refused = command("serve", "--data", str(tmp_path), "--store", url)
        first, second = command("migrate", "--store", url), command("migrate", "--store", url)

        assert (refused.returncode, refused.stdout, refused.stderr) == (
            2,
            "",
            f"camrelay serve: the store at {url} has schema {schema}, this camrelay needs "
            f"{PG_LATEST}: run camrelay migrate --store {url}\n",
        )
        assert (first.returncode, first.stdout, first.stderr) == (
            0,
            f"schema {schema} -> {PG_LATEST}\n",
            "",
        )
        assert (second.returncode, second.stdout) == (0, f"schema {PG_LATEST}: up to date\n")
    served = RelayServer(tmp_path / "served", store_url=older).start()
    assert served.stop() == 0


async def test_a_store_that_does_not_migrate_itself_is_refused_until_migrated(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.sqlite3"
    old_store(path, 4).close()
    db = await Database.open(path, migrate=False)
    db.migrates_itself = False  # as PostgreSQL's store says: nodes never change a shared schema
    with pytest.raises(StoreError) as refused:
        await schema_checked(db, "postgresql://relay:secret@db:5432/camrelay")
    assert str(refused.value) == (
        f"the store at postgresql://relay:***@db:5432/camrelay has schema 4, this camrelay needs "
        f"{LATEST_SCHEMA}: run camrelay migrate --store postgresql://relay:***@db:5432/camrelay"
    )
    db = await Database.open(path)
    db.migrates_itself = False
    assert await schema_checked(db, str(path)) is db
    await db.close()


def command(*args: str) -> subprocess.CompletedProcess[str]:
    """`camrelay ARGS` as a process of its own, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "camrelay", *args], capture_output=True, text=True, timeout=60
    )


def test_serve_refuses_a_store_it_cannot_use(tmp_path: Path) -> None:
    server = command("serve", "--data", str(tmp_path), "--store", "mysql://u:pw@h/db")
    assert (server.returncode, server.stderr) == (
        2,
        "camrelay serve: store.url: unsupported store 'mysql://u:***@h/db' "
        "(use sqlite:///PATH or postgresql://…)\n",
    )


def test_store_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sqlite_path("sqlite:///data/x.sqlite3") == Path("data/x.sqlite3")
    assert sqlite_path("sqlite:////var/lib/x.sqlite3") == Path("/var/lib/x.sqlite3")
    assert sqlite_path("x.sqlite3") == Path("x.sqlite3")
    assert sqlite_path("postgresql://u@h:5432/db") is None
    assert sqlite_path("postgres://u:p@h/db?sslmode=require") is None
    for bad in ("sqlite://", "sqlite:///", "sqlite://host/x"):
        with pytest.raises(StoreError, match="names no file"):
            sqlite_path(bad)
    monkeypatch.setenv("CAMRELAY_STORE_URL", url_of(tmp_path / "env.sqlite3"))
    added = camrelay("user", "add", "envy", "--data", str(tmp_path / "d"), stdin="pw\n")
    flagged = camrelay("user", "list", "--store", str(tmp_path / "env.sqlite3"))
    keyed = camrelay("key", "list", "--store", str(tmp_path / "elsewhere.sqlite3"))
    assert (added.returncode, flagged.stdout) == (
        0,
        "envy\taccount=envy\trole=admin\tcameras=all\n",
    )
    assert (keyed.returncode, keyed.stdout) == (0, "")
    assert not (tmp_path / "d" / "camrelay.sqlite3").exists()
    (tmp_path / "text.sqlite3").write_text("not a database\n" * 100)
    garbled = camrelay("user", "list", "--store", str(tmp_path / "text.sqlite3"))
    assert (garbled.returncode, garbled.stderr) == (
        2,
        f"camrelay: store.url: cannot open '{tmp_path / 'text.sqlite3'}': file is not a database\n",
    )
    pg = camrelay("user", "list", "--store", "postgresql://u@127.0.0.1:1/db")
    assert pg.returncode == 2 and pg.stderr.startswith(
        "camrelay: store.url: cannot open 'postgresql://u@127.0.0.1:1/db': "
        "cannot connect to PostgreSQL: "
    )
    assert pg.stderr.count("\n") == 1  # one line, no traceback


async def test_the_export_knows_every_table_and_column_of_the_schema(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.sqlite3")
    try:
        names = {
            r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")
        }
        counted = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE '%AUTOINCREMENT%'"
        )
        columns = {
            table.name: [r[1] for r in await db.fetchall(f"PRAGMA table_info({table.name})")]
            for table in TABLES
        }
    finally:
        await db.close()
    assert names - {"sqlite_sequence"} == {t.name for t in TABLES} | set(DERIVED)
    assert sorted(r[0] for r in counted) == sorted(SEQUENCED)  # the sequences line has each
    for table in TABLES:
        extra = ["data"] if table.name == "records" else []
        assert sorted(columns[table.name]) == sorted([*table.columns, *extra]), table.name


class _PlainConnection:
    """A write job's connection offering plain SQL only, as a server store's adapter does."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Any = ()) -> Any:
        return await self._conn.execute(sql, params)

    async def executemany(self, sql: str, rows: Any) -> Any:
        return await self._conn.executemany(sql, rows)


class _PlainSnapshot:
    """A SQLite snapshot read as a store without SQLite's blob calls reads it: substr()."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def fetchall(self, sql: str, params: Any = ()) -> Any:
        return await self._inner.fetchall(sql, params)

    def pieces(self, rid: int, size: int) -> AsyncIterator[bytes]:
        return substr_pieces(self, rid, size)

    async def highest_ids(self) -> dict[str, int]:
        return dict(await self._inner.highest_ids())


class PlainSql(Database):
    """SQLite reached the way a store without SQLite's blob calls is: plain SQL only."""

    async def write(self, job: Any) -> Any:
        return await super().write(lambda conn: job(_PlainConnection(conn)))

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Any]:  # type: ignore[override]
        async with super().snapshot() as inner:
            yield _PlainSnapshot(inner)


async def test_the_plain_sql_paths_move_the_same_rows_and_bytes(
    tmp_path: Path, exported: str
) -> None:
    db = await PlainSql.open(tmp_path / "plain.sqlite3")
    try:
        rows = await import_store(db, io.BytesIO(exported.encode()))
        again = io.BytesIO()
        await export_store(db, again)
    finally:
        await db.close()
    by_cli = camrelay("import", "--store", str(tmp_path / "cli.sqlite3"), stdin=exported)
    assert by_cli.stdout == f"imported {rows} rows into {tmp_path / 'cli.sqlite3'}\n"
    assert dump(tmp_path / "plain.sqlite3") == dump(tmp_path / "cli.sqlite3")
    assert again.getvalue().decode() == exported


ROUND_BYTES = 64 << 10


def record_of(i: int) -> bytes:
    """The bytes of the writer's record i."""
    return bytes([i % 256]) * ROUND_BYTES


class Writer:
    """Rounds of writes through the API until stopped: round i adds record r{i} and message m{i}
    and deletes record r{i-2}; `reached(n)` waits until n rounds are done."""

    def __init__(self, cam: Device, phone: Device) -> None:
        self.cam, self.phone = cam, phone
        self.rounds = 0
        self.stop = False
        self._progress = asyncio.Condition()

    async def run(self) -> None:
        rids: dict[int, int] = {}
        while not self.stop:
            i = self.rounds + 1
            rids[i] = (await self.cam.add_record(record_of(i), f"r{i}"))["rid"]
            sent = await self.cam.call("addMsgs", msg=f"m{i}", target="phone")
            assert sent == {"result": "OK"}
            if i > 2:
                gone = await self.phone.call("deleteRecords", records=[rids.pop(i - 2)])
                assert gone == {"result": "OK"}
            async with self._progress:
                self.rounds = i
                self._progress.notify_all()

    async def reached(self, rounds: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: self.rounds >= rounds)


@pytest.mark.parametrize("source_store", ["sqlite", "postgresql"])
async def test_an_export_while_a_server_writes_is_one_consistent_moment(
    tmp_path: Path, http: httpx.AsyncClient, source_store: str
) -> None:
    url = fresh_database() if source_store == "postgresql" else ""
    uncapped = {"CAMRELAY_SESSIONS_ENFORCE_REQUEST_CAPS": "false"}  # the writer goes on and on
    server = RelayServer(tmp_path / "live", env=uncapped, store_url=url).start()
    source = url or url_of(tmp_path / "live" / "camrelay.sqlite3")
    try:
        await server.add_account("busy", "busy pw")
        api = Api(http, server.url)
        writer = Writer(
            await api.login("busy", "busy pw", "cam"), await api.login("busy", "busy pw", "phone")
        )
        await writer.cam.add_record(BIG, "big")  # exported before the writer's records
        writing = asyncio.create_task(writer.run())
        await writer.reached(3)
        export = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "camrelay", "export", "--store", source),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=256 << 10,  # a line is at most 175 KiB; the pipe fills long before BIG ends
        )
        assert export.stdout is not None
        head = b""
        while not head.endswith(b'"big",'):  # up to the big record's row: the records are read
            head += await export.stdout.readuntil(b'"big",')
        # The export now waits on the full pipe, half-way through the big record's bytes, while
        # the writer adds records, messages and deletes the records read but not yet written.
        await writer.reached(writer.rounds + 3)
        rest, err = await export.communicate()
        writer.stop = True
        await writing
    finally:
        server.stop()
    stream = (head + rest).decode()
    assert (export.returncode, err) == (0, b"")

    target = tmp_path / "copy.sqlite3"
    moved = camrelay("import", "--store", url_of(target), stdin=stream)
    assert (moved.returncode, moved.stderr) == (0, "")
    rows = dump(target)
    k = len(rows["messages"])
    assert 3 <= k < writer.rounds
    assert sorted(m[4] for m in rows["messages"]) == sorted(f"m{i}" for i in range(1, k + 1))
    records = {r[3]: r for r in rows["records"]}
    written = sorted(int(meta[1:]) for meta in records if meta != "big")
    # The states a writer's round passes through, seen with k messages; no other is a moment.
    assert written in ([k - 1, k], [k - 1, k, k + 1], [k - 2, k - 1, k]), (k, written)
    assert all(records[f"r{i}"][-1] == record_of(i) for i in written)
    assert records["big"][-1] == BIG
    assert rows["record_usage"] == [(1, len(BIG) + len(written) * ROUND_BYTES)]


class SlowPipe(io.BytesIO):
    """An export arriving slowly (a pipe from another machine): each line a while after the
    one before."""

    def readline(self, size: int | None = -1, /) -> bytes:
        time.sleep(0.05)
        return super().readline(size)


async def test_an_import_into_postgresql_takes_as_long_as_its_stream(
    tmp_path: Path, exported: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node's writes have a deadline (a frozen server answers code 3); an import is one
    transaction as long as its stream, and that deadline must not cut it."""
    monkeypatch.setattr(pg_database, "JOB_TIMEOUT_S", 0.3)  # the stream takes longer
    monkeypatch.setattr(pg_database, "WAIT_S", 0.5)
    db = await pg_database.PgDatabase.open(fresh_database())
    try:
        source = SlowPipe(exported.encode())
        rows = await import_store(db, source)
        kept = await db.fetchone("SELECT COUNT(*) FROM messages")
    finally:
        await db.close()
    into_sqlite = camrelay("import", "--store", str(tmp_path / "fast.sqlite3"), stdin=exported)
    assert into_sqlite.stdout.startswith(f"imported {rows} rows ")
    assert kept[0] == 1


def test_a_password_given_as_a_url_parameter_is_never_shown() -> None:
    """libpq takes the password in the URL's user part or as ?password=: both are hidden in
    every message (a log line, a terminal, a CI log must not carry it)."""
    for url in (
        f"postgresql://u:s3cret@127.0.0.1:{free_port()}/db",
        f"postgresql://u@127.0.0.1:{free_port()}/db?sslmode=disable&password=s3cret",
        f"postgres://u@127.0.0.1:{free_port()}/db?password=s3cret&connect_timeout=2",
    ):
        for command in (["migrate", "--store", url], ["user", "list", "--store", url]):
            refused = camrelay(*command)
            assert refused.returncode == 2 and "cannot open" in refused.stderr
            assert "s3cret" not in refused.stderr + refused.stdout, refused.stderr
