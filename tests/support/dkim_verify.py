#!/usr/bin/env python3
"""Verifies every DKIM signature of each message file with two independent verifiers.

    python3 tests/support/dkim_verify.py RECORDS FILE...

RECORDS holds the key records, one a line: `SELECTOR._domainkey.DOMAIN VALUE` (the format
of OpenDKIM's TestDNSData file data set), so that no DNS is asked.

- dkimpy (PyPI `dkimpy`, with `pynacl` for Ed25519): `dkim.DKIM(message).verify(idx=i,
  dnsfunc=...)` for each signature i, the TXT record coming from RECORDS.
- OpenDKIM (Debian `opendkim`): `opendkim -t FILE` in test mode with `TestDNSData` set to
  RECORDS; its Authentication-Results header (printed with -vvv) gives one result per
  signature, matched by header.s and header.b (the first 8 characters of b=).

Prints one JSON object a line: {"file", "index", "selector", "dkimpy", "opendkim"}, where a
result is "pass" or "fail: why". Exit status 2 when a verifier is missing (the message on
stderr says which and how to install it).
"""

import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile


def load_records(path):
    records = {}
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, value = line.split(None, 1)
                records[name.lower().rstrip(".")] = value
    return records


def tags(value):
    """The tags of a DKIM-Signature value, white space removed."""
    out = {}
    for part in value.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = re.sub(r"\s+", "", v)
    return out


def signatures(message):
    """The tags of every DKIM-Signature field, in order (top first)."""
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    fields = re.split(r"\r\n(?![ \t])", head)
    found = []
    for field in fields:
        name, _, value = field.partition(":")
        if name.strip().lower() == "dkim-signature":
            found.append(tags(value))
    return found


def dkimpy_results(message, count, records):
    import dkim

    def dnsfunc(name, timeout=5):
        key = name.decode("ascii").lower().rstrip(".")
        value = records.get(key)
        return value.encode("ascii") if value is not None else None

    results = []
    for idx in range(count):
        log = io.StringIO()
        logger = logging.getLogger("dkimpy-%d" % idx)
        logger.handlers = [logging.StreamHandler(log)]
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        try:
            d = dkim.DKIM(message, logger=logger, minkey=1024)
            ok = d.verify(idx=idx, dnsfunc=dnsfunc)
            why = log.getvalue().strip().splitlines()
            results.append("pass" if ok else "fail: " + (why[-1] if why else "no reason given"))
        except Exception as e:  # dkimpy raises for some malformed signatures
            results.append("fail: %s: %s" % (type(e).__name__, e))
    return results


def opendkim_results(path, sigs, conf, opendkim):
    out = subprocess.run(
        [opendkim, "-x", conf, "-vvv", "-t", path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    text = out.stdout + out.stderr
    # The Authentication-Results header opendkim would insert: a value over several lines.
    m = re.search(r"hname='Authentication-Results' hvalue='([^']*)'", text)
    if not m:
        return ["fail: no Authentication-Results (exit %d): %s" % (out.returncode, text.strip())] * len(sigs)
    entries = [e.strip() for e in m.group(1).split(";")]
    results = []
    for sig in sigs:
        want_b = sig.get("b", "")[:8]
        verdict = None
        for e in entries:
            if not e.startswith("dkim="):
                continue
            props = dict(p.split("=", 1) for p in e.split() if "=" in p and not p.startswith("dkim="))
            if props.get("header.s") == sig.get("s") and props.get("header.b") == want_b:
                verdict = e.split()[0][len("dkim="):]
                break
        if verdict is None:
            results.append("fail: no result for s=%s b=%s in %r" % (sig.get("s"), want_b, m.group(1)))
        elif verdict == "pass":
            results.append("pass")
        else:
            summary = [l for l in text.splitlines() if "verification" in l]
            results.append("fail: dkim=%s %s" % (verdict, " ".join(summary)))
    return results


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    records_path, files = sys.argv[1], sys.argv[2:]
    try:
        import dkim  # noqa: F401
        import nacl  # noqa: F401  (dkimpy's Ed25519)
    except ImportError as e:
        print("dkimpy is missing (%s): python3 -m pip install dkimpy==1.1.8 pynacl==1.6.2" % e, file=sys.stderr)
        return 2
    opendkim = shutil.which("opendkim") or ("/usr/sbin/opendkim" if os.access("/usr/sbin/opendkim", os.X_OK) else None)
    if not opendkim:
        print("opendkim is missing: apt-get install opendkim (scripts/postfix-fixture install)", file=sys.stderr)
        return 2
    records = load_records(records_path)
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "opendkim.conf")
        with open(conf, "w") as f:
            f.write(
                "Mode v\nSyslog no\nMinimumKeyBits 1024\nAlwaysAddARHeader yes\n"
                "AuthservID verifier.test\nTestDNSData file:%s\n" % os.path.abspath(records_path)
            )
        for path in files:
            with open(path, "rb") as f:
                message = f.read()
            sigs = signatures(message)
            py = dkimpy_results(message, len(sigs), records)
            od = opendkim_results(path, sigs, conf, opendkim)
            for i, sig in enumerate(sigs):
                print(json.dumps({
                    "file": path, "index": i, "selector": sig.get("s"),
                    "dkimpy": py[i], "opendkim": od[i],
                }))
            if not sigs:
                print(json.dumps({"file": path, "index": -1, "selector": None,
                                  "dkimpy": "fail: no signature", "opendkim": "fail: no signature"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
