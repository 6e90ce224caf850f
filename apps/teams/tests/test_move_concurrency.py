"""Two identical moves of one object at once: one moves it (and its stored bytes) into the
team, the other finds it already there; the bytes are counted once."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from apps.quotas.accounts import Account
from apps.quotas.storage import storage_used
from apps.teams import services
from apps.teams.tests.factories import make_team
from apps.training.tests.factories import valid_dataset_version

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_identical_moves_move_the_bytes_once(make_user, settings, tmp_path):
    # given alice's uploaded dataset and her team
    settings.MEDIA_ROOT = tmp_path / "media"
    alice = make_user()
    team = make_team(alice)
    dataset = valid_dataset_version(alice).dataset
    stored = storage_used(Account(user_id=alice.pk))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def move():
        try:
            start.wait()
            services.object_move(user=alice, kind="dataset", object_id=dataset.pk, team_id=team.pk)
            outcomes.append("moved")
        except ValidationError as error:
            outcomes.append(error.message_dict["team_id"][0])
        finally:
            connection.close()

    # when two moves into the team run at once
    threads = [threading.Thread(target=move) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then one moved it, the other was told, and its bytes count once, against the team
    assert sorted(outcomes) == ["crew already owns this dataset.", "moved"]
    assert stored > 0
    assert storage_used(Account(team_id=team.pk)) == stored
    assert storage_used(Account(user_id=alice.pk)) == 0
