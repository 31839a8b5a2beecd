#!/bin/sh
# Fails on purpose: the demo shows what a failing lane looks like in pikaci's records.
set -eu
. ./src/math.sh

expected=${EXPECTED_SUM:?EXPECTED_SUM is not set}
actual=$(add 2 2)
echo "checking that add(2, 2) equals EXPECTED_SUM=$expected"
if [ "$actual" != "$expected" ]; then
  echo "FAIL: add(2, 2) returned $actual, expected $expected (this lane fails on purpose)" >&2
  exit 1
fi
echo "flaky-math: passed"
