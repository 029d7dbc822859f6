#!/usr/bin/env bash
# The typed Python client of the public API, generated from the document the gateway
# serves (`gateway openapi` prints exactly what GET /openapi.json answers) with the
# pinned openapi-python-client of the dev dependencies. Output: tests-e2e/generated/
# (gitignored), package `cypher_api`, used by the e2e tests. Needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
out=tests-e2e/generated
mkdir -p "$out"
"$UV" run --frozen gateway openapi > "$out/openapi.json"
"$UV" run --frozen openapi-python-client generate \
  --path "$out/openapi.json" --meta none --output-path "$out/cypher_api" \
  --overwrite >/dev/null
echo "generated $out/cypher_api from $out/openapi.json"
