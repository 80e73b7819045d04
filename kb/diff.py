"""Word-level differences between two versions of a clause's text."""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\S+")


def word_diff(before: str, after: str) -> list[list[str]]:
    """``[op, words]`` runs with op ``=``, ``-`` or ``+``: what a reviewer reads as the amendment."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    runs: list[list[str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(["=", " ".join(old[i1:i2])])
            continue
        if i2 > i1:
            runs.append(["-", " ".join(old[i1:i2])])
        if j2 > j1:
            runs.append(["+", " ".join(new[j1:j2])])
    return runs
