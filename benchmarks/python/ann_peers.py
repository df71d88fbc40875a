#!/usr/bin/env python3
"""Builds and searches hnswlib and FAISS HNSW over the vectors DocRag's search benchmark wrote.

Called by SearchBenchmark (benchmarks/run search), on the same files in the same run, with the
same M and construction beam. Single thread everywhere: one build thread, one query per call.
Writes a TSV that SearchBenchmark reads:
  build  <engine>  <build_seconds>  <disk_bytes>  <rss_delta_bytes>
  search <engine>  <ef>  <run>  <recall@k>  <qps>  <p50_ms>  <p99_ms>
Files: base.f32 and queries.f32 are little-endian float32 rows of --dim; gt.i32 holds the exact
top-k row numbers of each query, int32.
"""
import argparse
import os
import time

import numpy as np


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def percentile(values, q):
    v = sorted(values)
    rank = max(1, int(np.ceil(q * len(v))))
    return v[min(len(v), rank) - 1]


def sweep(name, search_one, set_ef, queries, gt, k, efs, runs, warmup, out):
    nq = len(queries)
    for run in range(1, runs + 1):
        for ef in efs:
            set_ef(ef)
            for i in range(min(warmup, nq)):
                search_one(queries[i:i + 1])
            lat = []
            hits = 0
            t0 = time.perf_counter_ns()
            for i in range(nq):
                s = time.perf_counter_ns()
                ids = search_one(queries[i:i + 1])
                lat.append(time.perf_counter_ns() - s)
                hits += len(set(int(x) for x in ids[:k]) & set(int(x) for x in gt[i]))
            total = time.perf_counter_ns() - t0
            recall = hits / (nq * k)
            qps = nq / (total / 1e9)
            out.write("search\t%s\t%d\t%d\t%.5f\t%.2f\t%.4f\t%.4f\n" % (
                name, ef, run, recall, qps, percentile(lat, 0.50) / 1e6, percentile(lat, 0.99) / 1e6))
            out.flush()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True, help="folder with base.f32, queries.f32, gt.i32")
    p.add_argument("--dim", type=int, required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=100)
    p.add_argument("--efs", default="10,20,40,80,160")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--engines", default="hnswlib,faiss")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    base = np.fromfile(os.path.join(a.dir, "base.f32"), dtype="<f4").reshape(-1, a.dim)
    queries = np.fromfile(os.path.join(a.dir, "queries.f32"), dtype="<f4").reshape(-1, a.dim)
    gt = np.fromfile(os.path.join(a.dir, "gt.i32"), dtype="<i4").reshape(len(queries), -1)[:, :a.k]
    efs = [int(x) for x in a.efs.split(",")]
    n = len(base)
    with open(a.out, "w") as out:
        for engine in a.engines.split(","):
            if engine == "hnswlib":
                import hnswlib
                r0 = rss_bytes()
                t0 = time.perf_counter()
                index = hnswlib.Index(space="ip", dim=a.dim)
                index.init_index(max_elements=n, ef_construction=a.ef_construction, M=a.m, random_seed=42)
                index.set_num_threads(1)
                index.add_items(base, np.arange(n), num_threads=1)
                build = time.perf_counter() - t0
                mem = rss_bytes() - r0
                path = os.path.join(a.dir, "hnswlib.bin")
                index.save_index(path)
                disk = os.path.getsize(path)
                os.remove(path)
                out.write("build\thnswlib\t%.3f\t%d\t%d\n" % (build, disk, mem))
                out.flush()
                sweep("hnswlib", lambda q: index.knn_query(q, k=a.k, num_threads=1)[0][0], index.set_ef,
                      queries, gt, a.k, efs, a.runs, a.warmup, out)
                del index
            elif engine == "faiss":
                import faiss
                faiss.omp_set_num_threads(1)
                r0 = rss_bytes()
                t0 = time.perf_counter()
                index = faiss.IndexHNSWFlat(a.dim, a.m, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = a.ef_construction
                index.add(base)
                build = time.perf_counter() - t0
                mem = rss_bytes() - r0
                path = os.path.join(a.dir, "faiss.index")
                faiss.write_index(index, path)
                disk = os.path.getsize(path)
                os.remove(path)
                out.write("build\tfaiss\t%.3f\t%d\t%d\n" % (build, disk, mem))
                out.flush()

                def set_ef(ef, index=index):
                    index.hnsw.efSearch = ef

                sweep("faiss", lambda q: index.search(q, a.k)[1][0], set_ef,
                      queries, gt, a.k, efs, a.runs, a.warmup, out)
                del index
            else:
                raise SystemExit("unknown engine " + engine)


if __name__ == "__main__":
    main()
