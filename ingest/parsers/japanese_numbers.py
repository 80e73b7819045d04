"""Numbers as Japanese statutes write them: kanji numerals, eras, iroha order, roman item numbers.

Kept apart from the law parser because citations (第二十七条第一項第二号) and the parser's reading
of law numbers (平成一五年…法律第六一号) both need them.
"""

from __future__ import annotations

from kb.text import int_to_roman

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_DIGITS = "〇一二三四五六七八九"
IROHA = "イロハニホヘトチリヌルヲワカヨタレソツネナラムウヰノオクヤマケフコエテアサキユメミシヱヒモセス"
ERAS = {"明治": ("m", 1867), "大正": ("t", 1911), "昭和": ("s", 1925), "平成": ("h", 1988), "令和": ("r", 2018)}
KANJI_NUMERAL = "〇零一二三四五六七八九十百千"


def kanji_to_int(text: str) -> int:
    """二十七 -> 27, 百八十五 -> 185, and the digit-by-digit style of law numbers: 一五 -> 15, 六一 -> 61."""
    if not text or any(c not in _DIGITS and c not in _UNITS for c in text):
        raise ValueError(f"not a kanji numeral: {text!r}")
    if not any(c in _UNITS for c in text):
        return int("".join(str(_DIGITS[c]) for c in text))
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:
            total += (current or 1) * _UNITS[char]
            current = 0
    return total + current


def int_to_kanji(number: int) -> str:
    """27 -> 二十七, 185 -> 百八十五, 1000 -> 千 (the positional style of article numbers)."""
    if number <= 0:
        return _KANJI_DIGITS[0] if number == 0 else str(number)
    out = []
    for value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        count, number = divmod(number, value)
        if count:
            out.append(("" if count == 1 else _KANJI_DIGITS[count]) + unit)
    if number:
        out.append(_KANJI_DIGITS[number])
    return "".join(out)


def roman(number: int) -> str:
    """Item numbers as the official English translation writes them: 2 -> ii, 14 -> xiv."""
    return int_to_roman(number)


def letter(number: int) -> str:
    """Subitem イ, ロ, ハ … as the English translation letters them: 1 -> a, 27 -> aa."""
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("a") + rest) + out
    return out
