"""The vPDQ baseline for the accuracy benchmark: Meta's vPDQ on the same files, same questions.

Run by `cargo bench --bench accuracy`, which writes the manifest this reads: the indexed videos
with their dates, and every query with the reference it should find. Needs the `vpdq` package
from PyPI (`pip install vpdq`); the harness passes the interpreter in VPDQ_PYTHON.

Matching follows vPDQ's published brute-force matcher with ThreatExchange's thresholds: one PDQ
hash a second, frames of quality < 50 ignored, two frames match at Hamming distance <= 31 (of
256 bits), and a video matches when >= 80 % of the query's frames match the indexed video's and
>= 80 % of the indexed video's match the query's. Time order is ignored, as in vPDQ.
"""

import json
import os
import sys

import vpdq

QUALITY_THRESHOLD = 50
DISTANCE_THRESHOLD = 31
MATCH_PERCENT = 80.0


def features(path, cache_dir):
    """The vPDQ hashes of `path`, one per second, as integers; cached beside the benchmark files."""
    cache = os.path.join(cache_dir, os.path.basename(path) + ".vpdq.json")
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        with open(cache) as f:
            return json.load(f)
    hashes = [
        int(feature.hex, 16)
        for feature in vpdq.computeHash(path, seconds_per_hash=1)
        if feature.quality >= QUALITY_THRESHOLD
    ]
    with open(cache, "w") as f:
        json.dump(hashes, f)
    return hashes


def share_matched(these, those):
    if not these:
        return 0.0
    matched = sum(1 for a in these if any((a ^ b).bit_count() <= DISTANCE_THRESHOLD for b in those))
    return 100.0 * matched / len(these)


def matches(query, indexed):
    return (
        share_matched(query, indexed) >= MATCH_PERCENT
        and share_matched(indexed, query) >= MATCH_PERCENT
    )


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    cache_dir = os.path.dirname(os.path.abspath(sys.argv[1]))
    index = [(entry["name"], entry["first_seen"], features(entry["path"], cache_dir)) for entry in manifest["index"]]

    def found(path):
        query = features(path, cache_dir)
        return sorted((first_seen, name) for name, first_seen, hashes in index if matches(query, hashes))

    results = {}
    for query in manifest["queries"]:
        hits = found(query["path"])
        family = results.setdefault(query["family"], {"right": 0, "total": 0, "false": 0})
        family["total"] += 1
        family["right"] += int(bool(hits) and hits[0][1] == query["expected"])
        family["false"] += sum(1 for _, name in hits if name != query["expected"])
    negatives = sum(len(found(path)) for path in manifest["negatives"])
    json.dump({"families": results, "negative_matches": negatives}, sys.stdout)


if __name__ == "__main__":
    main()
