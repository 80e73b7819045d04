"""Lead-in, points, tail: the shape of a provision that lists points, shared by the parsers.

A paragraph that lists points reads in three parts: the *lead-in* (every word before the first
point, "Processing shall be lawful only if … applies:"), the *points* ((a), (b) …), and a *tail*:
the subparagraphs that follow the list ("Point (f) of the first subparagraph shall not apply …").
A clause's text is read as one passage, so the tail cannot be stored with the lead-in (it would
read before the points); each tail subparagraph becomes a clause of its own, placed after the
points and named by its position in the provision: ``gdpr:art-6(1)(sub2)``, cited "Art. 6(1),
second subparagraph", as EU law cites it. Formex uses ``split_provision`` on a paragraph's
subparagraphs and on an annex point's blocks; the PDF parsers, which read a line stream, apply the
same rule as they go: the METI guidelines' prose after a part's last item is that part's closing
note (``meti:part-4(closing)``: the guidelines do not number their paragraphs, so no ordinal), and
an HLEG question's deeper bullets are its points. Whatever the format, a clause's text is one
passage of the document, and the clauses in position order read as the document does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
)


def ordinal(position: int) -> str:
    """'second' for 2: how legal texts cite the n-th subparagraph or indent."""
    if position < 1:
        raise ValueError(f"positions count from 1, got {position}")
    return ORDINALS[position - 1] if position <= len(ORDINALS) else f"{position}th"


@dataclass(frozen=True)
class Provision(Generic[T]):
    """A provision's blocks (subparagraphs) split into the lead-in and the tail.

    ``lead_in`` holds the blocks up to and including the first one that lists points (their words
    are the provision's own text, their points are its points); ``tail`` the later blocks, each
    with its 1-based position among all the blocks.
    """

    lead_in: tuple[T, ...]
    tail: tuple[tuple[int, T], ...]


def split_provision(blocks: Sequence[T], has_points: Callable[[T], bool]) -> Provision[T]:
    """Split a provision's blocks, in document order, at the end of the first block with points.

    A provision without points has no tail: all its blocks are its text, which then reads in order.
    """
    for index, block in enumerate(blocks):
        if has_points(block):
            tail = tuple((position, later) for position, later in enumerate(blocks[index + 1 :], start=index + 2))
            return Provision(tuple(blocks[: index + 1]), tail)
    return Provision(tuple(blocks), ())


def subparagraph_id(parent_id: str, position: int) -> str:
    """``gdpr:art-6(1)`` and 2 -> ``gdpr:art-6(1)(sub2)``."""
    return f"{parent_id}(sub{position})"


def subparagraph_number(position: int) -> str:
    return f"{ordinal(position)} subparagraph"


def subparagraph_label(label: str, position: int) -> str:
    """'Art. 6(1)' and 2 -> 'Art. 6(1), second subparagraph'."""
    return f"{label}, {subparagraph_number(position)}"
