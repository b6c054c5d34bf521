"""Runs the Python peers over the shared bench inputs and writes one JSON object a line.

Each (peer, operation, input) is timed with time.perf_counter over whole passes of the file,
repeated until at least --min-seconds have passed (one pass at least), so the rate is
items per second of one Python process on one core.
"""

import argparse
import io
import json
import logging
import sys
import time
from importlib.metadata import version


def passes(min_seconds, once, warm_up):
    """Runs `once` until min_seconds have passed; returns (passes, seconds). With warm_up, one
    untimed pass first takes the one-time costs (imports, pyx12 loading its maps, hl7apy its
    structures) out of the rate."""
    if warm_up:
        once()
    n, start = 0, time.perf_counter()
    while True:
        once()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return n, elapsed


def hl7_messages(path):
    # newline="" keeps the carriage returns that separate segments
    with open(path, encoding="utf-8", newline="") as f:
        return [m for m in f.read().split("\n") if m.strip()]


def python_hl7_parse(messages):
    import hl7

    def once():
        for m in messages:
            hl7.parse(m)

    return once


def hl7apy_parse(messages):
    from hl7apy.parser import parse_message

    def once():
        for m in messages:
            parse_message(m, find_groups=False)

    return once


def pyx12_tokenize(path):
    import pyx12.x12file

    def once():
        for _ in pyx12.x12file.X12Reader(path):
            pass

    return once


def pyx12_validate(path):
    import pyx12.params
    import pyx12.x12n_document

    param = pyx12.params.params()

    def once():
        ok = pyx12.x12n_document.x12n_document(param, path, io.StringIO(), None)
        if not ok:
            raise SystemExit(f"pyx12 finds {path} invalid")

    return once


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    ap.add_argument(
        "--max-pass-seconds",
        type=float,
        default=30.0,
        help="skip an input when the rate on the previous input of 100 items or more says one pass takes longer",
    )
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    hl7_v = f"python-hl7 {version('hl7')}"
    hl7apy_v = f"hl7apy {version('hl7apy')}"
    pyx12_v = f"pyx12 {version('pyx12')}"
    out = open(args.out, "w", encoding="utf-8")
    last_rate = {}
    for item in manifest["inputs"]:
        jobs = []
        path = item["path"]
        if item["kind"] == "hl7v2":
            messages = hl7_messages(path)
            jobs = [(hl7_v, "parse", python_hl7_parse(messages)), (hl7apy_v, "parse", hl7apy_parse(messages))]
        elif item["kind"] == "x12":
            jobs = [(pyx12_v, "tokenize", pyx12_tokenize(path))]
            if item.get("pyx12_validates"):
                jobs.append((pyx12_v, "validate", pyx12_validate(path)))
        for peer, op, once in jobs:
            family = (peer, op, item["name"].rsplit("_", 1)[0])
            estimate = item["items"] / last_rate[family] if family in last_rate else 0.0
            if estimate > args.max_pass_seconds:
                row = {"peer": peer, "op": op, "input": item["name"], "items": item["items"], "skipped": True,
                       "estimated_pass_seconds": estimate, "rate": 0.0}
                out.write(json.dumps(row) + "\n")
                print(f"{peer:18} {op:9} {item['name']:22} skipped: one pass would take ~{estimate:.0f} s",
                      file=sys.stderr)
                continue
            n, seconds = passes(args.min_seconds, once, warm_up=item["items"] < 10_000)
            row = {
                "peer": peer,
                "op": op,
                "input": item["name"],
                "items": item["items"],
                "passes": n,
                "seconds": seconds,
                "rate": item["items"] * n / seconds,
            }
            # a one-item file's rate is mostly start-up cost: only larger files predict
            if item["items"] >= 100:
                last_rate[family] = row["rate"]
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"{peer:18} {op:9} {item['name']:22} {row['rate']:12.0f} items/s", file=sys.stderr)
    out.close()


if __name__ == "__main__":
    main()
