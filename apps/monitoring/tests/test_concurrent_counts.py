"""Counts written by two requests at once, on the real database from two threads: opposite
arena votes between the same two versions both succeed and both count; the same thumb given
twice at once counts once.

Each thread stops right after its first rollup write, holding what it locked, until the
other has written too or is waiting on a lock: the interleaving in which the counts used to
deadlock or double."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection

from apps.arena.services import battle_vote
from apps.arena.tests.factories import finished_battle
from apps.chat.models import Message
from apps.chat.services import message_feedback
from apps.chat.tests.factories import conversation, model_version
from apps.monitoring.models import UsageRollup
from apps.monitoring.records import inference_record_write

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_a_lock(pids: list[int]) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s) AND wait_event_type = 'Lock'",
                       [pids])
        return cursor.fetchone()[0] > 0


def _together(*calls: Callable[[], object]) -> list[BaseException | None]:
    """Runs each call in its own thread and transaction-holding connection, held after its
    first rollup write until every call has written one or one waits on a lock; what each raised."""
    arrived, go = threading.Semaphore(0), threading.Event()
    pids: list[int] = []
    errors: list[BaseException | None] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        held = False

        def hold(execute, sql, params, many, context):
            nonlocal held
            result = execute(sql, params, many, context)
            if not held and UsageRollup._meta.db_table in sql and sql.lstrip().startswith("INSERT"):
                held = True
                arrived.release()
                go.wait()
            return result

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids.append(cursor.fetchone()[0])
            with connection.execute_wrapper(hold):
                call()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors[i] = error
        finally:
            if not held:
                arrived.release()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    count = 0
    while count < len(calls):
        if arrived.acquire(timeout=0.05):
            count += 1
        elif count and len(pids) == len(calls) and _waiting_on_a_lock(pids):
            break
    go.set()
    for thread in threads:
        thread.join()
    return errors


def _rollup(version, field: str) -> int:
    return sum(UsageRollup.objects.filter(model_version=version, granularity="day").values_list(field, flat=True))


def test_opposite_arena_votes_at_once_both_succeed_and_count(make_user):
    # given two finished battles between the same two versions
    user = make_user()
    first, second = model_version(user, "first", write_file=False), model_version(user, "second", write_file=False)
    one, other = finished_battle(user, first, second), finished_battle(user, first, second)
    # when one battle is won by the first and the other by the second, at once
    errors = _together(lambda: battle_vote(user=user, battle_id=one.pk, vote="a"),
                       lambda: battle_vote(user=user, battle_id=other.pk, vote="b"))
    # then both votes are kept and each version has a win and a loss
    assert errors == [None, None]
    assert [_rollup(first, "arena_wins"), _rollup(first, "arena_losses")] == [1, 1]
    assert [_rollup(second, "arena_wins"), _rollup(second, "arena_losses")] == [1, 1]


def test_the_same_thumb_given_twice_at_once_counts_once(make_user):
    # given a served reply
    user = make_user()
    version = model_version(user, write_file=False)
    reply = Message.objects.create(owner=user, conversation=conversation(user, version), role="assistant",
                                   content="Hi.")
    now = time.time()
    inference_record_write(source="chat", model_version_id=version.pk, user_id=user.pk, result=None,
                           received_at=now, message_id=reply.pk)
    # when the user's two tabs both like it at once
    errors = _together(lambda: message_feedback(user=user, message_id=reply.pk, rating="up"),
                       lambda: message_feedback(user=user, message_id=reply.pk, rating="up"))
    # then it is one thumb up
    assert errors == [None, None]
    assert _rollup(version, "feedback_up") == 1
