"""User text on its way into Markdown: escaped, so it shows as the text it is.

Streamlit renders captions, messages, widget labels and ``st.write`` strings as Markdown
(with its own extras: ``:red[...]`` colours, ``:material/...:`` icons, ``$...$`` maths,
bare-URL links). A plan, owner or file name, or a URL parameter, reaching one of them
unescaped could show a live link to everyone who opens a shared view. :func:`md` is the
one escaping step; pages wrap every piece of user text in it where it meets Markdown.
"""

from __future__ import annotations

import re

from wehoplan.domain import one_line

# Characters that start Markdown (and Streamlit) syntax anywhere in a line: emphasis, code,
# links and images, HTML and autolinks, tables, strike-through, maths, entities, headings,
# e-mail autolinks. A backslash before ASCII punctuation always shows it literally.
_INLINE = re.compile(r"([\\`*_\[\]<>|~$&#@])")
# Bare-URL autolinks ("http://", "www.") are broken by escaping their ':' or '.'.
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|file|javascript|data|www)([:.])")
# Block syntax at the very start (lists, quotes, rules): "- x", "+ x", "1. x", "1) x", "= x".
_LEADING = re.compile(r"^(\s*)([-+=>]|\d+[.)])")
def plain(value: object) -> str:
    """``value`` as one line of visible text: breaks become spaces, control and bidi characters go."""
    return "" if value is None else one_line(str(value))


def md(value: object) -> str:
    """``value`` as Markdown that displays exactly its text, on one line.

    Only what Markdown would act on is escaped, so ordinary names, codes ("1.2") and
    dates read the same in the page source as on screen.
    """
    text = _AUTOLINK.sub(r"\1\\\2", _INLINE.sub(r"\\\1", plain(value)))
    return _LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2) if len(m.group(2)) == 1
                        else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)
