"""``python -m benchmarks.cold DATA_DIR QUERY``: the cold path in a fresh interpreter, as JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(data_dir: Path, query: str) -> dict:
    started = time.perf_counter()
    from kb.service import ClauseMap
    from kb.settings import Settings

    imported = time.perf_counter()
    service = ClauseMap(Settings(data_dir=data_dir))
    service.kb()
    opened = time.perf_counter()
    service.search(query, 10)
    first = time.perf_counter()
    service.search(query + " again", 10)
    second = time.perf_counter()
    return {
        "import_s": round(imported - started, 3),
        "open_kb_s": round(opened - imported, 3),
        "first_search_s": round(first - opened, 3),  # loads the model, then searches
        "second_search_s": round(second - first, 4),
        "total_to_first_result_s": round(first - started, 3),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2])))
