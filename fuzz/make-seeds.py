#!/usr/bin/env python3
"""Writes the seed corpora, fuzz/corpus/<target>/seed-*, from values in letterhead's tests.

Run from anywhere: python3 fuzz/make-seeds.py. Only seed-* files are tracked in git (see
fuzz/.gitignore); what the fuzzer grows goes to fuzz/work/ (scripts/fuzz-smoke) or, for a
plain `cargo fuzz run <target>`, next to the seeds, ignored.
"""
import hashlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))
HEROKU = ("<154810422972.4.16142961424846318784@"
          "aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com>")
LONGEST = "<" + "a" * (997 - len("<@example.com>")) + "@example.com>"  # 997 octets

# From src/msgid.rs, src/policy.rs, tests/message.rs, tests/properties.rs and the README.
IDS = [
    HEROKU,
    "  <1548.4.1614@büro.example> ",
    "<a@b>",
    "a@b",
    " \t<a@b> ",
    "(c) <a@b> (d)",
    "\r\n <a@b>",
    "<a@[127.0.0.1]>",
    "<a..b.@c>",
    "<!#$%&'*+-/^_`{|}~@x>",
    "<x@büro.example>",
    "<x@例え.テスト>",
    "<CAF9a7kq3@mx.büro.example>",
    "<x@bü_ro.example>",
    "<x@bü..example>",
    "<grüße@example.com>",
    "<ä@b> <c@d>",
    "<>",
    "<ab>",
    "<a@b@c>",
    "<@b>",
    "<a@>",
    "<a@b",
    "(x <a@b>",
    "hello",
    "<a b@c>",
    '<"a b"@c>',
    "<a(c)@b>",
    "<a@b..c>",
    "<a@.b>",
    "<a;b@c>",
    "<a@b,c>",
    "<a@[1.2\\]>",
    "<a@[1.2>",
    "<=?utf-8?q?x?=@b>",
    "=?utf-8?b?PENBRjlhN2txM0BteC5iw7xyby5leGFtcGxlPg==?=",
    "<a@b> <c@d>",
    "<a@b>\r\nBcc: victim@example.com",
    "<a@b>\nBcc: victim@example.com",
    "<a@b>\rX: y",
    "<a\r\n@b>",
    "<a\0@b>",
    "<a\x1b@b>",
    "<a\x7f@b>",
    "<a\u0085@b>",
    "(\r\nBcc: x) <a@b>",
    "<a@b>\r\n",
    "<a@b>\r\n \r\n <c@d>",
    '<a "b\r\n@c>',
    "<c@x>,<a@x> , <b@x>\r\n\t<a@x> (comment (nested)) d@x",
    "<a@x.example>, <b@x.example>\r\n (thread) <a@x.example> c@x.example",
    "<a@büro.example> <a@xn--bro-hoa.example>",
    "(a \\) b) <a@b> (\\(",
    LONGEST,
    LONGEST.replace("<", "<a", 1),
    " ".join("<%02d.%s@mail.example.com>" % (i, "q" * 68) for i in range(12)),
    ",".join("<%03d.abcdefgh@example.com>" % i for i in range(20)),
]

# Compatible mode (src/msgid.rs, src/policy.rs): written as given, written with CFWS removed,
# and still refused.
COMPATIBLE = [
    "<7f1c2b9e-1a2b-4c3d-9e8f-001122334455@localhost:8536>",
    "<a..b@x.example>",
    "<.a@x>",
    "<a.@x>",
    "<abc123>",
    '<"a b"@x.example>',
    '<"a\\"b"@x.example>',
    "<a@b@x.example>",
    "<a@[IPv6:2001:db8::1]:25>",
    "<a(comment)@x.example>",
    "< a@x.example >",
    "<a . b @ x . example>",
    "<a@x.example\r\n >",
    "<a@\n x.example>",
    "<a@x>\n <b@x>",
    "<a@x.example>\n <b@x.example:25>",
    "< a (comment) @x.example >",
    "< logo@x.example >",
    "<a b@x.example>",
    "<a(c)b@x.example>",
    "<a\u00a0b@x.example>",
    '<a@x"y">',
    "< >",
    "<a@exa\u200bmple.c\u00f6m>",
    "<a@x\uff0eb\u00fcro>",
    "<a<b@x>",
    "<a\\b@x>",
    "<a@b\u00fcro.example:25>",
    "<\"a\tb\"@c>",
    "<\"a\\\tb\"@c>",
    "<a\u2028b@c>",
    "<a\ufeffb@c>",
    '"a b"@x.example',
    "a@[IPv6:2001:db8::1]",
    "<" + "u" * 990 + ">",
    "\r\n <" + "u" * 990 + ">",
]
IDS += COMPATIBLE

# (selector, soft limit byte, flags, value): selector picks Message-ID, In-Reply-To,
# References, Resent-Message-ID, Original-Message-ID, Content-ID, X-Entity-Ref-ID, or the
# 76-octet list header; see fuzz_targets/policy_roundtrip.rs.
POLICY = [
    (0, 78, 0, HEROKU),
    (0, 78, 0, LONGEST),
    (7, 78, 0, LONGEST),
    (7, 78, 0, LONGEST + " <a@b>"),
    (4, 78, 0, "<" + "a" * 60 + "@example.com>"),
    (1, 78, 0, "<CAF9a7kq3@mx.büro.example>"),
    (1, 78, 0, "<a@b>\r\nBcc: victim@example.com"),
    (1, 1, 0, "<a@b> <c@d>"),
    (2, 78, 0, " ".join("<%02d.%s@mail.example.com>" % (i, "q" * 68) for i in range(8))),
    (2, 78, 0, ",".join("<%03d.abcdefgh@example.com>" % i for i in range(20))),
    (2, 120, 0, ", ".join("<%d.%s@example.com>" % (i, "z" * 30) for i in range(10))),
    (2, 255, 0, ", ".join("<%d.%s@example.com>" % (i, "z" * 30) for i in range(30))),
    (2, 78, 0, "<c@x>,<a@x> , <b@x>\r\n\t<a@x> (comment (nested)) d@x"),
    (2, 78, 0, "<a@büro.example> <a@xn--bro-hoa.example>"),
    (0, 78, 1, "<grüße@example.com>"),
    (0, 78, 0, "<grüße@example.com>"),
    (1, 78, 1, "<ä@b> <c@d>"),
    (3, 78, 0, "<resent@büro.example>"),
    (5, 78, 0, "<logo@example.com>"),
    (5, 78, 0, "<img src=cid:logo>"),
    (5, 78, 0, "123"),
    (5, 78, 0, "<part1.06090408.01060107>"),
    (5, 78, 0, "<logo@büro.example>"),
    (5, 78, 1, "<grüße>"),
    (6, 78, 0, "ref@example.com"),
    (6, 78, 0, "<a@b> <c@d>"),
    (0, 78, 0, "<a@b> <c@d>"),
    (0, 78, 0, "=?utf-8?b?PGFAYj4=?="),
    (1, 78, 0, "<a@[127.0.0.1]> <b@[::1]>"),
    (2, 0, 0, "<a@b>\r\n <c@d>"),
    (2, 78, 0, "<a@b>\r\n \r\n <c@d>"),
    (2, 78, 0, "<a@b>\nX: y"),
    (1, 78, 0, ""),
    (1, 78, 0, " , "),
    # Compatible mode: written as given by IdentifierPolicy::new(), refused by ::strict().
    (0, 78, 0, "<7f1c2b9e-1a2b-4c3d-9e8f-001122334455@localhost:8536>"),
    (0, 78, 0, "<a..b@x.example>"),
    (0, 78, 0, "<abc123>"),
    (0, 78, 0, '<"a b"@x.example>'),
    (0, 78, 0, "<a(comment)@x.example>"),
    (0, 78, 0, "< a@x.example >"),
    (2, 78, 0, '<a@x> <"q r"@x> <s@x:25>'),
    (2, 30, 0, ", ".join('<"%d %s"@example.com>' % (i, "z" * 10) for i in range(8))),
    (1, 78, 0, "<a@x>\n <b@x:25>"),
    (5, 78, 0, "< logo@x.example >"),
    (5, 78, 1, '<"gr\u00fc\u00dfe"@example.com>'),
    (6, 78, 0, "<a@b@x.example>"),
    (7, 78, 0, '<"' + "a " * 480 + '"@example.com>'),
]

DOMAINS = [
    "mail.example.com",
    "büro.example",
    "Büro.example",
    "mx.büro.example",
    "EXAMPLE.com",
    "xn--bro-hoa.example",
    "例え.テスト",
    "[192.0.2.1]",
    "[127.0.0.1]",
    "localhost",
    "vm",
    "web-1.example.com",
    "aaf39fce-569e-473a-9453-6862595bd8da.prvt.dyno.rt.heroku.com",
    "bad domain>",
    "",
    "example.com\r\nBcc: x@y",
    "a..b",
    "a.b.",
    ".a",
    "ex<ample.com",
    "=?utf-8?q?x?=",
    "bü_ro.example",
    "a" * 250 + ".example",
    "a" * 240 + ".example",
    "x@y.example",
    "ex(ample).com",
]

SEP = b"\xff"


def msg(flags, in_reply_to="", message_id="", domain="", extra="", *refs, flags2=0, cid=""):
    fields = [in_reply_to, message_id, domain, extra, cid, *refs]
    return bytes([flags, flags2]) + SEP + SEP.join(f.encode() for f in fields)


# flags: 1 In-Reply-To, 2 message_id(Some), 4 message_id_domain, 8 SMTPUTF8 policy,
# 16/32/48 extra as Content-ID / Resent-Message-ID / Original-Message-ID, 64 References
# through header(), 128 In-Reply-To through header(); flags2: 1 an inline part with
# Content-ID cid, 2 its Content-ID from new_content_id(); see fuzz_targets/message_build.rs.
MESSAGES = [
    msg(0),
    msg(1, "<CAF9a7kq3@mx.büro.example>"),
    msg(1 | 4, "<CAF9a7kq3@mx.büro.example>", "", "acme.example", "",
        "<root@büro.example>", "<CAF9a7kq3@mx.büro.example>"),
    msg(2, "", HEROKU),
    msg(2, "", "<given@example.com>"),
    msg(4, "", "", "büro.example"),
    msg(4, "", "", "bad domain>"),
    msg(4, "", "", "[192.0.2.1]"),
    msg(1, "<a@b>\r\nBcc: victim@example.net"),
    msg(1 | 128, "<a@b>\nX-Evil: 1"),
    msg(0, "", "", "", "", "<1@example.com>", "<2@example.com> <1@example.com>"),
    msg(64, "", "", "", "", "<root@example.org>", "<parent@example.org>"),
    msg(16, "", "", "", "<logo@example.com>"),
    msg(32, "", "", "", "<resent@büro.example>"),
    msg(48, "", "", "", "<orig@example.com> <second@example.com>"),
    msg(8 | 1 | 2, "<grüße@example.com>", "<ä@example.com>"),
    msg(1 | 2, "<grüße@example.com>", "<ä@example.com>"),
    msg(0, "", "", "", "", *("<%02d.%s@mail.example.com>" % (i, "q" * 68) for i in range(30))),
    msg(2, "", LONGEST),
    msg(1, ""),
    msg(0, "", "", "", "", "(", ")"),
    msg(0, flags2=1, cid="logo"),
    msg(0, flags2=1, cid="logo@büro.example"),
    msg(0, flags2=1, cid="a b"),
    msg(0, flags2=1, cid="part1.06090408.01060107"),
    msg(4, "", "", "mail.acme.example", flags2=3),
    msg(4, "", "", "[192.0.2.1]", flags2=3),
    msg(16, "", "", "", "123"),
    # Compatible ids (the default policy) and the same under a strict policy (flags2 bit 2).
    msg(1 | 2, "<a@localhost:8536>", "<a..b@x.example>"),
    msg(1 | 2, "<a@localhost:8536>", "<a..b@x.example>", flags2=4),
    msg(2, "", '<"a b"@x.example>'),
    msg(2, "", '<"a b"@x.example>', flags2=4),
    msg(0, "", "", "", "", "<a(comment)@x.example>", "< b@x.example >"),
    msg(64, "", "", "", "", "<abc123>", "<a@x>\n <b@x>"),
    msg(16, "", "", "", "< logo@x.example >", flags2=4),
    msg(8 | 2, "", '<"gr\u00fc\u00dfe"@example.com>', flags2=4),
    msg(0, "", "", "", "", flags2=1, cid='"a b"@x'),
    msg(2, "", "<a@localhost:8536>", flags2=5, cid="logo"),
]


def write(target, items):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        if old.startswith("seed-"):
            os.remove(os.path.join(d, old))
    for data in items:
        if isinstance(data, str):
            data = data.encode()
        name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(items)} seeds")


CORPUS = os.path.join(HERE, "..", "tests", "corpus")
LINT = [open(os.path.join(CORPUS, f), "rb").read() for f in sorted(os.listdir(CORPUS))
        if f.endswith(".eml")]
BASE = "From: a@example.com\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
LINT += [s.encode() for s in [
    BASE + "Message-ID: <1@example.com>\r\nReferences: <a@b.exa\r\n mple>\r\n\r\n",
    BASE + "Message-ID: <" + "a" * 1000 + "@example.com>\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\n\n",
    BASE + "Message-ID: <1@example.com>\rX: y\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nSubject: grüße\r\n\r\n",
    BASE + "Message-ID: <1@localhost>\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nmessage-id: <2@example.com>\r\n\r\n",
    BASE + "Message-ID: 1@example.com\r\n\r\n",
    BASE + "Message-ID: <1 2@example.com>\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nIn-Reply-To: =?utf-8?q?=3Ca=40b=3E?=\r\n\r\n",
    BASE + "Message-ID: =?utf-8?b?PGFAYj4NCkJjYzogeEB5?=\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nReferences: a@b.example, <c@büro.example>\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nContent-ID: =?utf-8?q?=3Clogo=3E?=\r\n\r\n",
    ":\r\n \r\n\r\n",
    "(((((\r\n",
    # What compatible mode writes as given (LH015, a warning) and what it normalises.
    BASE + "Message-ID: <7f1c2b9e@localhost:8536>\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nReferences: <\"a b\"@x.example> <a..b@x.example>\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nIn-Reply-To: < a (comment) @x.example >\r\n\r\n",
    BASE + "Message-ID: <1@example.com>\r\nContent-ID: <abc123>\r\n\r\n",
]]
# The hostile shapes of the scaling tests (src/lint.rs, tests/lint_scaling.rs), small: a long
# name with continuation lines ending in bare LF or CRLF, repeated identifier headers, many
# findings of one code, boundaries alike, nesting past MAX_DEPTH, broken MIME; and multipart
# messages with hostile part headers.
TOP = BASE + "Message-ID: <1@example.com>\r\n"
MULTI = TOP + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
LINT += [s.encode() for s in [
    "From: a@example.com\r\n" + "N" * 300 + ":" + " x\n" * 120 + "\r\n",
    "From: a@example.com\r\n" + "N" * 300 + ":" + " x\r\n" * 120 + "\r\n",
    "X-Field: value\r\n" * 30 + "References: <a@example.com>\r\n" * 120 + "\r\n",
    TOP + "X: a\rb\r\n" * 120 + "\r\n",
    MULTI + "--b\r\nContent-ID: =?utf-8?q?=3Ca=40b=3E?=\r\nContent-ID: <b@c>\r\n\r\n" + "z" * 1000 + "\r\n--b--\r\n",
    MULTI + "preamble\r\n--b\r\nContent-Type: multipart/alternative;\r\n boundary=inner\r\n\r\n"
    "--inner\r\nContent-ID: <7f1c@localhost.example:8536>\r\n\r\nx\r\n--inner--\r\n"
    "--b  \r\nContent-ID: logo@example.com\r\n\r\n--b--\r\nepilogue\r\n",
    TOP + "".join("Content-Type: multipart/mixed; boundary=%s\r\n\r\n--%s\r\n" % ("b" * (d + 1), "b" * (d + 1)) for d in range(34))
    + "Content-ID: =?a?q?b?=\r\n\r\n",
    TOP + "".join("Content-Type: multipart/mixed; boundary=%s%02d\r\n\r\n--%s%02d\r\n" % ("b" * 20, d, "b" * 20, d) for d in range(6))
    + "\r\n" + ("--" + "b" * 20 + "05x\r\n--" + "b" * 20 + "00--x\r\n") * 20,
    TOP + "Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-ID: =?a?q?b?=\r\n",
    TOP + "content-type: (c) MULTIPART (x) / mixed ; (y)\r\n BOUNDARY = ==_b=1\r\n\r\n"
    "--==_b=1\r\nContent-ID: =?a?q?b?=\r\n--==_b=1\r\nContent-Type: multipart/related; boundary=in\r\n\r\n"
    "--in\r\nContent-ID: <x@y>\r\n\r\n--==_b=1\r\nContent-ID: =?a?q?b?=\r\n\r\n--in\r\n",
    MULTI + "--b\r\nContent-Type: multipart/x; boundary=\"unclosed\r\n\r\n--unclosed\r\n",
    MULTI + "--b\r\n" + "X" * 2000 + ": \xfc\n \xfc\r\nContent-ID: a\r\n b@c\r\n\r\n--b\r\n\r\n--b--",
]]
# The same target's built multipart: [depth, part 0xFF part ...].
LINT += [bytes([d]) + b"\xff".join(p) for d, p in [
    (0, [b"Content-ID: =?utf-8?b?PGxvZ29AYsO8cm8uZXhhbXBsZT4=?=\r\n\r\nPNG"]),
    (1, [b"Content-Type: text/plain\r\n\r\n" + b"y" * 1000, b"Content-ID: <a@b.exa\r\n mple>\r\n\r\n"]),
    (2, [b"Content-ID: a@b\r\nContent-ID: <c@d>\r\n", b"X: \r\r\n\r\n--other\r\n", b""]),
    (31, [b"Content-ID: <7f1c@localhost.example:8536>\r\n\r\n"]),
    (32, [b"Content-ID: =?a?q?b?=\r\n\r\n"]),
    (3, [b"Content-Type: multipart/mixed\r\n\r\n", b"\xc3\xbc: x\n\n"]),
]]

def parent(limit, flags, message_id, references="", in_reply_to=""):
    return bytes([limit, flags]) + SEP.join(f.encode() for f in [message_id, references, in_reply_to])


# flags: 1 References given, 2 In-Reply-To given; see fuzz_targets/reply.rs.
REPLY = [
    parent(20, 2, "<p@x>", "", "<a@x>"),
    parent(20, 2, "<p@x>", "", "<a@x> <b@x>"),
    parent(20, 3, "<p@x>", "<r@x>", "<a@x>"),
    parent(20, 1, "<p@x>", "<r@x> <p@x> <m@x>"),
    parent(20, 1, "<p@x>", ",".join("<%d@x>" % i for i in range(100))),
    parent(2, 1, "<p@x>", " ".join("<%d@x>" % i for i in range(10))),
    parent(0, 0, "=?utf-8?b?PGFAYj4NCkJjYzogeEB5?="),
    parent(20, 1, "<p@x>", "=?koi8-r?b?AAAA?="),
    parent(20, 3, HEROKU, "=?utf-8?b?PENBRjlhN2txM0BteC5iw7xyby5leGFtcGxlPg==?=",
           "=?utf-8?b?PENBRjlhN2txM0BteC5iw7xyby5leGFtcGxlPg==?="),
    parent(20, 1, "<1548@büro.example>", "<root@büro.example>\r\n (thread) <a@x.example>"),
    parent(20, 2, "<p@x>", "", "=?utf-8?q?=3Ca=40b=3E?="),
    parent(20, 2, "<p@x>", "", "=?iso-8859-1?q?=3Cgr=FC=DFe=40x=3E?="),
    parent(5, 1, "<p@x>", "=?utf-8?b?PGFAYj4=?= =?utf-8?b?PGNAZD4=?="),
    # Parents are read in compatible mode.
    parent(20, 3, "<7f1c2b9e@localhost:8536>", "<root@x>\n <a..b@x>", "<a..b@x>"),
    parent(20, 1, '<"p q"@x.example>', "<abc123> (c) <r@x:25>"),
    parent(20, 2, "< p (comment) @x.example >", "", "<a@b@x.example>"),
]

def parts(flags, *fields):
    return bytes([flags]) + SEP + SEP.join(f.encode() for f in fields)


# flags: 1 pre-encoded header on the message, 2 raw_header, 4 pre-encoded header on the first
# part, 8 lettre's Content-ID on the second, 16 Attachment::new_inline, 32 a single part with a
# Message-ID, 64 References on a nested multipart, 128 the display name on To; fields: display
# name, subject, name, value, part name, part value, part id, nested value. See
# fuzz_targets/message_parts.rs.
PARTS = [
    parts(0, "App", "Hello"),
    parts(1, "", "s", "X-Trace", "1\r\nBcc: victim@example.net"),
    parts(2, "", "s", "X-Trace", "a\x0bb"),
    parts(1, "", "s", "X-Trace\r\nBcc", "x"),
    parts(4, "", "s", "", "", "X-Part", "a\r\nContent-Type: text/html"),
    parts(8, "", "s", "", "", "", "", "<logo@büro.example>"),
    parts(8, "", "s", "", "", "", "", "<" + "c" * 976 + "@x.example>"),
    parts(16, "", "s", "", "", "", "", "lo\u0085go@x.example"),
    parts(32, "", "s", "", "", "", "", "<x@büro.example>"),
    parts(64, "", "s", "", "", "", "", "", "<a@büro.example> <b@x>"),
    parts(128, "Eve\r\nBcc: victim@example.net", "s"),
    parts(0, "Eve\u001b[2J", "s"),
    parts(0, "Jürgen", "Order " + "x" * 1500),
    parts(0, "", "Grüße " + "ü" * 800),
]

write("message_parts", PARTS)
write("msgid_parse", IDS)
write("reply", REPLY)
write("lint", LINT)
write("policy_roundtrip", [bytes([s, l, f]) + v.encode() for s, l, f, v in POLICY])
write("domain", DOMAINS)
write("message_build", MESSAGES)
