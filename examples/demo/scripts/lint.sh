#!/bin/sh
# A tiny "linter" for the demo's shell sources: no tabs, no trailing whitespace, and every
# script under scripts/ and test/ starts with a #!/bin/sh line.
set -eu
status=0
if grep -rnE "$(printf '\t')| +$" src test scripts; then
  echo "lint: found tabs or trailing whitespace (above)" >&2
  status=1
fi
for script in scripts/*.sh test/*.sh; do
  if [ "$(head -n 1 "$script")" != "#!/bin/sh" ]; then
    echo "lint: $script: the first line must be #!/bin/sh" >&2
    status=1
  fi
done
[ "$status" = 0 ] || exit "$status"
echo "lint: ok ($(find src test scripts -type f | wc -l | tr -d ' ') files)"
