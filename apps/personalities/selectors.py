"""Reads for personalities. A user sees the built-ins, their own and those their teams own
or are shared (apps.core.access); any other id is indistinguishable from one that does not
exist (404). Applications and evaluations are private rows of whoever started them, read
through apps.core.selectors."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound

from apps.core.access import Action, access_annotate, access_get, access_queryset, access_scope
from apps.core.selectors import owned_get, owned_queryset

from .models import Personality, PersonalityApplication, PersonalityEvaluation, PersonalityVersion


def personality_list(*, user, kind: str | None = None, scope: str | None = None) -> QuerySet[Personality]:
    """Built-ins first, then the user's own and shared ones, by name, each with `access_role`."""
    queryset = access_scope(access_queryset(Personality, user=user), user=user, scope=scope)
    queryset = access_annotate(queryset, user=user).select_related("current_version")
    return queryset.filter(kind=kind) if kind else queryset


def personality_get(*, user, personality_id, action: Action = Action.READ) -> Personality:
    """A personality the user may do `action` to (reading one is also what applying it or
    chatting with it needs), or NotFound / PermissionDenied."""
    return access_get(personality_list(user=user), user=user, pk=personality_id, action=action)


def personality_get_by_name(*, user, name: str) -> Personality:
    """The user's own personality called `name`, else the built-in of that name or archetype
    ("Sage", "sage", "cheerful-enthusiast"), else one shared with them by that name, or
    NotFound; how chat and /v1 take a name."""
    from ml.personality import ConfigPersonality, PersonalityError

    given = name.strip()
    if not given:
        raise NotFound("No personality named ''.")
    own = access_scope(personality_list(user=user), user=user, scope="mine").filter(name=given).first()
    if own is not None:
        return own
    try:
        builtin_name = ConfigPersonality.from_archetype(given).name
    except PersonalityError:
        builtin_name = given  # a built-in that is no archetype is found by its name alone
    builtin = personality_list(user=user).filter(owner__isnull=True, name__iexact=builtin_name).first()
    found = builtin or personality_list(user=user).filter(name=given).order_by("pk").first()
    if found is None:
        raise NotFound(f"No personality named {given!r}.")
    return found


def personality_version_list(*, user, personality_id, scope: str | None = None) -> QuerySet[PersonalityVersion]:
    """The versions of a personality the user can read, each with its `access_role`."""
    personality = access_get(Personality, user=user, pk=personality_id)
    versions = access_scope(personality.versions.all(), user=user, scope=scope)
    return access_annotate(versions, user=user).select_related("personality")


def personality_version_get(*, user, version_id) -> PersonalityVersion:
    """A version of a personality the user may see (read: also what applying it needs), or
    NotFound; what other apps call to resolve a `personality_version_id` a user sent."""
    visible = access_annotate(PersonalityVersion.objects.select_related("personality"), user=user)
    return access_get(visible, user=user, pk=version_id)


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
