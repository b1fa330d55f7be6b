#!/usr/bin/env bash
# Extract upstream Prosper202 at a pinned commit into a gitignored cache, ready for PHP 8.2.
#
#   tools/conformance/setup.sh UPSTREAM_GIT_DIR [COMMIT]     (COMMIT defaults to ceec1ee)
#
# Writes tools/conformance/.upstream/<short-commit>/ (the tree, minus blobs the mirror lacks)
# and prints its path on the last line. Upstream code is never committed: .upstream/ is ignored.
# PHP 8.2 cannot parse PHP 8.3's typed class constants (`private const int X = 1`), so their
# type is removed; every change is listed in <dir>/.conformance/stripped.txt. Re-running is
# cheap: an extraction whose stamp matches the full commit id is kept.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 UPSTREAM_GIT_DIR [COMMIT]" >&2
    exit 64
fi
git_dir=$1
commit=${2:-ceec1ee}
here=$(cd "$(dirname "$0")" && pwd)

full=$(git --git-dir="$git_dir" rev-parse --verify --quiet "$commit^{commit}") || {
    echo "setup.sh: $commit is not a commit of $git_dir" >&2
    exit 1
}
short=${full:0:7}
dest=$here/.upstream/$short
meta=$dest/.conformance

if [[ -f $meta/commit && $(cat "$meta/commit") == "$full" ]]; then
    echo "$dest"
    exit 0
fi

rm -rf "$dest"
mkdir -p "$meta"

# Blobs a partial mirror lacks (the GeoIP databases) would abort `git archive`: archive only the
# paths whose objects are present and record the others.
git --git-dir="$git_dir" ls-tree -r --full-tree "$full" >"$meta/tree.txt"
awk -F'\t' '{ split($1, a, " "); print a[3] }' "$meta/tree.txt" \
    | git --git-dir="$git_dir" cat-file --batch-check='%(objectname) %(objecttype)' \
    | paste -d'\t' - <(cut -f2 "$meta/tree.txt") >"$meta/objects.txt"
awk -F'\t' '$1 ~ / missing$/ { print $2 }' "$meta/objects.txt" >"$meta/missing.txt"
awk -F'\t' '$1 ~ / blob$/ { print $2 }' "$meta/objects.txt" >"$meta/paths.txt"
# One `git archive` per chunk of paths; `:(literal)` keeps names with glob characters literal.
sed 's/^/:(literal)/' "$meta/paths.txt" | tr '\n' '\0' \
    | xargs -0 -n 400 bash -c \
        'g=$1 c=$2 d=$3; shift 3; git --git-dir="$g" archive --format=tar "$c" -- "$@" 2>/dev/null | tar -x -C "$d"' \
        _ "$git_dir" "$full" "$dest"
# git archive still walks the whole tree and complains about the absent blobs (hence 2>/dev/null):
# check instead that every present path arrived.
while IFS= read -r path; do
    if [[ ! -e $dest/$path && ! -L $dest/$path ]]; then
        echo "setup.sh: $path was not extracted" >&2
        exit 1
    fi
done <"$meta/paths.txt"

# PHP 8.3 typed class constants -> untyped (PHP 8.2 rejects the type). Only declarations of the
# form `[modifiers] const TYPE NAME =` change; an untyped `const NAME =` has no second word.
: >"$meta/stripped.txt"
grep -rlE --include='*.php' '\bconst[[:space:]]+\??[A-Za-z_\\|]+[[:space:]]+[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=' "$dest" \
    | while IFS= read -r file; do
        grep -nE '\bconst[[:space:]]+\??[A-Za-z_\\|]+[[:space:]]+[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=' "$file" \
            | sed "s|^|${file#"$dest"/}:|" >>"$meta/stripped.txt"
        sed -i -E 's/\bconst([[:space:]]+)\??[A-Za-z_\\|]+[[:space:]]+([A-Za-z_][A-Za-z0-9_]*[[:space:]]*=)/const\1\2/' "$file"
    done

# Every class the drivers load must parse on this PHP.
bad=0
for file in "$dest"/202-config/Attribution/*.php "$dest"/202-config/Attribution/*/*.php \
    "$dest"/202-config/Attribution/*/*/*.php "$dest"/202-config/Database/*.php \
    "$dest"/api/Attribution/*.php; do
    [[ -f $file ]] || continue
    php -l "$file" >/dev/null 2>"$meta/lint.err" || { bad=1; cat "$meta/lint.err" >&2; }
done
if [[ $bad -ne 0 ]]; then
    echo "setup.sh: some upstream files do not parse on $(php -r 'echo PHP_VERSION;')" >&2
    exit 1
fi

echo "$full" >"$meta/commit"
echo "$dest"
