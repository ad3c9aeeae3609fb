"""Which alerter plugins exist and how each is built from its [alerters.<name>] table."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from camrelay.workers.alarm.alerter_settings import AlerterSettings, AlertersSettings
from camrelay.workers.alarm.alerters.base import Alerter
from camrelay.workers.alarm.alerters.siren import SirenAlerter
from camrelay.workers.alarm.alerters.telegram import TelegramAlerter

log = logging.getLogger(__name__)

Factory = Callable[[AlertersSettings], tuple[AlerterSettings, Alerter]]

# Plugins built from settings alone. The third plugin, "relay" (stores a record and sends a
# broadcast through the relay client), needs the worker's live RelayClient, so the worker
# builds it and passes it to build_alerters(..., extra=[relay_alerter]).
PLUGINS: dict[str, Factory] = {
    "telegram": lambda s: (s.telegram, TelegramAlerter(s.telegram)),
    "siren": lambda s: (s.siren, SirenAlerter(s.siren)),
}


def build_alerters(settings: AlertersSettings, extra: Iterable[Alerter] = ()) -> list[Alerter]:
    """Every plugin whose table is complete, plus the extra ones the worker built.

    An enabled plugin with missing settings is left out with a warning rather than
    failing at every alarm.
    """
    alerters: list[Alerter] = []
    for name, factory in PLUGINS.items():
        plugin_settings, alerter = factory(settings)
        missing = plugin_settings.missing()
        if plugin_settings.enabled and missing:
            log.warning("alerter %s is enabled but has no %s; left out", name, ", ".join(missing))
            continue
        alerters.append(alerter)
    alerters.extend(extra)
    return alerters
