"""Fails like the rebuild does when a user breaks: error header, per-item lines, exit 1."""
import sys

print("Processed 5 conversions...", flush=True)
print("Encountered errors while persisting journeys:", file=sys.stderr)
print("Conversion 7 failed: Deadlock found when trying to get lock", file=sys.stderr)
print("Conversion 9 failed: Lock wait timeout exceeded", file=sys.stderr)
sys.exit(1)
