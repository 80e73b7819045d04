"""Text helpers that parsers, the lexical index and the highlighter share: the Japanese character
ranges (one definition), Roman numerals, and joining wrapped lines."""

from __future__ import annotations

import re

# Characters that make up Japanese words: hiragana and katakana (with the long-vowel mark), CJK
# ideographs (extension A and the unified block), compatibility ideographs, and the iteration mark.
JAPANESE_WORD_CHARS = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u30fc々"
# Everything of Japanese running text, punctuation and full-width forms included: no space is
# written between any two of these, so a line break between them joins with none.
JAPANESE_TEXT_CHARS = JAPANESE_WORD_CHARS + "\u2460-\u24ff\u3000-\u303f\uff00-\uffef"
_WORD_CHAR = re.compile(f"[{JAPANESE_WORD_CHARS}]")
_TEXT_CHAR = re.compile(f"[{JAPANESE_TEXT_CHARS}]")
_ROMAN_VALUES = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90), ("l", 50))
_ROMAN_VALUES += (("xl", 40), ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))
_ROMAN = re.compile(r"^(m{0,3})(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")


def is_japanese_word_char(char: str) -> bool:
    return _WORD_CHAR.match(char) is not None


def is_japanese_text_char(char: str) -> bool:
    return _TEXT_CHAR.match(char) is not None


def join_wrapped(previous: str, line: str) -> str:
    """Join a wrapped line to the text before it: no space inside Japanese text, one elsewhere."""
    if not previous:
        return line
    if not line:
        return previous
    gap = "" if is_japanese_text_char(previous[-1]) or is_japanese_text_char(line[0]) else " "
    return previous + gap + line


def roman_to_int(numeral: str) -> int:
    """``"xiv"`` -> 14 (either case); ValueError for anything that is not a well-formed numeral."""
    lower = numeral.strip().lower()
    if not lower or not _ROMAN.match(lower):
        raise ValueError(f"not a Roman numeral: {numeral!r}")
    value, rest = 0, lower
    for symbol, amount in _ROMAN_VALUES:
        while rest.startswith(symbol):
            value, rest = value + amount, rest[len(symbol) :]
    return value


def int_to_roman(value: int) -> str:
    """14 -> ``"xiv"`` (lower case; ``.upper()`` for the other)."""
    if not 0 < value < 4000:
        raise ValueError(f"no Roman numeral for {value}")
    out = []
    for symbol, amount in _ROMAN_VALUES:
        count, value = divmod(value, amount)
        out.append(symbol * count)
    return "".join(out)
