"""Ownership-matrix cases for the monitoring routes: a version's series and traces are read
with the version (404 for anyone who may not read it); the site's series are staff's."""

from apps.core.ownership import Case
from apps.datasets.models import Dataset, DatasetVersion
from apps.registry.models import ModelVersion, RegisteredModel


def _version(user):
    model = RegisteredModel.objects.create(owner=user, name="owner-private-model")
    version = ModelVersion.objects.create(
        owner=user, registered_model=model, major=1, minor=0, patch=0, source="starter", status="ready"
    )
    return {"version_id": version.pk}, "owner-private-model"


def _traced(user):
    from apps.monitoring.models import InferenceRecord

    kwargs, marker = _version(user)
    record = InferenceRecord.objects.create(model_version_id=kwargs["version_id"], user=user, source="v1",
                                            status="error", error_code="owner-private-trace")
    return {**kwargs, "trace_id": record.pk}, "owner-private-trace"


def _trace(user):
    ids, marker = _traced(user)
    return {"trace_id": ids["trace_id"]}, marker


def _version_and_data(user):
    kwargs, marker = _version(user)
    dataset = Dataset.objects.create(owner=user, name="reference")
    DatasetVersion.objects.create(owner=user, dataset=dataset, number=1, filename="d.txt", format="txt",
                                  sha256="0" * 64, size_bytes=1, status="valid")
    return kwargs, marker


def _reference(ids):
    # The owner's dataset version: each audience reaches it as it reaches the model.
    owner = ModelVersion.objects.get(pk=ids["version_id"]).owner
    return {"reference_dataset_version_id": DatasetVersion.objects.filter(owner=owner).latest("pk").pk,
            "window_hours": 12}


OWNED_ROUTES = {
    "api-v1:model-version-monitoring": Case(setup=_version, methods={"get": {"series": "requests,latency_p95_ms"}}),
    # Another user's trace is for the version's owners (share); readers open only their own.
    "api-v1:trace-detail": Case(setup=_trace, actions={"get": "share"}),
    # The version's id travels in the query string and names one object: 404 unless readable.
    "api-v1:traces": Case(setup=_traced, ids_in_body="detail",
                          methods={"get": lambda ids: {"model_version": ids["version_id"]}}),
    "api-v1:drift-latest": Case(setup=_version),
    "api-v1:drift-history": Case(setup=_version, methods={"get": {"kind": "prompt"}}),
    "api-v1:drift-settings": Case(setup=_version_and_data, methods={"get": None, "patch": _reference}),
    "api-v1:drift-check": Case(setup=_version, methods={"post": {}}, actions={"post": "run"}),
}

PUBLIC_ROUTES = {
    "api-v1:site-monitoring": "takes no id; the whole site's series, for staff only (404 for anyone else)",
}


# -- alerts: a user's rules and their events are theirs alone (never shared) ----------------------
ALERT_MARKER = "owner-private-alert"


def _alert_rule(user):
    from apps.monitoring.alert_rules import alert_rule_create

    kwargs, _ = _version(user)
    rule = alert_rule_create(user=user, name=ALERT_MARKER, model_version=kwargs["version_id"], series="requests")
    return {"rule_id": rule.pk}, ALERT_MARKER


def _alert_rule_with_webhook(user):
    from apps.monitoring.models import AlertRule

    kwargs, marker = _alert_rule(user)
    # Set as stored, not through the service: the matrix makes no outbound lookups.
    AlertRule.objects.filter(pk=kwargs["rule_id"]).update(webhook_url="https://hooks.example.com/a",
                                                          webhook_secret="0" * 64)
    return kwargs, marker


def _alert_event(user):
    from django.utils import timezone

    from apps.monitoring.models import AlertEvent

    kwargs, marker = _alert_rule(user)
    AlertEvent.objects.create(rule_id=kwargs["rule_id"], fired_at=timezone.now(), message="requests is 3 (>= 0)")
    return kwargs, marker


OWNED_ROUTES |= {
    "api-v1:alert-rule-list": Case(setup=_alert_rule, reach="private"),
    "api-v1:alert-rule-detail": Case(setup=_alert_rule, reach="private",
                                     methods={"get": None, "patch": {"name": "renamed"}, "delete": None}),
    "api-v1:alert-rule-rotate-secret": Case(setup=_alert_rule_with_webhook, reach="private",
                                            methods={"post": None}),
    "api-v1:alert-event-list": Case(setup=_alert_event, reach="private"),
}
PUBLIC_ROUTES |= {
    "api-v1:alert-series": "takes no id; the names of the series a rule may watch",
}
