#!/usr/bin/env bash
# Checks every relative link and #anchor in the repository's markdown files (tracked, or new and not ignored): the
# target file or folder must exist and the anchor must be a heading of the target as GitHub names it. Prints each
# broken link as file:line: target (why), then "links: N checked, N broken"; exits 1 when any is broken.
# Usage: bash tools/check-links.sh [file.md ...]   (default: every markdown file of the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.md')
else
  files=("$@")
fi
exec /usr/bin/python3 - "${files[@]}" <<'EOF'
import os, re, sys
from urllib.parse import unquote

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)
HTML_ID = re.compile(r"""<[a-z]+\b[^>]*?\b(?:id|name)\s*=\s*["']([^"']*)["']""", re.I)
CODE_SPAN = re.compile(r"(`+)(.+?)\1")


def slug(text):
    """GitHub's heading anchor: the heading's rendered text, lower-cased, without punctuation other than '-' and '_',
    spaces turned into hyphens (each one: nothing is collapsed)."""
    text = CODE_SPAN.sub(lambda m: m.group(2), text)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = text.strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def lines_outside_code(path):
    fence = None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = FENCE.match(line)
            if m:
                marker = m.group(1)
                if fence is None:
                    fence = marker[0] * len(marker)
                    continue
                if marker.startswith(fence):
                    fence = None
                    continue
            if fence is None:
                yield number, line.rstrip("\n")


anchor_cache = {}


def anchors(path):
    if path not in anchor_cache:
        seen, found = {}, set()
        for _, line in lines_outside_code(path):
            m = HEADING.match(line)
            if m:
                base = slug(m.group(2))
                n = seen.get(base, 0)
                seen[base] = n + 1
                found.add(base if n == 0 else f"{base}-{n}")
            found.update(a.lower() for a in HTML_ID.findall(line))
        anchor_cache[path] = found
    return anchor_cache[path]


def targets(line):
    plain = CODE_SPAN.sub("", line)  # links shown as code are examples, not links
    yield from INLINE.findall(plain)
    m = REFDEF.match(plain)
    if m:
        yield m.group(1)
    yield from HTML.findall(plain)


root = os.getcwd()
checked = broken = 0
for md in (f for f in sys.argv[1:] if os.path.isfile(f)):  # a tracked file deleted in the work tree is gone
    for number, line in lines_outside_code(md):
        for target in targets(line):
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # http(s), mailto and other schemes are not ours to check
            checked += 1
            path, _, anchor = target.partition("#")
            path = unquote(path.split("?")[0])
            if path.startswith("/"):
                full = os.path.join(root, path.lstrip("/"))
            elif path:
                full = os.path.normpath(os.path.join(os.path.dirname(md), path))
            else:
                full = md
            why = None
            if not os.path.exists(full):
                why = "no such file"
            elif anchor and full.endswith(".md") and unquote(anchor).lower() not in anchors(full):
                why = "no such heading"
            if why:
                broken += 1
                print(f"{md}:{number}: {target} ({why})")

print(f"links: {checked} checked, {broken} broken")
sys.exit(1 if broken else 0)
EOF
