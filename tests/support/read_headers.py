"""Reads .eml files with Python's email package (policy.default), an independent parser, and
prints one line per header of every MIME part, as JSON: [file index, part path, name, value as
the parser decodes it, the parser's defects, the longest physical line of the file]. The part
path is "" for the message's own header block, "1", "1.2", ... as IMAP numbers parts."""
import json
import sys
from email import message_from_binary_file, policy


def walk(part, path, out):
    yield path, part
    if part.is_multipart():
        for i, sub in enumerate(part.get_payload(), 1):
            yield from walk(sub, f"{path}.{i}" if path else str(i), out)


for index, path in enumerate(sys.argv[1:]):
    with open(path, "rb") as f:
        raw = f.read()
    longest = max(len(line) for line in raw.split(b"\r\n"))
    with open(path, "rb") as f:
        msg = message_from_binary_file(f, policy=policy.default)
    for part_path, part in walk(msg, "", None):
        for name, value in part.items():
            defects = [type(d).__name__ for d in getattr(value, "defects", [])]
            print(json.dumps([index, part_path, name, str(value), defects, longest]))
