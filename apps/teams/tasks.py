"""Team tasks on the `default` queue: deleting the old stored files of a deleted member's
team work once they were copied to their successors' keys (apps.teams.departure)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)

# A bucket that fails a delete is tried again, waiting longer each time (up to ten minutes),
# for about an hour in all.
MOVE_RETRIES = 12


@shared_task(bind=True, name="teams.team_files_move_task", ignore_result=True, autoretry_for=(Exception,),
             retry_backoff=5, retry_backoff_max=600, retry_jitter=False, max_retries=MOVE_RETRIES)
def team_files_move_task(self, moves: list[list[str]]) -> None:
    """`moves`: [old key, new key] pairs (JSON, like every task's arguments)."""
    from .departure import team_files_move

    try:
        team_files_move(moves=moves)
    except Exception:
        if self.request.retries >= MOVE_RETRIES:
            # No row names the old keys any more: what stays there only takes room in the bucket.
            logger.error("Team hand-over: giving up deleting the old copies at %s after %d tries; "
                         "delete them from the bucket by hand", ", ".join(old for old, _ in moves),
                         MOVE_RETRIES + 1, exc_info=True)
        raise
