"""Reading a test server's live figures from its /metrics (the tests talk from 127.0.0.1),
parsed by prometheus_client's own parser; the bench reads them the same way."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]  # a sample's labels, sorted; () for an unlabelled metric


def samples(text: str) -> dict[str, dict[Labels, float]]:
    """Every sample of Prometheus text, by sample name (counters end in `_total`), then labels."""
    found: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def scrape(url: str, http: httpx.AsyncClient | None = None) -> str:
    """The text of GET {url}/metrics, over `http` or a client of its own."""
    if http is not None:
        return (await http.get(f"{url}/metrics")).text
    async with httpx.AsyncClient(verify=False, timeout=10) as own:
        return (await own.get(f"{url}/metrics")).text


async def metric_values(
    url: str, name: str, http: httpx.AsyncClient | None = None
) -> dict[Labels, float]:
    """Every sample named `name`, by its labels; empty when it has none (no stream yet)."""
    return samples(await scrape(url, http)).get(name, {})


async def metric(url: str, name: str, http: httpx.AsyncClient | None = None) -> float:
    """The value of the unlabelled metric `name`."""
    text = await scrape(url, http)
    value = samples(text).get(name, {}).get(())
    assert value is not None, f"{name} not in /metrics:\n{text}"
    return value


def device_sum(values: dict[Labels, float], device: str) -> float:
    """The sum of the samples labelled device=`device`, in every account."""
    return sum(value for labels, value in values.items() if ("device", device) in labels)


async def stream_viewers(url: str, device: str) -> int:
    """Viewers attached to the streams of devices named `device`, in every account."""
    return int(device_sum(await metric_values(url, "camrelay_stream_viewers"), device))
