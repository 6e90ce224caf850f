"""The staff admin: every model of our apps has a page (so support can see any row), the site
says SloughGPT, users, API tokens and e-mail addresses sit in one "Accounts" section, and
every page lists its rows, the derived ones (metric points, chunks) view-only."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from apps.experiments.models import MetricPoint
from apps.experiments.tests.factories import log_series, make_run
from apps.rag.models import EMBEDDING_DIM, Chunk, Collection, Document

pytestmark = pytest.mark.django_db


def _our_models():
    return [model for config in apps.get_app_configs() if config.name.startswith("apps.")
            for model in config.get_models()]


@pytest.fixture
def staff(make_user, api_client_for):
    return api_client_for(make_user(is_staff=True, is_superuser=True))


def test_every_model_of_our_apps_is_registered():
    # when
    missing = [model._meta.label for model in _our_models() if not admin.site.is_registered(model)]
    # then
    assert _our_models() and missing == []


def test_the_site_is_titled_sloughgpt_with_one_accounts_section(staff):
    # when
    page = staff.get(reverse("admin:index")).content.decode()
    # then
    assert "<title>SloughGPT | SloughGPT admin</title>" in page
    assert 'id="site-name"><a href="/admin/">SloughGPT administration</a>' in page
    captions = re.findall(r'<caption>\s*<a href="[^"]*" class="section"[^>]*>([^<]+)</a>', page)
    assert captions.count("Accounts") == 1, captions
    accounts = page.split(">Accounts</a>", 1)[1].split("</table>", 1)[0]
    for name in ("API tokens", "Email addresses", "Users"):
        assert f">{name}</a>" in accounts


def test_every_admin_page_lists_its_rows_and_derived_rows_are_view_only(staff, make_user):
    # given a run with logged metrics (series, batch, points, rollups) and a document's chunk
    owner = make_user()
    log_series(owner, make_run(owner), "loss", [3.0, 2.5, 2.0])
    collection = Collection.objects.create(owner=owner, name="notes")
    document = Document.objects.create(owner=owner, collection=collection, name="sea.md", format="md",
                                       size_bytes=5, sha256="0" * 64, text="Whales sing.")
    Chunk.objects.create(owner=owner, collection=collection, document=document, index=0,
                         text="Whales sing.", embedding=[0.1] * EMBEDDING_DIM)
    # when every registered model's list is opened
    answers = {model._meta.label: staff.get(reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        for model in admin.site._registry}
    # then
    assert {label: r.status_code for label, r in answers.items() if r.status_code != 200} == {}
    assert "sea.md" in answers["rag.Chunk"].content.decode()
    assert "3 metric points" in answers["experiments.MetricPoint"].content.decode()
    point = MetricPoint.objects.first()
    change = staff.get(reverse("admin:experiments_metricpoint_change", args=[point.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert staff.get(reverse("admin:experiments_metricpoint_add")).status_code == 403
