#!/usr/bin/env bash
# Regenerates the Python code and type stubs of the contracts from protos/
# into libs/contracts/src/cypher/ (gitignored; never edited or committed).
# Run from anywhere inside the repo: `uv run bash scripts/gen_protos.sh`
# (or `make protos`). Idempotent: the output directory is wiped first.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

proto_dir="protos"
out_dir="libs/contracts/src"
pkg_dir="$out_dir/cypher"
python="${PYTHON:-python}"

# grpc_tools ships the well-known types (google/protobuf/*.proto).
wkt_dir="$("$python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')"

for plugin in protoc-gen-mypy protoc-gen-mypy_grpc; do
  if ! command -v "$plugin" >/dev/null 2>&1; then
    echo "gen_protos: $plugin not on PATH (run through 'uv run', mypy-protobuf is a dev dependency)" >&2
    exit 1
  fi
done

mapfile -t proto_files < <(find "$proto_dir/cypher" -name '*.proto' | LC_ALL=C sort)
if [[ ${#proto_files[@]} -eq 0 ]]; then
  echo "gen_protos: no .proto files under $proto_dir/cypher" >&2
  exit 1
fi

# Empty the package directory but keep it: its parent's mtime then stays put,
# so uv does not rebuild the editable cypher-contracts install on every run.
if [[ -d "$pkg_dir" ]]; then
  find "$pkg_dir" -mindepth 1 -delete
else
  mkdir -p "$pkg_dir"
fi

"$python" -m grpc_tools.protoc \
  -I "$proto_dir" \
  -I "$wkt_dir" \
  --python_out="$out_dir" \
  --grpc_python_out="$out_dir" \
  --mypy_out=quiet:"$out_dir" \
  --mypy_grpc_out=quiet:"$out_dir" \
  "${proto_files[@]}"

# Regular packages (not namespace packages), so mypy and importers agree.
find "$pkg_dir" -type d -exec touch {}/__init__.py \;
touch "$pkg_dir/py.typed"
