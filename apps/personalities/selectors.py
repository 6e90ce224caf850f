"""Reads for personalities. A user sees the built-ins and their own; any other id is
indistinguishable from one that does not exist (404). Applications and evaluations are
owned rows, read through apps.core.selectors."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound

from apps.core.selectors import owned_get, owned_queryset

from .models import Personality, PersonalityApplication, PersonalityEvaluation, PersonalityVersion


def _visible(*, user, via: str = "") -> Q:
    """Built-ins and the user's own; `via` is the path to the personality ("personality__")."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return Q(**{f"{via}owner": user}) | Q(**{f"{via}owner__isnull": True})


def personality_list(*, user, kind: str | None = None) -> QuerySet[Personality]:
    """Built-ins first, then the user's own, by name."""
    queryset = Personality.objects.filter(_visible(user=user)).select_related("current_version")
    return queryset.filter(kind=kind) if kind else queryset


def personality_get(*, user, personality_id) -> Personality:
    """A built-in or the user's own personality with this id, or NotFound."""
    try:
        return personality_list(user=user).get(pk=int(personality_id))
    except (ValueError, TypeError, Personality.DoesNotExist):
        raise NotFound(f"No personality with id {personality_id}.") from None


def personality_get_by_name(*, user, name: str) -> Personality:
    """The user's own personality called `name`, else the built-in of that name or archetype
    ("Sage", "sage", "cheerful-enthusiast"), or NotFound; how chat and /v1 take a name."""
    from ml.personality import ConfigPersonality, PersonalityError

    given = name.strip()
    own = personality_list(user=user).filter(owner=user, name=given).first() if given else None
    if own is not None:
        return own
    try:
        builtin_name = ConfigPersonality.from_archetype(given).name
    except PersonalityError:
        builtin_name = given  # a built-in that is no archetype is found by its name alone
    builtin = personality_list(user=user).filter(owner__isnull=True, name__iexact=builtin_name).first()
    if builtin is None:
        raise NotFound(f"No personality named {given!r}.")
    return builtin


def personality_version_list(*, user, personality_id) -> QuerySet[PersonalityVersion]:
    personality = personality_get(user=user, personality_id=personality_id)
    return personality.versions.select_related("personality")


def personality_version_get(*, user, version_id) -> PersonalityVersion:
    """A version of a personality the user may see, or NotFound; what other apps call to
    resolve a `personality_version_id` a user sent."""
    visible = PersonalityVersion.objects.filter(_visible(user=user, via="personality__"))
    try:
        return visible.select_related("personality").get(pk=int(version_id))
    except (ValueError, TypeError, PersonalityVersion.DoesNotExist):
        raise NotFound(f"No personality version with id {version_id}.") from None


# -- applications and evaluations (owned rows; see applications.py and evaluations.py) ---------------
def _filtered(queryset, *, personality_id, personality_version_id, model_version_id, result_field: str | None):
    if personality_id is not None:
        queryset = queryset.filter(personality_version__personality_id=personality_id)
    if personality_version_id is not None:
        queryset = queryset.filter(personality_version_id=personality_version_id)
    if model_version_id is not None:
        made = Q(**{result_field: model_version_id}) if result_field else Q(pk__in=[])
        queryset = queryset.filter(Q(model_version_id=model_version_id) | made)
    return queryset


def personality_application_list(*, user, personality_id: int | None = None,
                                 personality_version_id: int | None = None,
                                 model_version_id: int | None = None) -> QuerySet[PersonalityApplication]:
    """The user's applications, newest first; `model_version_id` matches the version applied
    to or the one it made."""
    queryset = owned_queryset(PersonalityApplication, user=user).select_related(
        "model_version__registered_model", "result_version__registered_model", "personality_version__personality",
        "evaluation__model_version__registered_model", "evaluation__personality_version__personality")
    return _filtered(queryset, personality_id=personality_id, personality_version_id=personality_version_id,
                     model_version_id=model_version_id, result_field="result_version_id")


def personality_application_get(*, user, application_id) -> PersonalityApplication:
    return owned_get(personality_application_list(user=user), user=user, pk=application_id)


def personality_evaluation_list(*, user, personality_id: int | None = None,
                                personality_version_id: int | None = None,
                                model_version_id: int | None = None) -> QuerySet[PersonalityEvaluation]:
    queryset = owned_queryset(PersonalityEvaluation, user=user).select_related(
        "model_version__registered_model", "personality_version__personality")
    return _filtered(queryset, personality_id=personality_id, personality_version_id=personality_version_id,
                     model_version_id=model_version_id, result_field=None)


def personality_evaluation_get(*, user, evaluation_id) -> PersonalityEvaluation:
    return owned_get(personality_evaluation_list(user=user), user=user, pk=evaluation_id)
