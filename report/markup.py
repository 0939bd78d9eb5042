"""Text and links from user data, as the report's HTML holds them: the one place they are escaped.

Names come from folders and files a user made: they may hold '<', '&', '#', '?', '%', and bytes that
are not UTF-8 (which Python keeps as surrogates). Shown text shows such bytes as U+FFFD; a link keeps
the name's very bytes, URL-encoded, so the browser finds the file.
"""

from __future__ import annotations

import html
from urllib.parse import quote


def text(value) -> str:
    """Text for the page (element content or attribute value), escaped."""
    return html.escape(str(value).encode("utf-8", "surrogatepass").decode("utf-8", "replace"), quote=True)


def link(relative: str) -> str:
    """A relative link as an attribute value: URL-encoded first (a file named 'a#1' or '50%' is a name,
    not a fragment or an escape), then escaped."""
    try:
        raw = str(relative).encode("utf-8", "surrogateescape")  # a file name's own bytes
    except UnicodeEncodeError:
        raw = str(relative).encode("utf-8", "surrogatepass")
    return text(quote(raw))
