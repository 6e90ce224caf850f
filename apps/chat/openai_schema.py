"""The OpenAI-compatible API (`openai_api.py`, plain async views that DRF's schema generator
cannot see) described in the same OpenAPI schema as /api/v1/, so /api/v1/docs/ lists it
and schema-driven tests exercise it. A drf-spectacular postprocessing hook adds the paths;
keep them in step with `openai_api.py`."""

from __future__ import annotations

from apps.rag.models import GROUNDING_MODES

from .openai_api import EMBEDDING_MODEL, MAX_EMBEDDING_INPUTS, MAX_STOP_SEQUENCES, ROLES

TAG = "openai-compatible"
_REF = "#/components/schemas/"


def _ref(name: str) -> dict:
    return {"$ref": _REF + name}


def _number(low, high, *, integer=False, low_open=False) -> dict:
    schema = {"type": "integer" if integer else "number", "minimum": low, "maximum": high,
              "nullable": True}
    if low_open:
        schema["exclusiveMinimum"] = True
    return schema


SAMPLING = {
    "max_tokens": _number(1, 1 << 20, integer=True),
    "max_completion_tokens": _number(1, 1 << 20, integer=True),
    "temperature": _number(0, 2),
    "top_p": _number(0, 1, low_open=True),
    "top_k": _number(0, 1000, integer=True),
    "min_p": _number(0, 1),
    "repetition_penalty": _number(0, 10, low_open=True),
    "seed": _number(-(1 << 63), (1 << 63) - 1, integer=True),
    "stop": {"nullable": True, "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "items": {"type": "string", "minLength": 1},
         "maxItems": MAX_STOP_SEQUENCES}]},
    "stream": {"type": "boolean", "description": "Send server-sent events as tokens come."},
    "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
}
USAGE = {"type": "object", "required": ["prompt_tokens", "total_tokens"], "properties": {
    "prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"},
    "total_tokens": {"type": "integer"}}}
MODEL_NAME = {"type": "string", "minLength": 1, "example": "smollm2-135m-instruct",
              "description": "`NAME` (its production version, else the newest), `NAME:1.2.0` "
                             "or `NAME:1.2.0:Q8_0`, or `remote/ENDPOINT/MODEL` for a model of one "
                             "of your remote endpoints; GET /v1/models lists yours."}
FINISH = {"type": "string", "nullable": True, "example": "stop"}
PERSONALITY = {"nullable": True, "oneOf": [
    {"type": "integer", "minimum": 1, "maximum": (1 << 63) - 1},
    {"type": "string", "minLength": 1, "pattern": r"\S"}],
    "example": "sage",
    "description": "SloughGPT extension: a personality's id, or the name of one of yours or of a "
                   "built-in (GET /api/v1/personalities/). Its system prompt opens the "
                   "conversation and its sampling defaults fill what the request leaves out."}

RETRIEVAL = {
    "type": "object", "additionalProperties": False, "required": ["collections"],
    "properties": {
        "collections": {"type": "array", "minItems": 1, "maxItems": 20,
                        "items": {"type": "integer", "minimum": 1, "maximum": (1 << 63) - 1}},
        "retrieval_mode": {"type": "string", "enum": list(GROUNDING_MODES),
                           "default": "hybrid"}},
    "description": "SloughGPT extension: ground the reply in your collections' documents "
                   "(GET /api/v1/rag/collections/), found by hybrid search, the knowledge graph, "
                   "or both; the response's `sloughgpt.citations` lists the sources given."}


def _completion_fields(choice: dict) -> dict:
    return {"type": "object", "required": ["id", "object", "created", "model", "choices"],
            "properties": {
                "id": {"type": "string"}, "object": {"type": "string"},
                "created": {"type": "integer"}, "model": {"type": "string"},
                "system_fingerprint": {"type": "string", "nullable": True},
                "usage": USAGE,
                "choices": {"type": "array", "items": choice}}}


COMPONENTS = {
    "OpenAIError": {
        "type": "object", "required": ["error"], "description": "OpenAI's error shape.",
        "properties": {"error": {"type": "object", "required": ["message", "type"], "properties": {
            "message": {"type": "string"}, "type": {"type": "string"},
            "param": {"type": "string", "nullable": True},
            "code": {"type": "string", "nullable": True}}}}},
    "OpenAIModel": {"type": "object", "required": ["id", "object", "created", "owned_by"],
                    "properties": {"id": {"type": "string"}, "object": {"type": "string"},
                                   "created": {"type": "integer"},
                                   "owned_by": {"type": "string"}}},
    "OpenAIModelList": {"type": "object", "required": ["object", "data"], "properties": {
        "object": {"type": "string"}, "data": {"type": "array", "items": _ref("OpenAIModel")}}},
    "ChatCompletionRequest": {
        "type": "object", "required": ["model", "messages"],
        "properties": {"model": MODEL_NAME, "messages": {
            "type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["role", "content"], "properties": {
                    "role": {"type": "string", "enum": list(ROLES)},
                    "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": {
                        "type": "object", "required": ["type", "text"], "properties": {
                            "type": {"type": "string", "enum": ["text"]},
                            "text": {"type": "string"}}}}]}}}},
            "personality": PERSONALITY, "sloughgpt": RETRIEVAL, **SAMPLING}},
    "ChatCompletion": _completion_fields({
        "type": "object", "properties": {
            "index": {"type": "integer"}, "finish_reason": FINISH,
            "message": {"type": "object", "properties": {"role": {"type": "string"},
                                                         "content": {"type": "string"}}}}}),
    "CompletionRequest": {
        "type": "object", "required": ["model", "prompt"],
        "properties": {"model": MODEL_NAME, "prompt": {"oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "minItems": 1, "maxItems": 1,
             "items": {"type": "string", "minLength": 1}}]}, **SAMPLING}},
    "Completion": _completion_fields({
        "type": "object", "properties": {"index": {"type": "integer"}, "text": {"type": "string"},
                                         "finish_reason": FINISH}}),
    "EmbeddingRequest": {
        "type": "object", "required": ["model", "input"], "properties": {
            "model": {"type": "string", "example": EMBEDDING_MODEL,
                      "description": f"`{EMBEDDING_MODEL}` (384 dimensions)."},
            "input": {"oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "maxItems": MAX_EMBEDDING_INPUTS,
                 "items": {"type": "string", "minLength": 1}}]},
            "encoding_format": {"type": "string", "enum": ["float", "base64"]},
            "dimensions": {"type": "integer", "enum": [384]}}},
    "EmbeddingList": {
        "type": "object", "required": ["object", "model", "data", "usage"], "properties": {
            "object": {"type": "string"}, "model": {"type": "string"}, "usage": USAGE,
            "data": {"type": "array", "items": {"type": "object", "properties": {
                "object": {"type": "string"}, "index": {"type": "integer"},
                "embedding": {"oneOf": [
                    {"type": "array", "items": {"type": "number"}},
                    {"type": "string", "description": "base64 of little-endian float32"}]}}}}}},
}

ERRORS = {
    "400": "The body or a parameter is invalid (`param` names it).",
    "401": "No valid API token: send `Authorization: Bearer sg_...`.",
    "404": "No such model among yours.",
    "413": "The request body is larger than the server accepts.",
    "429": "A quota is spent (`Retry-After` says when to try again), or too many remote model replies "
           "are streaming (code `remote_busy`): try again in a moment.",
    "502": "A remote model's endpoint failed (code `remote_failed`); the message says how.",
    "503": "No inference worker started the request in time; try again.",
}


def _json(name: str) -> dict:
    return {"application/json": {"schema": _ref(name)}}


def _operation(operation_id: str, summary: str, ok: dict, errors: list[str],
               request: str | None = None) -> dict:
    responses = {"200": {"description": "", "content": ok}}
    responses.update({code: {"description": ERRORS[code], "content": _json("OpenAIError")}
                      for code in errors})
    operation = {"operationId": operation_id, "summary": summary, "tags": [TAG],
                 "security": [{"bearerAuth": []}], "responses": responses}
    if request:
        operation["requestBody"] = {"required": True, "content": _json(request)}
    return operation


def _generation(operation_id: str, summary: str, request: str, response: str, *, remote: bool = False) -> dict:
    """A generating operation; `remote` for one that also proxies remote models (their
    endpoint's failure is a 502)."""
    ok = {**_json(response), "text/event-stream": {"schema": {
        "type": "string", "description": "With `stream`: `data: {chunk}` events, then "
                                         "`data: [DONE]`."}}}
    errors = ["400", "401", "404", "413", "429", *(["502"] if remote else []), "503"]
    return {"post": _operation(operation_id, summary, ok, errors, request)}


PATHS = {
    "/v1/models": {"get": _operation("openai_models_list", "Your ready models, by name.",
                                     _json("OpenAIModelList"), ["400", "401"])},
    "/v1/models/{model}": {
        "get": {**_operation("openai_models_retrieve", "One model by name.",
                             _json("OpenAIModel"), ["400", "401", "404"]),
                "parameters": [{"name": "model", "in": "path", "required": True,
                                "schema": {"type": "string"}}]}},
    "/v1/chat/completions": _generation("openai_chat_completions_create",
                                        "A chat reply (OpenAI chat completions).",
                                        "ChatCompletionRequest", "ChatCompletion", remote=True),
    "/v1/completions": _generation("openai_completions_create",
                                   "A text continuation (OpenAI completions).",
                                   "CompletionRequest", "Completion"),
    "/v1/embeddings": {"post": _operation("openai_embeddings_create",
                                          "Sentence embeddings of one or more texts.",
                                          _json("EmbeddingList"), ["400", "401", "404", "413"],
                                          "EmbeddingRequest")},
}


def add_openai_paths(result, generator, request, public):
    """drf-spectacular postprocessing hook."""
    result["paths"].update(PATHS)
    result["components"].setdefault("schemas", {}).update(COMPONENTS)
    result.setdefault("tags", []).append({
        "name": TAG, "description": "The OpenAI-compatible API under /v1/ (the official "
                                    "`openai` client works with base_url=<site>/v1)."})
    return result
