"""Every parser, fed random and mutated documents: it returns clauses or raises ParseError with a
message — never another exception, never a hang (hypothesis deadline), never unbounded output.
Bounded for CI; for a longer run: ``KB_FUZZ_EXAMPLES=1000 pytest tests/test_fuzz_parsers.py``."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.formats import PARSERS
from ingest.parsers import ParseError

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = {
    "formex": FIXTURES / "formex" / "mini-act.xml",
    "ccpa-pdf": FIXTURES / "ccpa" / "tiny_ccpa.pdf",
    "hleg-pdf": FIXTURES / "hleg" / "mini_hleg.pdf",
    "meti-pdf-en": FIXTURES / "meti" / "mini_meti_en.pdf",
    "meti-pdf-ja": FIXTURES / "meti" / "mini_meti_ja.pdf",
    "oecd-markdown": FIXTURES / "oecd" / "tiny-2024.md",
    "oecd-commonaccord": FIXTURES / "oecd" / "tiny-2019.md",
    "principles-text": FIXTURES / "internal" / "tiny_principles.ja.txt",
    "guideline-yaml": FIXTURES / "internal" / "tiny_guideline.yaml",
    "nist-airc-html": FIXTURES / "nist" / "tiny_core.html",
    "cppa-regs-pdf": FIXTURES / "cppa_regs" / "tiny_regs.pdf",
    "colorado-session-law-pdf": FIXTURES / "colorado" / "tiny_2024.pdf",
    "japanese-law-xml": FIXTURES / "japanese_law" / "tiny-egov.xml",
}
EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "40"))  # per parser and strategy; more for a long run
FUZZ = settings(max_examples=EXAMPLES, deadline=5000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def run_parser(name: str, data: bytes) -> None:
    try:
        records = PARSERS[name]([data], "fuzz").records
    except ParseError as exc:
        assert str(exc), f"{name}: ParseError without a message"
        return
    assert isinstance(records, list)
    assert len(records) <= 10 * max(len(data), 1)  # output is bounded by the input


def mutate(data: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, length, insert in cuts:
        at = position % (len(out) + 1)
        out[at : at + length] = insert
    return bytes(out)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_fixtures_cover_every_parser(name: str) -> None:
    assert name in PARSERS and SEEDS[name].is_file()


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(name: str, data: bytes) -> None:
    run_parser(name, data)


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(cuts=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 64), st.binary(max_size=16)), max_size=6))
def test_mutated_documents(name: str, cuts: list[tuple[int, int, bytes]]) -> None:
    run_parser(name, mutate(SEEDS[name].read_bytes(), cuts))


@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(fraction=st.floats(0.0, 1.0))
def test_truncated_documents(name: str, fraction: float) -> None:
    data = SEEDS[name].read_bytes()
    run_parser(name, data[: int(len(data) * fraction)])


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_empty_wrong_format_and_compressed_input(name: str) -> None:
    other = SEEDS["formex" if name != "formex" else "oecd-markdown"].read_bytes()
    bomb = zlib.compress(b"\0" * 10_000_000)  # a zip bomb: 10 MB of zeros in ~10 KB
    for data in (b"", b"\xff\xfe\x00garbage", other, bomb, "énoncé ✓ 顔".encode("utf-16")):
        run_parser(name, data)
