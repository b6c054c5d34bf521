#!/usr/bin/env python3
"""Regenerates the code tables embedded in rx-codes.

Usage (from the repository root):
    python3 services/shared/codes/data/make_tables.py ICD10CM_TSV POS_TSV

ICD10CM_TSV is the FY2026 billable ICD-10-CM table (code without dot TAB description);
POS_TSV is the CMS place-of-service table (code TAB name TAB definition, header row).
Writes icd10cm_fy2026_codes.txt (billable codes only, byte-sorted, one per line) and
place_of_service.tsv (code TAB name, header row dropped) next to this script.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CODE = re.compile(r"^[A-Z][0-9A-Z]{2,6}$")


def icd10(src):
    codes = set()
    with open(src, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            code = line.split("\t", 1)[0].strip()
            if not CODE.match(code):
                sys.exit(f"{src}:{n}: not an ICD-10-CM code without dot: {code!r}")
            codes.add(code)
    out = sorted(codes, key=lambda c: c.encode("ascii"))
    with open(os.path.join(HERE, "icd10cm_fy2026_codes.txt"), "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(out))
        f.write("\n")
    return len(out)


def pos(src):
    rows = []
    with open(src, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            cols = line.rstrip("\n").split("\t")
            if n == 1 and cols[0] == "code":
                continue
            code, name = cols[0].strip(), cols[1].strip().rstrip("*").strip()
            if not re.match(r"^[0-9]{2}$", code) or not name:
                sys.exit(f"{src}:{n}: bad place-of-service row")
            rows.append((code, name))
    rows.sort()
    with open(os.path.join(HERE, "place_of_service.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for code, name in rows:
            f.write(f"{code}\t{name}\n")
    return len(rows)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(f"icd10cm: {icd10(sys.argv[1])} billable codes")
    print(f"place of service: {pos(sys.argv[2])} codes")
