"""CI check (issue 12): the eval on the bundled corpus answers as well from PostgreSQL
as from the file store: fact recall within 0.02, no citation failures.

    python .ci/compare_stores.py FILES_REPORT_DIR PG_REPORT_DIR
"""

import json
import sys
from pathlib import Path


def rsi_result(folder: str) -> dict:
    for run in sorted(Path(folder).glob("run-*.json"), reverse=True):  # newest first
        for corpus in json.loads(run.read_text())["corpora"].values():
            if corpus["set"].endswith("rsi.jsonl"):
                return corpus["results"]["ours"]["overall"]
    sys.exit(f"no eval run of eval/sets/rsi.jsonl in {folder}")


files, pg = rsi_result(sys.argv[1]), rsi_result(sys.argv[2])
print(
    f"fact recall: files {files['fact_recall']:.3f}, postgres {pg['fact_recall']:.3f}; "
    f"citation failures: files {files['citation_failures']}, postgres {pg['citation_failures']}"
)
if abs(files["fact_recall"] - pg["fact_recall"]) > 0.02:
    sys.exit("fact recall from PostgreSQL differs from the file store by more than 0.02")
if pg["citation_failures"]:
    sys.exit("citation failures with the PostgreSQL store")
