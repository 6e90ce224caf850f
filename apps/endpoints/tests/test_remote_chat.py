"""Remote endpoints against a second real server: another SloughGPT process (daphne, with a
real inference worker) serves its /v1, registered as my endpoint with its owner's API token.
My chat replies stream from it through my socket as local ones do, and /v1 proxies to it as
`remote/<endpoint>/<model>`; the worker may reach loopback only because these tests allow it
(its SLOUGHGPT_OUTBOUND_ALLOW). A remote that fails answers /v1 in OpenAI's error shape."""

from __future__ import annotations

import openai
import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from apps.accounts.services import api_token_create
from apps.chat import services as chat_services
from apps.chat.models import Message
from apps.chat.quotas import quota_status
from apps.chat.tests.conftest import close_request_thread_connections, media_root, var_dir  # noqa: F401
from apps.chat.tests.factories import model_version
from apps.endpoints.services import endpoint_create
from apps.endpoints.tests.factories import remote_endpoint
from apps.endpoints.tests.stub_server import sse, stub_server
from sloughgpt_site.asgi import application
from tests.processes import celery_worker, daphne_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.slow,
              pytest.mark.usefixtures("remote_worker")]
LOOPBACK = "127.0.0.1/32"
TIMEOUT = 60  # the first reply also loads the remote's model
HEADERS = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


@pytest.fixture(scope="module")
def remote_worker(django_db_setup, django_db_blocker, var_dir):  # noqa: F811 - the imported fixture
    """An inference worker that may reach loopback: it serves both my replies (asking the
    second server) and the second server's own generations."""
    from sloughgpt_site.celery import app

    app.control.purge()
    with celery_worker(var_dir, var_dir / "inference-worker.log", queues="inference", pool="threads",
                       concurrency=8, extra_env={"OMP_NUM_THREADS": "1", "SLOUGHGPT_OUTBOUND_ALLOW": LOOPBACK}) as process:
        yield process


@pytest.fixture(scope="module")
def second_server(django_db_setup, var_dir):  # noqa: F811
    with daphne_server(var_dir, var_dir / "daphne.log") as url:
        yield url


@pytest_asyncio.fixture(autouse=True)
async def _close_consumer_thread_connections():
    yield
    await sync_to_async(connections.close_all)()
    await sync_to_async(close_request_thread_connections, thread_sensitive=False)()


@pytest.fixture
def peer(settings, second_server, make_user):
    """(me, my endpoint named "peer": the second server's /v1 with the token of a user there
    who has the model "tiny", its greedy replies as that server gives them)."""
    settings.SLOUGHGPT_OUTBOUND_ALLOW = [LOOPBACK]
    there = make_user()
    model_version(there, "tiny")
    token = api_token_create(user=there, name="peer").secret
    me = make_user()
    endpoint = endpoint_create(user=me, name="peer", base_url=f"{second_server}/v1", api_key=token)
    direct = openai.OpenAI(base_url=f"{second_server}/v1", api_key=token, max_retries=0, timeout=TIMEOUT)
    return me, endpoint, direct


async def _until_done(socket) -> list[dict]:
    events = []
    while not events or events[-1]["type"] not in ("done", "error"):
        events.append(await socket.receive_json_from(timeout=TIMEOUT))
    return events


@pytest.mark.asyncio
async def test_a_reply_streams_from_the_second_servers_model_through_my_socket(peer):
    # given my conversation with the peer's model "tiny" (listed by version)
    me, endpoint, direct = peer
    chat = await sync_to_async(chat_services.conversation_create)(
        user=me, remote_endpoint_id=endpoint.pk, remote_model="tiny:1.0.0", max_tokens=10)
    token = await sync_to_async(api_token_create)(user=me, name="ws")
    socket = WebsocketCommunicator(application, f"/ws/chat/{chat.pk}/",
                                   headers=[*HEADERS, (b"authorization", f"Bearer {token.secret}".encode())])
    assert (await socket.connect())[0]
    # when
    await socket.send_json_to({"type": "send", "content": "Tell me about the sea"})
    events = await _until_done(socket)
    await socket.disconnect()
    # then the text streamed as deltas and was stored once, with the remote's own usage
    done = events[-1]
    assert done["type"] == "done", events
    deltas = [e["text"] for e in events if e["type"] == "delta"]
    reply = await sync_to_async(Message.objects.get)(pk=done["message_id"])
    assert deltas and reply.status == "done" and reply.content == "".join(deltas) == done["content"]
    assert reply.completion_tokens == 10 and reply.prompt_tokens > 0
    # and it is what the second server's model says to the same conversation
    same = await sync_to_async(direct.chat.completions.create)(
        model="tiny", max_tokens=10, messages=[{"role": "user", "content": "Tell me about the sea"}])
    assert reply.content == same.choices[0].message.content
    # and my quota counted it and holds no slot
    status = await sync_to_async(quota_status)(user_id=me.pk)
    assert status["tokens_used_today"] == 10 and status["running"] == 0


def test_v1_proxies_my_remote_model_streamed_and_whole(peer, second_server):
    # given my /v1 client (the same server here: it proxies to the peer endpoint I registered)
    me, _, direct = peer
    mine = openai.OpenAI(base_url=f"{second_server}/v1", api_key=api_token_create(user=me, name="v1").secret,
                         max_retries=0, timeout=TIMEOUT)
    messages = [{"role": "user", "content": "The quick brown"}]
    # when
    listed = [model.id for model in mine.models.list()]
    whole = mine.chat.completions.create(model="remote/peer/tiny:1.0.0", messages=messages, max_tokens=6)
    streamed = list(mine.chat.completions.create(model="remote/peer/tiny:1.0.0", messages=messages, max_tokens=6,
                                                 stream=True, stream_options={"include_usage": True}))
    # then
    assert "remote/peer/tiny:1.0.0" in listed
    expected = direct.chat.completions.create(model="tiny", messages=messages, max_tokens=6).choices[0].message.content
    assert whole.choices[0].message.content == expected and whole.usage.completion_tokens == 6
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == expected
    assert streamed[-1].usage.completion_tokens == 6
    # and a stranger has no such model
    stranger = openai.OpenAI(base_url=f"{second_server}/v1", max_retries=0, timeout=TIMEOUT,
                             api_key=api_token_create(user=type(me).objects.create(email="x@example.com"),
                                                      name="x").secret)
    with pytest.raises(openai.NotFoundError) as missing:
        stranger.chat.completions.create(model="remote/peer/tiny:1.0.0", messages=messages)
    assert missing.value.body["code"] == "model_not_found"


def test_v1_answers_a_failing_remote_in_openai_shape_and_gives_back_the_quota(settings, second_server, make_user):
    # given my endpoint at a server that streams garbage after its first piece
    settings.SLOUGHGPT_OUTBOUND_ALLOW = [LOOPBACK]
    me = make_user()
    mine = openai.OpenAI(base_url=f"{second_server}/v1", api_key=api_token_create(user=me, name="v1").secret,
                         max_retries=0, timeout=TIMEOUT)
    with stub_server(stream=[*sse("Hello")[:1], b"data: nonsense\n\n"]) as stub:
        remote_endpoint(me, "odd", base_url=stub.base_url, models=("stub-model",))
        # when
        with pytest.raises(openai.APIStatusError) as failed:
            mine.chat.completions.create(model="remote/odd/stub-model", max_tokens=20,
                                         messages=[{"role": "user", "content": "Hi"}])
    # then
    assert failed.value.status_code == 502 and failed.value.body["code"] == "remote_failed"
    assert failed.value.body["message"] == (
        "the remote model failed: the endpoint streamed something that is not JSON: 'nonsense'")
    status = quota_status(user_id=me.pk)
    assert status["running"] == 0 and status["tokens_used_today"] == 2  # "Hello", estimated
