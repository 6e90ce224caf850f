"""Steps that rewrite records: normalize, pii_scrub and template."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import Counter

from ml.data.pipeline.recipe import Normalize, PiiScrub, Template, format_columns
from ml.data.pipeline.records import DEFAULT_COLUMNS, Item, rewrite_text
from ml.data.pipeline.report import StepReport

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Only whitespace that needs rewriting matches (a lone space between words does not), so
# clean text is scanned without substitutions.
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_LINE_EDGES = re.compile(r" \n ?|\n ")
_BLANK_RUNS = re.compile(r"\n{3,}")
# Clean ASCII text (the common case) has none of these and is only stripped.
_ODD = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_ODD_RUNS = ("  ", " \n", "\n ", "\n\n\n")


class NormalizeOp:
    def __init__(self, step: Normalize, report: StepReport):
        self.step = step

    def text(self, s: str) -> str:
        if s.isascii() and _ODD.search(s) is None and not any(r in s for r in _ODD_RUNS):
            return s.strip() if self.step.whitespace else s  # nothing else to rewrite
        if self.step.control:
            s = _CONTROL.sub("", s.replace("\r\n", "\n"))
        if self.step.nfkc and not s.isascii():
            s = unicodedata.normalize("NFKC", s)
        if self.step.whitespace:
            s = _SPACES.sub(" ", s.replace("\r\n", "\n"))
            s = _BLANK_RUNS.sub("\n\n", _LINE_EDGES.sub("\n", s)).strip()
        return s

    def process(self, items: list[Item]) -> list[Item]:
        for item in items:
            item.data = rewrite_text(item.data, item.columns, self.text)
        return items


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
# A run of digit groups long enough to hold a card; the card may be only part of it ("qty 2
# 4111 1111 1111 1111"), so the run is searched for a Luhn-valid window (see `_card_run`).
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,}(?![\d-])")
_GROUP = re.compile(r"\d+")
CARD_DIGITS = (13, 19)
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w])"
)
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_DIGIT = re.compile(r"\d")
TOKENS = {"email": "<EMAIL>", "phone": "<PHONE>", "ip": "<IP>", "card": "<CARD>"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class PiiScrubOp:
    """E-mail addresses, card numbers (13-19 digits passing the Luhn check, also within a
    longer run of numbers), IPv4/IPv6 addresses and phone numbers (7-15 digits, not a date nor
    a list of small numbers) become `<EMAIL>`, `<CARD>`, `<IP>`, `<PHONE>`; cards go before
    phones so a card is never counted as a phone."""

    def __init__(self, step: PiiScrub, report: StepReport):
        self.kinds = set(step.kinds)
        self.report = report
        self.counts: Counter = Counter({k: 0 for k in step.kinds})

    def _sub(self, kind: str, pattern: re.Pattern, s: str, accept=None) -> str:
        def replace(match: re.Match) -> str:
            if accept is not None and not accept(match.group()):
                return match.group()
            self.counts[kind] += 1
            return TOKENS[kind]

        return pattern.sub(replace, s)

    def _card_run(self, run: str) -> str:
        """`run` with its card numbers replaced: the whole run when it is one, else the longest
        (then leftmost) Luhn-valid window of whole digit groups, and the same again on either
        side of it."""
        digits = re.sub(r"\D", "", run)
        low, high = CARD_DIGITS
        if low <= len(digits) <= high and luhn_ok(digits):
            self.counts["card"] += 1
            return TOKENS["card"]
        groups = [(m.start(), m.end(), m.group()) for m in _GROUP.finditer(run)]
        best = None  # (digits, -start, start, end)
        for i in range(len(groups)):
            window = ""
            for j in range(i, len(groups)):
                window += groups[j][2]
                if len(window) > high:
                    break
                if len(window) >= low and luhn_ok(window):
                    candidate = (len(window), -groups[i][0], groups[i][0], groups[j][1])
                    best = max(best, candidate) if best else candidate
        if best is None:
            return run
        start, end = best[2], best[3]
        self.counts["card"] += 1
        return self._card_run(run[:start]) + TOKENS["card"] + self._card_run(run[end:])

    def text(self, s: str) -> str:
        if "email" in self.kinds and "@" in s:
            s = self._sub("email", _EMAIL, s)
        digits = _DIGIT.search(s) is not None
        if "ip" in self.kinds and (digits or "::" in s) and s.count(":") >= 2:
            s = self._sub("ip", _IPV6, s, _is_ipv6)
        if not digits:
            return s
        if "card" in self.kinds:
            s = _CARD.sub(lambda m: self._card_run(m.group()), s)
        if "ip" in self.kinds:
            s = self._sub("ip", _IPV4, s)
        if "phone" in self.kinds:
            s = self._sub("phone", _PHONE, s, _is_phone)
        return s

    def process(self, items: list[Item]) -> list[Item]:
        for item in items:
            item.data = rewrite_text(item.data, item.columns, self.text)
        self.report.stats.update(self.counts)
        return items


def _is_ipv6(s: str) -> bool:
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return True


def _is_phone(s: str) -> bool:
    digits = sum(ch.isdigit() for ch in s)
    if not 7 <= digits <= 15 or _DATE.fullmatch(s):
        return False
    # Numbers apart by spaces alone ("10 20 30 40") are a list unless there are enough for a
    # full number with area code, and not then when every number is two digits or fewer.
    if any(ch in s for ch in "+(-."):
        return True
    return digits >= 10 and any(len(group) > 2 for group in s.split())


# A rendered record longer than this (all its strings together) is counted as an error: a
# template repeating a long column must not turn one record into gigabytes.
MAX_RENDERED_CHARS = 2_000_000


class TemplateOp:
    """Maps each record's columns into a pair, a chat or a text; the record is replaced. A
    record's size is checked before rendering (the template's length plus its columns'), so an
    oversized one is refused without being built."""

    def __init__(self, step: Template, report: StepReport):
        self.step = step
        self.report = report
        self.formats = [
            fmt for fmt in (step.prompt, step.response, step.text, step.system) if fmt is not None
        ]
        self.columns = [format_columns(fmt) for fmt in self.formats]

    def _size(self, data: dict) -> int:
        return sum(
            len(fmt) + sum(len(str(data[name])) for name in names)
            for fmt, names in zip(self.formats, self.columns)
        )

    def _render(self, data: dict) -> dict:
        s = self.step
        if s.mode == "text":
            return {"text": s.text.format_map(data)}
        prompt, response = s.prompt.format_map(data), s.response.format_map(data)
        if s.mode == "pair":
            return {"prompt": prompt, "response": response}
        messages = [{"role": "system", "content": s.system.format_map(data)}] if s.system else []
        messages += [
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": response},
        ]
        return {"messages": messages}

    def process(self, items: list[Item]) -> list[Item]:
        out = []
        for item in items:
            try:
                size = self._size(item.data)
                if size > MAX_RENDERED_CHARS:
                    self.report.fail(
                        item, f"the templated record would be {size:,} characters, over "
                        f"{MAX_RENDERED_CHARS:,}"
                    )
                    continue
                item.data = self._render(item.data)
            except KeyError as exc:
                self.report.fail(item, f"no column {exc.args[0]!r}")
                continue
            except (IndexError, ValueError) as exc:  # format_map's own complaints
                self.report.fail(item, f"cannot fill the template: {exc}")
                continue
            item.columns = DEFAULT_COLUMNS
            out.append(item)
        return out
