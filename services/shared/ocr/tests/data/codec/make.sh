#!/usr/bin/env bash
# Regenerates the CCITT codec variants used by tests/codecs.rs: the same synthetic fax strip
# (a crop of tests/fixtures/fax-extra/fax_form_ankle.tiff) in every fax coding, so the decoded
# pixels must be identical. Needs Pillow and tiffcp (Debian libtiff-tools).
set -euo pipefail
cd "$(dirname "$0")"
SRC=../../../../../../tests/fixtures/fax-extra/fax_form_ankle.tiff
python3 - "$SRC" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).crop((0, 300, 1734, 800))
im.save("strip_none.tiff", compression="raw", dpi=(204, 196))
im.save("strip_g4.tiff", compression="group4", dpi=(204, 196))
PY
tiffcp -c g3:1d strip_none.tiff strip_g3_1d.tiff
tiffcp -c g3:2d strip_none.tiff strip_g3_2d.tiff
tiffcp -c g3:2d:fill -r 100 strip_none.tiff strip_g3_2d_fill_strips.tiff
tiffcp -c g4 -f lsb2msb strip_none.tiff strip_g4_lsb.tiff
tiffcp -c g3:2d -f lsb2msb strip_none.tiff strip_g3_2d_lsb.tiff
tiffcp -c lzw strip_none.tiff strip_lzw.tiff
tiffcp -c packbits strip_none.tiff strip_packbits.tiff
rm strip_none.tiff
ls -l
