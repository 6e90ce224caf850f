"""Reading /metrics as Prometheus does, with the scrape token (the monitoring tests' conftest
sets it; the test servers get it in their environment): the text format through
prometheus-client's own parser, then a sample's value by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "scrape-token-for-tests"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def scrape(client) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of /metrics as a Django test `client` reads it with the token."""
    return parse(client.get("/metrics", **AUTH).content.decode())


def parse(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of a scrape: (name, labels, value)."""
    return [(sample.name, sample.labels, sample.value)
            for family in text_string_to_metric_families(text) for sample in family.samples]


def value(samples: list, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when none)."""
    return sum(v for n, sample_labels, v in samples
               if n == name and all(sample_labels.get(k) == want for k, want in labels.items()))
