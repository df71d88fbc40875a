#!/usr/bin/env python3
"""Joins two result files of `benchmarks/run search` run one data set each (for example the real
vectors with every encoding, and a large synthetic set with float32 only, when one run of both
does not fit a time budget) into one search.json. Every number comes from the two files as the
suite wrote them; only the top-level keys derived from the synthetic set are taken from its file.

usage: merge_search.py REAL.json SYNTHETIC.json > benchmarks/results/search.json
"""
import json
import sys


def main():
    real = json.load(open(sys.argv[1]))
    syn = json.load(open(sys.argv[2]))
    out = dict(real)
    out["datasets"] = dict(real.get("datasets", {}))
    out["datasets"]["synthetic"] = syn["datasets"]["synthetic"]
    for key in ("synthetic_vectors", "ratio_vs_hnswlib_1m", "p50_ms_at_recall95_1m", "synthetic_note"):
        if key in syn:
            out[key] = syn[key]
        else:
            out.pop(key, None)
    out["date"] = real["date"]
    out["date_synthetic"] = syn["date"]
    out["merged_from"] = [sys.argv[1], sys.argv[2]]
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
