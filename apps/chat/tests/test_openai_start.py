"""Starting /v1 completions: one request's start (its database reads, quota step and Celery
publish) never waits behind another's on a single shared thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from apps.chat import openai_api
from apps.chat.openai_errors import OpenAIError

pytestmark = pytest.mark.asyncio


async def test_two_completion_starts_run_at_once(monkeypatch):
    # given a start that only finishes once another start is running beside it
    both_running = threading.Barrier(2, timeout=30)

    def start(**kwargs):
        both_running.wait()  # a second start queued behind this one never arrives: broken
        raise OpenAIError(429, "quota spent", code="quota_exceeded")

    monkeypatch.setattr(openai_api, "completion_start", start)
    # when two requests start at once
    outcomes = await asyncio.gather(
        *(openai_api._start(None, "tiny", {"prompt": "Hi"}, {}, "prompt") for _ in range(2)),
        return_exceptions=True)
    # then both reached the start together and got its answer
    assert [getattr(outcome, "status", outcome) for outcome in outcomes] == [429, 429]
