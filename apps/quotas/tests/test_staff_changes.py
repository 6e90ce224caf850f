"""Staff changes to quotas: an override larger than a limit can hold is refused by name, and
taking an account's quota away in the admin (one row, or several at once) is recorded in the
audit log like any other change of its limits."""

from __future__ import annotations

import pytest

from apps.quotas.models import AccountQuota
from apps.teams.models import AuditEvent

from .factories import override

pytestmark = pytest.mark.django_db


def test_an_override_too_large_for_a_limit_is_a_400_naming_it(make_user, api_client_for):
    # given
    staff, user = make_user(is_staff=True), make_user()
    # when
    response = api_client_for(staff).put(f"/api/v1/staff/quotas/user/{user.pk}/", {"storage_bytes": 2**63},
                                         format="json")
    # then
    assert response.status_code == 400
    assert "storage_bytes" in response.json()["error"]["fields"]
    assert not AccountQuota.objects.exists()


@pytest.mark.parametrize("how", ["page", "action"])
def test_deleting_an_accounts_quota_in_the_admin_is_audited(how, make_user, client):
    # given a user with a storage override, and a staff member in the admin
    staff, user = make_user(is_staff=True, is_superuser=True), make_user()
    quota = override(user=user, storage_bytes=100)
    client.force_login(staff)
    # when the override is deleted, from its page or with the list's delete action
    if how == "page":
        response = client.post(f"/admin/quotas/accountquota/{quota.pk}/delete/", {"post": "yes"})
    else:
        response = client.post("/admin/quotas/accountquota/", {
            "action": "delete_selected", "_selected_action": [quota.pk], "post": "yes"})
    # then it is gone, and the audit log says who took which limit away
    assert response.status_code == 302
    assert not AccountQuota.objects.exists()
    event = AuditEvent.objects.get(action="quota.override")
    assert event.actor == staff and event.target_id == user.pk
    assert event.details["storage_bytes"] == {"from": 100, "to": None}
