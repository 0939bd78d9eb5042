"""Text and links from user data, as the report's HTML holds them: the one place they are escaped.

Names come from folders and files a user made: they may hold '<', '&', '#', '?', '%', and bytes that
are not UTF-8 (which Python keeps as surrogates). Shown text shows such bytes as U+FFFD; a link keeps
the name's very bytes, URL-encoded, so the browser finds the file.
"""

from __future__ import annotations

import html
from urllib.parse import quote


def shown(value) -> str:
    """A name as text a page (or a script's JSON) can hold: bytes that are not UTF-8 become U+FFFD."""
    return str(value).encode("utf-8", "surrogatepass").decode("utf-8", "replace")


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
