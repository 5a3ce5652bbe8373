"""Reads .eml files with Python's email package (policy.default), an independent parser, and
prints one line per identifier header found: FILE-INDEX <TAB> NAME <TAB> VALUE <TAB> DEFECTS.
Values are unfolded by the parser, so they hold no tab or line break."""
import sys
from email import message_from_binary_file, policy

NAMES = ["Message-ID", "In-Reply-To", "References", "Resent-Message-ID", "Original-Message-ID"]

for index, path in enumerate(sys.argv[1:]):
    with open(path, "rb") as f:
        msg = message_from_binary_file(f, policy=policy.default)
    for name in NAMES:
        value = msg.get(name)
        if value is not None:
            defects = ",".join(type(d).__name__ for d in value.defects)
            print(f"{index}\t{name}\t{value}\t{defects}")
