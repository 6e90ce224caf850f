"""The staff admin cannot change what the product keeps immutable or gated: a personality
version (workers cache it by id), a built-in, and a model version's stage (a move goes
through the registry's gate and is kept in the stage history)."""

import pytest
from django.urls import reverse

from apps.personalities.models import Personality
from apps.registry.models import ModelVersion, RegisteredModel

from .factories import config_personality

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user, api_client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return api_client_for(make_user(is_staff=True, is_superuser=True))


def test_a_personality_version_is_view_only_for_staff(staff, make_user):
    # given
    version = config_personality(make_user(), name="kept").current_version
    url = reverse("admin:personalities_personalityversion_change", args=[version.pk])
    # when
    page = staff.get(url)
    posted = staff.post(url, {"system_prompt": "You are someone else.", "status": "failed",
                              "personality": version.personality_id, "number": version.number})
    # then
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert 'name="system_prompt"' not in page.content.decode()
    assert posted.status_code == 403
    version.refresh_from_db()
    assert version.system_prompt.startswith("You are kept") and version.status == "ready"


def test_a_built_in_is_view_only_and_a_users_personality_keeps_its_name_and_version(staff, make_user):
    # given
    sage = Personality.objects.get(owner=None, name="Sage")
    own = config_personality(make_user(), name="mine")
    # when
    builtin_page = staff.get(reverse("admin:personalities_personality_change", args=[sage.pk])).content.decode()
    own_page = staff.get(reverse("admin:personalities_personality_change", args=[own.pk])).content.decode()
    deleted = staff.post(reverse("admin:personalities_personality_delete", args=[sage.pk]), {"post": "yes"})
    # then
    assert 'name="_save"' not in builtin_page and deleted.status_code == 403
    assert 'name="description"' in own_page
    assert 'name="name"' not in own_page and 'name="current_version"' not in own_page
    assert Personality.objects.filter(pk=sage.pk).exists()


def test_a_model_versions_stage_cannot_be_set_in_the_admin(staff, make_user):
    # given
    owner = make_user()
    model = RegisteredModel.objects.create(owner=owner, name="gated")
    version = ModelVersion.objects.create(owner=owner, registered_model=model, major=1, minor=0, patch=0,
                                          source="starter", status="ready")
    # when
    page = staff.get(reverse("admin:registry_modelversion_change", args=[version.pk])).content.decode()
    # then
    assert 'name="_save"' in page and 'name="stage"' not in page
