"""Prints PHP-style warnings on both streams around real progress lines, then exits 0."""
import sys

for i in range(1, 4):
    print()
    print(f'Warning: Undefined array key "REMOTE_ADDR" in /x/connect.php on line {i}')
    print(f'PHP Warning:  Undefined array key "SERVER_NAME" in /x/connect.php on line {i}',
          file=sys.stderr)
    print(f"Processed {i * 10} conversions...", flush=True)
print("Journey backfill complete. 30 conversions processed between a and b.")
