#!/usr/bin/env bash
# Runs every test suite in its own pytest process (each service is its own deployable
# with its own models), then prints one closing line with the totals.
set -uo pipefail
cd "$(dirname "$0")/.."

suites=(libs/contracts/tests libs/runtime/tests libs/testkit/tests libs/fakes/tests deploy/tests)
for d in services/*/tests gateway/tests; do [ -d "$d" ] && suites+=("$d"); done
suites+=(tests-e2e)
# The fuzzer on a stack of its own (tests_fuzz/conftest.py): the CI budget, a fixed seed;
# its closing lines give the request count and the duration. `make fuzz` runs it longer.
suites+=(tests_fuzz)

passed=0; failed=0; skipped=0; status=0
for suite in "${suites[@]}"; do
  [ -d "$suite" ] || continue
  echo "=== $suite"
  out=$(mktemp)
  "${UV:-uv}" run pytest "$suite" -q -rs -p no:randomly 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  line=$(grep -E "^(=+ )?[0-9]+ (passed|failed|error)" "$out" | tail -1)
  p=$(grep -oE "[0-9]+ passed" <<<"$line" | grep -oE "[0-9]+" || echo 0)
  f=0; for n in $(grep -oE "[0-9]+ (failed|error|errors)" <<<"$line" | grep -oE "^[0-9]+"); do f=$((f + n)); done
  s=$(grep -oE "[0-9]+ skipped" <<<"$line" | grep -oE "[0-9]+" || echo 0)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  # A skip passes only with a reason listed in scripts/expected_skips.txt.
  while IFS= read -r reason; do
    if ! grep -qxF -- "$reason" <(grep -v '^#' scripts/expected_skips.txt); then
      echo "!!! $suite: unexpected skip: $reason"
      failed=$((failed + 1)); status=1
    fi
  done < <(grep -E '^SKIPPED \[' "$out" | sed -E 's/^SKIPPED \[[0-9]+\] [^ ]+: //')
  if [ "$rc" -ne 0 ]; then
    status=1
    [ "$rc" -eq 5 ] && echo "!!! $suite ran no test" && failed=$((failed + 1))
  fi
  rm -f "$out"
done
echo
echo "all suites: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$passed" -eq 0 ]; then echo "no test ran"; exit 1; fi
exit $status
