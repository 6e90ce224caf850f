"""The simulated user of `load_mixed.py`: a locust user that signs in through the sign-in
form with its own account, then browses lists, logs metric batches to its run with an API
token (as the Python client does), uploads small datasets and chats with the starter model
over the chat socket the browser uses. Every request is named "<group> <what>", so the
benchmark can total it per endpoint group; each chat's outcome is kept to be checked against
the database after the run."""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import gevent
import locust  # first: importing it patches the standard library for gevent
import websocket

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROMPTS = (
    "What is a language model?",
    "Give me three tips for learning to cook.",
    "Write a short poem about the sea.",
    "Why is the sky blue?",
    "How do I make a cup of tea?",
    "Name a few uses of a magnet.",
)
METRIC_KEYS = ("train/loss", "train/lr", "val/loss", "grad_norm")
CHATS_PER_CONVERSATION = 4  # then a new chat, as people start new topics
DEFAULT_RETRY_S = 5.0  # when a 429 names no Retry-After


@dataclass
class Account:
    email: str
    password: str
    model_version_id: int


@dataclass
class Chat:
    """One sent chat message as the user saw it on the socket."""

    sent_at: float
    prompt: str
    accepted: bool = False  # the server echoed the message and queued a reply
    user_message_id: int | None = None
    reply_id: int | None = None
    first_text_at: float | None = None
    streamed: str = ""
    done: dict | None = None  # the "done" event
    error: dict | None = None  # an "error" event for this send or its reply
    # done, failed (the reply), quota or rejected (the send), timeout, socket_error, or
    # interrupted (the run ended first)
    outcome: str = "interrupted"


class ChatTimeout(Exception):
    """A reply took longer than the chat timeout."""


@dataclass
class Plan:
    """What every simulated user shares: accounts to take, settings, and what they saw."""

    accounts: list[Account]
    chat_tokens: int
    chat_timeout_s: float
    metric_steps: int
    chats: list[Chat] = field(default_factory=list)


class SimulatedUser(locust.FastHttpUser):
    plan: Plan  # set by the benchmark before users spawn
    wait_time = locust.between(1, 5)
    network_timeout = 300.0  # under full load a request may queue for a while
    connection_timeout = 60.0

    # -- requests ------------------------------------------------------------------------------
    def _cookie(self, name: str) -> str:
        return next((c.value for c in self.client.cookiejar if c.name == name), "")

    def call(self, method: str, path: str, name: str, ok: tuple[int, ...], *, token: bool = False,
             **kwargs):
        """A request counted under `name`, successful when its status is in `ok` or is 429 (a
        limit doing its job, which the benchmark counts apart). Session requests carry the
        CSRF header and Origin a browser sends; `token` uses the API token instead."""
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {self.api_token}"
        elif method != "GET":
            headers.update({"X-CSRFToken": self._cookie("csrftoken"), "Origin": self.host})
        with self.client.request(method, path, name=name, headers=headers, catch_response=True,
                                 **kwargs) as response:
            if response.status_code in ok or response.status_code == 429:
                response.success()
            else:
                response.failure(f"{response.status_code}: {(response.text or '')[:300]}")
        return response

    def backoff(self, response) -> None:
        """Waits as long as a 429 asks (or a few seconds when it does not say)."""
        try:
            wait = float(response.headers.get("Retry-After") or DEFAULT_RETRY_S)
        except ValueError:
            wait = DEFAULT_RETRY_S
        gevent.sleep(min(wait, 60.0))

    def until_allowed(self, *args, **kwargs):
        """`call`, repeated after each 429 as its Retry-After asks."""
        while True:
            response = self.call(*args, **kwargs)
            if response.status_code != 429:
                return response
            self.backoff(response)

    # -- the session ---------------------------------------------------------------------------
    def on_start(self) -> None:
        self.account = self.plan.accounts.pop()
        self.sign_in()
        created = self.until_allowed("POST", "/api/v1/tokens/", "setup POST tokens", (201,),
                                     json={"name": f"load-{uuid.uuid4().hex[:8]}"})
        self.api_token = created.json()["token"]
        experiment = self.until_allowed(
            "POST", "/api/v1/experiments/", "setup POST experiments", (201,), token=True,
            json={"name": f"load-{uuid.uuid4().hex[:8]}"}).json()
        self.experiment_id = experiment["id"]
        self.run_id = self.until_allowed(
            "POST", f"/api/v1/experiments/{self.experiment_id}/runs/", "setup POST runs", (201,),
            token=True, json={"name": "load", "status": "running"}).json()["id"]
        self.dataset_id = self.until_allowed(
            "POST", "/api/v1/datasets/", "setup POST datasets", (201,),
            json={"name": f"load-{uuid.uuid4().hex[:8]}"}).json()["id"]
        self.step = 0
        self.uploads = 0
        self.conversation_id = None
        self.conversation_chats = 0

    def sign_in(self) -> None:
        page = self.call("GET", "/accounts/login/", "login_page GET /accounts/login/", (200,))
        form = CSRF_FIELD.search(page.text or "")
        if form is None:
            raise RuntimeError("the sign-in page has no CSRF field")
        body = urlencode({"login": self.account.email, "password": self.account.password,
                          "csrfmiddlewaretoken": form.group(1)})
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Referer": f"{self.host}/accounts/login/"}
        response = self.until_allowed("POST", "/accounts/login/", "login POST /accounts/login/",
                                      (302,), data=body, headers=headers, allow_redirects=False)
        if response.status_code != 302 or not self._cookie("sessionid"):
            raise RuntimeError(f"{self.account.email} could not sign in ({response.status_code})")

    # -- what a user does ------------------------------------------------------------------------
    @locust.task(6)
    def browse(self) -> None:
        for path, label in (
            ("/api/v1/datasets/", "datasets"),
            (f"/api/v1/datasets/{self.dataset_id}/versions/", "dataset versions"),
            ("/api/v1/experiments/", "experiments"),
            (f"/api/v1/experiments/{self.experiment_id}/runs/", "runs"),
            ("/api/v1/models/", "models"),
            ("/api/v1/chat/conversations/", "conversations"),
        ):
            self.call("GET", path, f"lists GET {label}", (200,))

    @locust.task(3)
    def log_metrics(self) -> None:
        steps = range(self.step, self.step + self.plan.metric_steps)
        points = [{"key": key, "value": 1.0 / (step + 1), "step": step}
                  for step in steps for key in METRIC_KEYS]
        response = self.call("POST", f"/api/v1/runs/{self.run_id}/metrics/", "metrics POST batch",
                             (201,), token=True, json={"metrics": points},
                             headers={"Idempotency-Key": uuid.uuid4().hex})
        if response.status_code == 201:
            self.step += self.plan.metric_steps

    @locust.task(1)
    def upload(self) -> None:
        self.uploads += 1
        lines = [json.dumps({"text": f"{random.choice(PROMPTS)} line {i} of upload {self.uploads}"})
                 for i in range(50)]
        query = urlencode({"filename": f"load-{self.uploads}.jsonl"})
        self.call("POST", f"/api/v1/datasets/{self.dataset_id}/versions/?{query}",
                  "upload POST dataset version", (200, 201), data="\n".join(lines).encode(),
                  headers={"Content-Type": "application/octet-stream"})

    @locust.task(2)
    def chat(self) -> None:
        if self.conversation_id is None or self.conversation_chats >= CHATS_PER_CONVERSATION:
            response = self.call("POST", "/api/v1/chat/conversations/",
                                 "chat_setup POST conversations", (201,),
                                 json={"model_version_id": self.account.model_version_id,
                                       "max_tokens": self.plan.chat_tokens})
            if response.status_code != 201:
                return
            self.conversation_id, self.conversation_chats = response.json()["id"], 0
        socket = self.open_socket()
        if socket is None:
            return
        try:
            chat = Chat(sent_at=time.perf_counter(), prompt=random.choice(PROMPTS))
            self.plan.chats.append(chat)
            self.conversation_chats += 1
            self.converse(socket, chat)
        finally:
            socket.close()
        if chat.outcome != "done":
            self.conversation_id = None  # a reply may still run there; go on in a new chat

    def open_socket(self):
        parts = urlsplit(self.host)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.client.cookiejar)
        started = time.perf_counter()
        try:
            socket = websocket.create_connection(
                f"ws://{parts.netloc}/ws/chat/{self.conversation_id}/", cookie=cookies,
                origin=self.host, timeout=self.plan.chat_timeout_s)
            error = None
        except (OSError, websocket.WebSocketException) as exc:
            socket, error = None, exc
        self.report("chat_setup WS connect", started, error)
        return socket

    def converse(self, socket, chat: Chat) -> None:
        """Sends the chat's prompt and reads the socket until its reply is done, failed or
        too late."""
        socket.send(json.dumps({"type": "send", "content": chat.prompt}))
        # One deadline for the whole reply: the socket's own timeout starts again with every
        # frame, and daphne pings every 20 s.
        try:
            with gevent.Timeout(self.plan.chat_timeout_s, ChatTimeout):
                while chat.done is None and chat.error is None:
                    self.receive(chat, json.loads(socket.recv()))
        except ChatTimeout:
            chat.outcome = "timeout"
        except (OSError, websocket.WebSocketException):
            chat.outcome = "socket_error"
        if chat.outcome == "quota":  # the socket's 429: wait as asked, counted apart
            self.report("chat_quota WS send refused", chat.sent_at, None)
            gevent.sleep(min(float(chat.error.get("retry_after") or DEFAULT_RETRY_S), 60.0))
            return
        error = None if chat.outcome == "done" else RuntimeError(
            f"chat {chat.outcome}: {chat.error or ''}")
        self.report("chat_total WS send to done", chat.sent_at, error,
                    length=len(chat.streamed))

    def receive(self, chat: Chat, event: dict) -> None:
        """Applies one socket event to the chat (events of other replies are ignored)."""
        kind, message = event.get("type"), event.get("message")
        if kind == "message" and message["role"] == "user" and chat.user_message_id is None:
            chat.user_message_id, chat.accepted = message["id"], True
        elif kind == "message" and message["role"] == "assistant" and chat.reply_id is None:
            chat.reply_id = message["id"]
        elif kind == "delta" and event["message_id"] == chat.reply_id:
            if chat.first_text_at is None:
                chat.first_text_at = time.perf_counter()
                self.report("chat_ttft WS first text", chat.sent_at, None)
            chat.streamed += event["text"]
        elif kind == "done" and event["message_id"] == chat.reply_id:
            chat.done, chat.outcome = event, "done"
        elif kind == "error" and event.get("message_id") in (None, chat.reply_id):
            chat.error = event
            if chat.accepted:
                chat.outcome = "failed"
            else:
                chat.outcome = "quota" if event.get("code") == "quota_exceeded" else "rejected"

    def report(self, name: str, started: float, error: Exception | None, length: int = 0) -> None:
        self.environment.events.request.fire(
            request_type="WS", name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=length, exception=error, context={}, response=None)
