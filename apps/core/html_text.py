"""Plain text from HTML (an uploaded page, an Anki field): blocks on their own lines,
scripts, styles and other code dropped. Only text comes out; nothing in the markup is run."""

from __future__ import annotations

from html.parser import HTMLParser


class _TextCollector(HTMLParser):
    # Content of these elements is code or metadata, never document text.
    SKIPPED = {"script", "style", "noscript", "template", "svg", "iframe", "object"}
    # These start a new line, so sentences in neighbouring blocks do not run together.
    BLOCKS = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "header",
        "footer",
        "title",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The text of an HTML fragment or page, blocks on their own lines, scripts and styles dropped."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return "".join(collector.parts)
