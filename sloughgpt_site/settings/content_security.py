"""Content-Security-Policy (django-csp) on every response.

Strict: scripts and styles only from this origin, or inline where a template carries the
request's nonce (the account pages' stylesheet, the API docs page's start-up script); no
plugins, no framing, forms post only here. Images only from here or inline data, so a
rendered chat message can never fetch a remote image (a way to send data out). 'self' in
connect-src also covers this origin's WebSockets (ws: and wss:, CSP Level 3).

One inline stylesheet is allowed by its hash: the rule Cytoscape.js (the knowledge graph view)
adds to the page head when it first draws, `.__________cytoscape_container { position: relative; }`.
It is a fixed string in the library, so the hash allows nothing else."""

from csp.constants import NONCE, NONE, SELF

CYTOSCAPE_CONTAINER_STYLE = "'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8='"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE, CYTOSCAPE_CONTAINER_STYLE],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
