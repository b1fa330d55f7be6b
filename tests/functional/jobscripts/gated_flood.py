"""Floods N numbered lines (every 10th on stderr), waits until the test opens and closes the
FIFO `argv[1]`, then floods M more: `gated_flood.py FIFO N M`."""
import sys

fifo, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def flood(first: int, count: int) -> None:
    for i in range(first, first + count):
        (sys.stderr if i % 10 == 9 else sys.stdout).write(f"line {i} of the flood\n")
    sys.stdout.flush()
    sys.stderr.flush()


flood(0, n)
with open(fifo) as gate:
    gate.read()
flood(n, m)
