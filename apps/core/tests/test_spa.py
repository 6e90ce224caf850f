"""The single-page app is served behind login for every non-API path."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def built_app(settings, tmp_path):
    (tmp_path / "index.html").write_text("<div id=root>app shell</div>")
    settings.FRONTEND_DIST = tmp_path
    return tmp_path


def test_visitors_are_sent_to_the_login_page(client, built_app):
    response = client.get("/settings/tokens")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/settings/tokens")


def test_signed_in_users_get_the_app_shell_and_a_csrf_cookie(client, make_user, built_app):
    # given
    client.force_login(make_user())
    # when
    response = client.get("/experiments")
    # then
    assert response.status_code == 200
    assert b"app shell" in response.content
    assert "csrftoken" in response.cookies


def test_api_paths_never_fall_through_to_the_app(client, make_user, built_app):
    client.force_login(make_user())
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert b"app shell" not in response.content


def test_the_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"SloughGPT" in response.content
