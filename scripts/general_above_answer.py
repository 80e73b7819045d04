"""Does a ranking push general articles above the specific answer to a short question?

``python scripts/general_above_answer.py tests/eval/questions.jsonl``: for the short questions
(under 25 words) whose expected articles the knowledge base holds and that do not expect a general
article themselves, count those where a general article (definitions, principles, fines, scope) is
ranked above the first expected article, or sits in the top 10 when none is found; for hybrid and
for the ranking stage applied to every query.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kb.evaluation import clause_unit
from kb.service import ClauseMap
from kb.settings import Settings

GENERAL = {
    "gdpr:art-4", "gdpr:art-5", "gdpr:art-6", "gdpr:art-58", "gdpr:art-83",
    "euaia:art-1", "euaia:art-2", "euaia:art-3", "euaia:art-99", "ccpa:1798.140", "ccpa:1798.145",
}  # fmt: skip
SHORT_WORDS = 25


def main(path: str) -> None:
    service = ClauseMap(Settings().model_copy(update={"ranked_min_words": 0}))
    kb = service.kb()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    records = [
        r
        for r in records
        if all(label.split(":")[0] in kb.sources for label in r["expected"]) and len(r["query"].split()) < SHORT_WORDS
    ]
    for method in ("hybrid", "ranked"):
        asked = above = 0
        reciprocal = 0.0
        for record in records:
            expected = {clause_unit(label, kb.clauses) for label in record["expected"]}
            if expected & GENERAL:
                continue
            asked += 1
            hits = service.search(record["query"], k=20, method=method).hits
            units = list(dict.fromkeys(hit.unit.id for hit in hits))
            first = next((i for i, unit in enumerate(units) if unit in expected), None)
            above += bool(set(units[:first] if first is not None else units[:10]) & GENERAL)
            reciprocal += 1 / (first + 1) if first is not None else 0.0
        mrr = reciprocal / asked
        print(f"{method}: {asked} short questions; a general article above the answer in {above}; MRR {mrr:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
