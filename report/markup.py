"""Text and links from user data, as the report's HTML holds them: the one place they are escaped.

Names come from folders and files a user made: they may hold '<', '&', '#', '?', '%', and bytes that
are not UTF-8 (which Python keeps as surrogates). Shown text shows such bytes as U+FFFD; a link keeps
the name's very bytes, URL-encoded, so the browser finds the file.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from errors import printable


def shown(value) -> str:
    """A name as text a page (or a script's JSON) can hold: each byte that is not UTF-8 (a surrogate
    Python keeps for it) becomes one U+FFFD, and control (ESC) and text-reordering characters are
    written as escapes (`\\x1b`, as `errors.printable` shows them in a terminal), so a folder's name
    cannot hide, reorder or smuggle text into the page."""
    return printable(re.sub("[\ud800-\udfff]", "\ufffd", str(value)))


def text(value) -> str:
    """Text for the page (element content or attribute value), escaped."""
    return html.escape(shown(value), quote=True)


def url(relative: str) -> str:
    """A relative path URL-encoded from its very bytes: plain ASCII, the same in HTML, in a script's
    JSON and in the browser's request (a key that must match in all three is this, not the name)."""
    try:
        raw = str(relative).encode("utf-8", "surrogateescape")  # a file name's own bytes
    except UnicodeEncodeError:
        raw = str(relative).encode("utf-8", "surrogatepass")
    return quote(raw)


def link(relative: str) -> str:
    """A relative link as an attribute value: URL-encoded first (a file named 'a#1' or '50%' is a name,
    not a fragment or an escape), then escaped."""
    return text(url(relative))
