"""Prints a numbered line every `interval` seconds, forever: `slow.py 0.05`."""
import sys
import time

interval = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
i = 0
while True:
    print(f"tick {i}", flush=True)
    i += 1
    time.sleep(interval)
