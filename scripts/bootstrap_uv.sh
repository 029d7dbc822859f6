#!/usr/bin/env bash
# Installs uv (from PyPI) into ~/.local/bin when it is missing: with pip --user where the
# system Python allows it, otherwise (PEP 668 "externally managed" Pythons such as
# Debian's, or no pip at all) into a private venv linked from ~/.local/bin.
set -euo pipefail
bin="$HOME/.local/bin"
mkdir -p "$bin"
if python3 -m pip install --quiet --user uv 2>/dev/null && [ -x "$bin/uv" ]; then
  exit 0
fi
venv="$HOME/.local/share/cypher-uv"
python3 -m venv "$venv" || {
  echo "python3 cannot make a venv: install it (Debian/Ubuntu: apt-get install python3-venv)" >&2
  exit 1
}
"$venv/bin/pip" install --quiet uv
ln -sf "$venv/bin/uv" "$bin/uv"
"$bin/uv" --version
