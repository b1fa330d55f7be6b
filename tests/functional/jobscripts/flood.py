"""Prints N numbered lines as fast as it can (stdout, every 10th on stderr): `flood.py N`."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
out, err = sys.stdout, sys.stderr
for i in range(n):
    (err if i % 10 == 9 else out).write(f"line {i} of {n}: the quick brown fox jumps over it\n")
