"""Who may scrape /metrics: the metrics token from anywhere, an allowed network without it
(none by default, and never through an untrusted proxy), nobody else; and a quota refusal
shows in the scrape under the limit that refused."""

from __future__ import annotations

import pytest

from apps.quotas.tests.factories import override

from .scrape import TOKEN, parse, scrape, value

pytestmark = pytest.mark.django_db
OUTSIDE = "203.0.113.9"  # not in any network a test allows
LOOPBACK = ["127.0.0.1/32", "::1/128"]


def test_a_scraper_outside_the_allowed_networks_needs_the_token(client):
    # given a scraper on another host
    # when it asks without a token, with a wrong one, with another scheme and with the token
    bare = client.get("/metrics", REMOTE_ADDR=OUTSIDE)
    wrong = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    basic = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    allowed = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    # then only the token opens it, and what it reads is the Prometheus text format
    assert [bare.status_code, wrong.status_code, basic.status_code] == [403, 403, 403]
    assert b"sloughgpt_" not in bare.content
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain; version=")
    assert any(name.startswith("sloughgpt_") for name, _, _ in parse(allowed.content.decode()))


def test_an_allowed_network_may_scrape_without_a_token_and_the_token_can_be_unset(client, settings):
    # given no token configured at all, and loopback allowed
    settings.SLOUGHGPT_METRICS_TOKEN = ""
    settings.SLOUGHGPT_METRICS_ALLOW_NETWORKS = LOOPBACK
    # when
    local = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    empty_bearer = client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ")
    # then an empty token never matches
    assert local.status_code == 200
    assert empty_bearer.status_code == 403


def test_by_default_only_the_token_opens_it_even_from_loopback(client):
    # given the default settings: no allowed networks
    # when a visitor reaches the site through a reverse proxy on the same host
    proxied = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    # then the proxy's loopback address does not let them in
    assert proxied.status_code == 403


def test_a_request_through_an_untrusted_proxy_is_not_let_in_by_its_network(client, settings):
    # given loopback allowed and no trusted proxies
    settings.SLOUGHGPT_METRICS_ALLOW_NETWORKS = LOOPBACK
    settings.SLOUGHGPT_TRUSTED_PROXY_COUNT = 0
    # when a proxy on this host forwards an outside visitor, with and without the token
    forwarded = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE)
    with_token = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE,
                            HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    # then only the token opens it
    assert forwarded.status_code == 403
    assert with_token.status_code == 200


def test_a_quota_refusal_is_counted_by_its_limit(make_user, api_client_for, client):
    # given a user allowed one API request a minute
    user = make_user()
    override(user=user, api_requests_per_minute=1)
    api = api_client_for(user)
    before = scrape(client)
    # when the second request is refused
    api.get("/api/v1/datasets/")
    refused = api.get("/api/v1/datasets/")
    after = scrape(client)
    # then
    assert refused.status_code == 429
    limit = {"limit": "api_requests_per_minute"}
    assert value(after, "sloughgpt_quota_refusals_total", **limit) == \
        value(before, "sloughgpt_quota_refusals_total", **limit) + 1
    route = {"route": "/api/v1/datasets/", "method": "GET"}
    assert value(after, "sloughgpt_http_requests_total", status="429", **route) == \
        value(before, "sloughgpt_http_requests_total", status="429", **route) + 1
