"""Docstrings as the browsable page shows them: a small, safe subset of reStructuredText as HTML.

Paragraphs, ``- `` bullet lists, ``::`` literal blocks, ````literals````, ``:role:`target```
(shown as code), ``*emphasis*`` and ``**strong**``.  Everything else is shown as text; the
text is escaped first, so a docstring can never inject markup.
"""

from __future__ import annotations

import inspect
import re

from django.utils.html import escape

_LITERAL = re.compile(r"``(.+?)``")
_ROLE = re.compile(r":[\w:.-]+:`(~?)([^`]+?)`")
_STRONG = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_BULLETS = ("- ", "* ")


def _inline(text: str) -> str:
    """Inline markup of one paragraph; literals are set aside first so nothing inside them is parsed."""
    codes: list[str] = []

    def keep(match: re.Match[str]) -> str:
        codes.append(f"<code>{escape(match.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    def keep_role(match: re.Match[str]) -> str:
        target = match.group(2)
        codes.append(f"<code>{escape(target.rsplit('.', 1)[-1] if match.group(1) else target)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = _LITERAL.sub(keep, text)
    text = _ROLE.sub(keep_role, text)
    html = str(escape(text))
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    html = _EMPHASIS.sub(r"<em>\1</em>", html)
    return _PLACEHOLDER.sub(lambda match: codes[int(match.group(1))], html)


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _is_list(block: list[str]) -> bool:
    return block[0].lstrip().startswith(_BULLETS) and all(
        line.lstrip().startswith(_BULLETS) or line.startswith((" ", "\t")) for line in block
    )


def _list_items(block: list[str]) -> list[str]:
    items: list[str] = []
    for line in block:
        stripped = line.lstrip()
        if stripped.startswith(_BULLETS):
            items.append(stripped[2:])
        else:
            items[-1] += " " + stripped
    return items


def _literal_intro(paragraph: str) -> str:
    """A paragraph ending in ``::`` as reST shows it: ``text::`` -> ``text:``, ``text ::`` -> ``text``."""
    text = paragraph[:-2]
    return text.rstrip() if not text or text.endswith((" ", "\t")) else text + ":"


def render_docstring(doc: str | None) -> str:
    """HTML for a docstring (indentation is removed as ``inspect.cleandoc`` does)."""
    if not doc:
        return ""
    blocks = _blocks(inspect.cleandoc(doc))
    parts: list[str] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        index += 1
        if _is_list(block):
            parts.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in _list_items(block)) + "</ul>")
            continue
        paragraph = " ".join(line.strip() for line in block)
        if not paragraph.endswith("::"):
            parts.append(f"<p>{_inline(paragraph)}</p>")
            continue
        intro = _literal_intro(paragraph)
        if intro:
            parts.append(f"<p>{_inline(intro)}</p>")
        literal: list[str] = []
        while index < len(blocks) and blocks[index][0].startswith((" ", "\t")):
            if literal:
                literal.append("")
            literal.extend(blocks[index])
            index += 1
        if literal:
            parts.append(f"<pre>{escape(inspect.cleandoc(chr(10).join(literal)))}</pre>")
    return "".join(parts)


__all__ = [
    "render_docstring",
]
