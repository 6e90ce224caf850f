"""Team tasks on the `default` queue: moving the stored files of a deleted member's team
work to their successors' keys (apps.teams.departure)."""

from celery import shared_task

# A bucket that fails a copy or a delete is tried again, waiting longer each time (up to
# ten minutes), for about an hour in all.
MOVE_RETRIES = 12


@shared_task(name="teams.team_files_move_task", ignore_result=True, autoretry_for=(Exception,),
             retry_backoff=5, retry_backoff_max=600, retry_jitter=False, max_retries=MOVE_RETRIES)
def team_files_move_task(moves: list[list[str]]) -> None:
    """`moves`: [old key, new key] pairs (JSON, like every task's arguments)."""
    from .departure import team_files_move

    team_files_move(moves=moves)
