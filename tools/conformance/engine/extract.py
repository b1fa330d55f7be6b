"""Extract upstream Prosper202 at a commit from a bare git directory, skipping absent blobs.

A fallback for tools/conformance/setup.sh: the mirror may lack some large binary blobs
(GeoLite.dat and the like), which makes `git archive` fail; none of them is code we run.

    python tools/conformance/engine/extract.py GIT_DIR COMMIT DEST
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def extract(git_dir: str, commit: str, dest: Path) -> tuple[int, list[str]]:
    listing = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", commit],
                             check=True, capture_output=True).stdout.decode()
    entries = []
    for item in filter(None, listing.split("\0")):
        meta, path = item.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((mode, sha, path))
    proc = subprocess.Popen(["git", "--git-dir", git_dir, "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin and proc.stdout
    written, missing = 0, []
    for mode, sha, path in entries:
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().decode().split()
        if header[-1] == "missing":
            missing.append(path)
            continue
        data = proc.stdout.read(int(header[2]))
        proc.stdout.read(1)
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            if target.is_symlink() or target.exists():
                target.unlink()
            target.symlink_to(data.decode())
        else:
            target.write_bytes(data)
            if mode == "100755":
                target.chmod(0o755)
        written += 1
    proc.stdin.close()
    proc.wait()
    return written, missing


if __name__ == "__main__":
    n, missing = extract(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
    print(f"extracted {n} files; {len(missing)} absent from the mirror: {missing[:5]}")
