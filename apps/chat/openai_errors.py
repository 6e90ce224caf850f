"""The error every /v1 failure is answered with, in OpenAI's shape:
{"error": {"message", "type", "param", "code"}} with an HTTP status (and headers such as
Retry-After). Raised by the /v1 views and the services they call."""

from __future__ import annotations

from django.http import JsonResponse


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.param, self.code, self.headers = param, code, headers or {}

    def response(self) -> JsonResponse:
        body = {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}
        response = JsonResponse(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response
