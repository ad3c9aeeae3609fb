"""Telegram alerter: a Bot API sendMessage, then sendPhoto with the snapshot, to every chat."""

from __future__ import annotations

import logging

import httpx

from camrelay.workers.alarm.alerter_settings import TelegramSettings
from camrelay.workers.alarm.alerters.base import AlerterError, AlertEvent, ConfiguredAlerter

log = logging.getLogger(__name__)


class TelegramAlerter(ConfiguredAlerter[TelegramSettings]):
    """Messages every configured chat through the Bot API at settings.api_base_url."""

    name = "telegram"

    def __init__(
        self, settings: TelegramSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(settings)
        self._transport = transport

    async def send(self, event: AlertEvent) -> None:
        """Send the text, then the snapshot if there is one, to each chat; raise if any failed."""
        failed: list[str] = []
        async with self._client() as client:
            for chat_id in self._settings.chat_ids:
                try:
                    await self._send_to(client, chat_id, event)
                except AlerterError as exc:
                    log.warning("telegram: chat %s: %s", chat_id, exc)
                    failed.append(chat_id)
        if failed:
            raise AlerterError(f"telegram: delivery failed for chat(s) {', '.join(failed)}")

    def _client(self) -> httpx.AsyncClient:
        """A client rooted at the bot's URL; the token is in the path, so never log URLs."""
        base = f"{self._settings.api_base_url}/bot{self._settings.api_key}/"
        return httpx.AsyncClient(
            base_url=base, timeout=self._settings.timeout_s, transport=self._transport
        )

    async def _send_to(self, client: httpx.AsyncClient, chat_id: str, event: AlertEvent) -> None:
        """The message and the photo for one chat."""
        await self._call(client, "sendMessage", json={"chat_id": chat_id, "text": event.message})
        if event.snapshot_jpeg is not None:
            files = {"photo": ("snapshot.jpg", event.snapshot_jpeg, "image/jpeg")}
            await self._call(client, "sendPhoto", data={"chat_id": chat_id}, files=files)

    async def _call(self, client: httpx.AsyncClient, method: str, **kwargs: object) -> None:
        """POST one Bot API method and check its {"ok": true} answer."""
        try:
            response = await client.post(method, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            # str(exc) can carry the URL, and with it the bot token: name the type only.
            raise AlerterError(f"{method}: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not answer.get("ok"):
            reason = answer.get("description", "no description")
            raise AlerterError(f"{method}: HTTP {response.status_code}: {reason}")
