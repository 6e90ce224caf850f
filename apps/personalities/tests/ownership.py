"""Ownership-matrix cases for the personality routes (built-ins are everyone's; these
cases use an owned personality, which the other user must not see)."""

from apps.core.ownership import Case
from apps.personalities.models import PersonalityApplication, PersonalityEvaluation
from apps.registry.models import ModelVersion, RegisteredModel

from .factories import config_personality, ready_evaluation

MARKER = "owner-private-personality"


def _personality(user):
    return {"personality_id": config_personality(user, name=MARKER).pk}, MARKER


def _version(user):
    personality = config_personality(user, name=MARKER)
    return {"version_id": personality.current_version_id}, MARKER


APPLIED = "owner-private-applied-model"


def _model_version(user):
    model = RegisteredModel.objects.create(owner=user, name=APPLIED)
    return ModelVersion.objects.create(owner=user, registered_model=model, major=1, minor=0, patch=0,
                                       source="starter", status="ready")


def _evaluation(user):
    personality = config_personality(user, name=MARKER)
    evaluation = ready_evaluation(_model_version(user), personality.current_version, alignment=0.5, chart=True)
    return {"evaluation_id": evaluation.pk}, APPLIED


def _application(user):
    kwargs, marker = _evaluation(user)
    evaluation = PersonalityEvaluation.objects.get(pk=kwargs["evaluation_id"])
    application = PersonalityApplication.objects.create(
        owner=user, model_version=evaluation.model_version, personality_version=evaluation.personality_version,
        method="prompt", status="ready", evaluation=evaluation)
    return {"application_id": application.pk}, marker


OWNED_ROUTES = {
    "api-v1:personality-list": Case(setup=_personality),
    "api-v1:personality-detail": Case(
        setup=_personality, methods={"get": None, "patch": {"traits": {"warmth": 0.1}}, "delete": None}
    ),
    "api-v1:personality-copy": Case(setup=_personality, methods={"post": {}}, actions={"post": "read"}),
    "api-v1:personality-versions": Case(setup=_personality),
    "api-v1:personality-score": Case(setup=_personality, methods={"post": {"texts": ["Hello there."]}},
                                     actions={"post": "read"}),
    "api-v1:personality-version-detail": Case(setup=_version),
    "api-v1:personality-version-download": Case(setup=_version),
    # Applications and evaluations stay private to whoever started them.
    "api-v1:personality-application-list": Case(setup=_application, reach="private"),
    "api-v1:personality-application-detail": Case(setup=_application, reach="private"),
    "api-v1:personality-application-report": Case(setup=_application, reach="private"),
    "api-v1:personality-application-chart": Case(setup=_application, reach="private"),
    "api-v1:personality-evaluation-list": Case(setup=_evaluation, reach="private"),
    "api-v1:personality-evaluation-detail": Case(setup=_evaluation, reach="private"),
    "api-v1:personality-evaluation-report": Case(setup=_evaluation, reach="private"),
    "api-v1:personality-evaluation-chart": Case(setup=_evaluation, reach="private"),
}

PUBLIC_ROUTES = {
    "api-v1:personality-preview": "computes a prompt from the request body only; names no stored object",
    "api-v1:personality-probe-list": "the shipped evaluation probes, the same for every user",
}
