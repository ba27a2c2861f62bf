"""Reading a /metrics answer: every sample by name and labels, and what moved between two scrapes."""

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, ((label, value), ...)): value} of a Prometheus text exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def moved(before: dict, after: dict, name: str) -> dict[tuple, float]:
    """The samples of `name` whose value changed, by their labels, with the change."""
    changes = {}
    for (sample, labels), value in after.items():
        if sample == name and value != before.get((sample, labels), 0.0):
            changes[labels] = value - before.get((sample, labels), 0.0)
    return changes


def labels(**pairs) -> tuple:
    return tuple(sorted(pairs.items()))
