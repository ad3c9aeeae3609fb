"""Fixtures the alarm tests share: the fake Bot API and the local SSH siren host, defined
beside the alerter tests that introduced them."""

from tests.workers.alarm.test_alarm_siren import siren_host  # noqa: F401
from tests.workers.alarm.test_alarm_telegram import bot_api  # noqa: F401
