# Tiny integer maths in POSIX sh: source this file, then call add/mean.

# add A B: prints A + B.
add() {
  echo $(($1 + $2))
}

# mean N...: prints the integer mean of its arguments.
mean() {
  total=0
  for value in "$@"; do
    total=$((total + value))
  done
  echo $((total / $#))
}
