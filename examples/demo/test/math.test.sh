#!/bin/sh
# Unit tests for src/math.sh.
set -eu
. ./src/math.sh

passed=0
check() { # description actual expected
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1 returned $2, expected $3" >&2
    exit 1
  fi
  passed=$((passed + 1))
}

check "add(2, 2)" "$(add 2 2)" 4
check "mean(1, 2, 3)" "$(mean 1 2 3)" 2
echo "math: $passed assertions passed"
