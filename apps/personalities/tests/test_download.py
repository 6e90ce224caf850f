"""A personality version downloads as a zip the CLI's `--personality` loads: the owner's
(and every user's built-ins), never another user's; the CLI scores as the server does."""

import io
import zipfile

import pytest

from apps.personalities.models import Personality
from ml.personality.cli import resolve_personality

from .factories import CHEERFUL, GLOOMY

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


@pytest.mark.slow
def test_a_downloaded_learned_personality_scores_in_the_cli_as_on_the_server(owner, make_user, api_client_for,
                                                                            tmp_path):
    # given
    client = api_client_for(owner)
    created = client.post("/api/v1/personalities/",
                          {"kind": "learned", "name": "Fan", "examples": CHEERFUL[:20]}, format="json").json()
    version_id = created["current_version"]["id"]
    texts = [CHEERFUL[21], GLOOMY[0], "The printer on the third floor needs paper."]
    served = client.post(f"/api/v1/personalities/{created['id']}/score/", {"texts": texts}, format="json").json()
    # when
    download = client.get(f"/api/v1/personality-versions/{version_id}/download/")
    others = api_client_for(make_user()).get(f"/api/v1/personality-versions/{version_id}/download/")
    path = tmp_path / "fan.zip"
    path.write_bytes(download.content)
    unpacked = tmp_path / "fan"
    zipfile.ZipFile(io.BytesIO(download.content)).extractall(unpacked)
    # then
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"] == 'attachment; filename="fan-v1.zip"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert sorted(zipfile.ZipFile(path).namelist()) == ["learned.safetensors", "personality.json"]
    assert others.status_code == 404
    for loaded in (resolve_personality(str(path)), resolve_personality(str(unpacked))):
        assert loaded.system_prompt() == created["current_version"]["system_prompt"]
        assert loaded.score(texts) == pytest.approx([t["alignment"] for t in served["texts"]], abs=1e-6)


def test_any_user_downloads_a_built_in(owner, api_client_for, tmp_path):
    # given
    sage = Personality.objects.get(owner=None, name="Sage")
    # when
    download = api_client_for(owner).get(f"/api/v1/personality-versions/{sage.current_version_id}/download/")
    path = tmp_path / "sage.zip"
    path.write_bytes(download.content)
    # then
    assert download.status_code == 200
    assert resolve_personality(str(path)).system_prompt() == sage.current_version.system_prompt
