"""What a browser page reports going wrong: console errors, uncaught exceptions and
Content-Security-Policy violations, collected per browser context so a test can assert there
were none (or that an expected one happened); and a page in a fresh context that collects them."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

# Runs before any page script; the event reaches the document for every blocked load or
# inline script, including ones the console does not name.
_VIOLATION_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
  window.reportCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
  );
});
"""


@dataclass
class PageProblems:
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def watch(cls, context) -> PageProblems:
        """Start collecting from every page of `context`, including pages opened later."""
        problems = cls()
        context.expose_binding(
            "reportCspViolation",
            lambda source, text: problems.violations.append(f"{source['page'].url}: {text}"),
        )
        context.add_init_script(_VIOLATION_LISTENER)
        context.on("page", problems._listen)
        return problems

    def _listen(self, page) -> None:
        def on_console(message) -> None:
            if message.type == "error":
                self.errors.append(f"{page.url}: console: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: page error: {error}"))

    def settle(self, page) -> None:
        """Wait until the page is quiet and every queued violation event has been delivered."""
        page.wait_for_load_state("networkidle")
        # A round trip through the page's event loop runs the queued violation events first.
        page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")

    def all(self) -> list[str]:
        return self.violations + self.errors


@contextmanager
def watched_page(browser, base_url: str, viewport: dict, timeout_ms: int = 30_000):
    """Yields (a page in a fresh browser context at `base_url`, that context's problems) and
    closes the context afterwards."""
    context = browser.new_context(base_url=base_url, viewport=viewport)
    problems = PageProblems.watch(context)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    try:
        yield page, problems
    finally:
        context.close()
