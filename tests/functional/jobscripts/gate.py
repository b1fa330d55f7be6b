"""Prints one line, then waits until the test opens the FIFO `argv[1]` for writing and closes it:
a chunk that ends exactly when the test says so (no sleeps on either side)."""
import sys

print(f"waiting at {sys.argv[1]}", flush=True)
with open(sys.argv[1]) as fifo:
    fifo.read()
print("gate opened", flush=True)
