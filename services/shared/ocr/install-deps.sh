#!/usr/bin/env bash
# Installs the Debian packages that rx-ocr needs to build (leptess links Tesseract and Leptonica
# through bindgen, which needs clang) and to run (the English traineddata).
# Idempotent and non-interactive: apt is touched only when a package is missing.
set -euo pipefail

PACKAGES=(
    tesseract-ocr
    tesseract-ocr-eng
    libtesseract-dev
    libleptonica-dev
    clang
    libclang-dev
    pkg-config
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    # dpkg -s also knows removed packages whose config files remain: require "installed"
    status="$(dpkg -s "$pkg" 2>/dev/null || true)"
    if ! grep -q '^Status: install ok installed' <<<"$status"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "rx-ocr: system packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

echo "rx-ocr: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a parallel job, unattended upgrades) may hold the dpkg lock: wait for it.
APT_OPTS=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${APT_OPTS[@]}" update -q
$SUDO apt-get "${APT_OPTS[@]}" install -y -q --no-install-recommends "${missing[@]}"
