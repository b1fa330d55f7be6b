"""Prints one line, then hangs; with `--ignore-term` it also ignores SIGTERM (needs SIGKILL)."""
import signal
import sys
import threading

if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("started, now hanging", flush=True)
threading.Event().wait()
