"""HTTP and WebSocket metrics of the web process: a middleware that counts and times every
request by method, URL pattern and status, and a wrapper that counts a consumer's open sockets."""

from __future__ import annotations

import time

from django.urls import URLPattern

from .metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS, WEBSOCKET_CONNECTIONS, enabled, recorder

# Any other method (a client may send anything) is counted as "other", so it adds no series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A request no URL pattern matched (its raw path would make a series per path).
UNMATCHED = "unmatched"


def request_route(request) -> str:
    """The URL pattern that served `request` (`/api/v1/conversations/<int:conversation_id>/`),
    never its path."""
    match = getattr(request, "resolver_match", None)
    return "/" + match.route if match is not None else UNMATCHED


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled():
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _request_count(request, response.status_code, time.perf_counter() - started)
        return response


@recorder
def _request_count(request, status: int, elapsed: float) -> None:
    method = request.method if request.method in METHODS else "other"
    route = request_route(request)
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_REQUEST_DURATION.labels(method, route).observe(elapsed)


@recorder
def _socket_opened(consumer: str) -> bool:
    WEBSOCKET_CONNECTIONS.labels(consumer).inc()
    return True


@recorder
def _socket_closed(consumer: str) -> None:
    WEBSOCKET_CONNECTIONS.labels(consumer).dec()


def counted_connections(app, consumer: str):
    """`app` (a consumer's ASGI app), counting its sockets in WEBSOCKET_CONNECTIONS from the
    accept to the end of the connection (a refused handshake is never counted)."""

    async def counted(scope, receive, send):
        accepted = False

        async def counting_send(message):
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                # Only a socket whose opening was counted is uncounted at its end.
                accepted = bool(_socket_opened(consumer))
            await send(message)

        try:
            await app(scope, receive, counting_send)
        finally:
            if accepted:
                _socket_closed(consumer)

    return counted


def counted_route(route: URLPattern) -> URLPattern:
    """A WebSocket route whose consumer's connections are counted under its class name."""
    consumer = getattr(route.callback, "consumer_class", type(route.callback)).__name__
    return URLPattern(route.pattern, counted_connections(route.callback, consumer),
                      route.default_args, route.name)
