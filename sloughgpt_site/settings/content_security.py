"""Content-Security-Policy (django-csp) on every response.

Strict: scripts and styles only from this origin, or inline where a template carries the
request's nonce (the account pages' stylesheet, the API docs page's start-up script); no
plugins, no framing, forms post only here. Images only from here or inline data, so a
rendered chat message can never fetch a remote image (a way to send data out). 'self' in
connect-src also covers this origin's WebSockets (ws: and wss:, CSP Level 3)."""

from csp.constants import NONCE, NONE, SELF

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
