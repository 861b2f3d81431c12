#!/usr/bin/env bash
# Installs what is missing, idempotently: PyTorch (libtorch for the addon), node modules, the
# native addon. With --test also the Python reference oracles the parity tests compare against.
# With --link also the `rlvr` command on the PATH (npm link: builds, then links this clone's bin).
# Downloads come only from PyPI / the npm registry; on these machines `torch==2.13.0` is a
# local CPU wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@"; }

if [ -z "${LIBTORCH:-}" ] && ! python3 -c 'import torch' 2>/dev/null; then
  echo "setup: installing PyTorch (libtorch for the native addon)" >&2
  pip_install torch==2.13.0
fi
if [ "${1:-}" = "--test" ]; then
  if ! python3 -c 'import transformers, tokenizers, safetensors, math_verify, pyarrow, numpy, gguf, accelerate, sympy, pylatexenc, tensorboard, scipy, statsmodels, peft' 2>/dev/null; then
    echo "setup: installing the Python reference oracles for the tests" >&2
    pip_install transformers==5.24.0 tokenizers==0.23.3 safetensors==0.8.0 math-verify==0.9.0 pyarrow==26.0.1 numpy gguf==0.19.0 accelerate==1.15.0 sympy==1.14.0 pylatexenc==2.10 tensorboard==2.21.0 scipy==1.17.1 statsmodels==0.15.0 peft==0.21.2
  fi
  # The dashboard's browser test checks that CJK text renders as glyphs: Debian's Noto CJK fonts.
  # grep reads all of fc-list's output: with -q it would stop early and pipefail would see SIGPIPE.
  if ! fc-list 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null; then
    echo "setup: installing fonts-noto-cjk (apt) for the dashboard test" >&2
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) >/tmp/rlvr-setup-apt.log 2>&1; then
      cat /tmp/rlvr-setup-apt.log >&2
      exit 1
    fi
  fi
  # The dashboard's browser test drives Debian's Chromium (puppeteer-core downloads no browser).
  if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && [ -z "${CHROMIUM_PATH:-}" ]; then
    echo "setup: installing chromium (apt) for the dashboard test" >&2
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/tmp/rlvr-setup-apt.log 2>&1; then
      cat /tmp/rlvr-setup-apt.log >&2
      exit 1
    fi
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing node modules" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
# build-native decides from a hash of src/native (build/Release/rlvr_native.json), not file times:
# an addon copied in after the sources would look newer than them. Up to date, it returns at once.
npm run --silent build:native
if [ "${1:-}" = "--link" ]; then
  npm run --silent build
  npm link --no-audit --no-fund --loglevel=error
  echo "setup: rlvr is on the PATH ($(command -v rlvr || echo 'npm link: see its output above'))" >&2
fi
