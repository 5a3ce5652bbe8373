#!/usr/bin/env python3
"""Self-test of the letterhead Postfix fixture (scripts/postfix-fixture).

    eval "$(scripts/postfix-fixture start)"
    python3 scripts/postfix/selftest.py               # SMTP checks
    python3 scripts/postfix/selftest.py --lifecycle   # + stop/start/crash

Talks real SMTP to the fixture with the standard library only (smtplib,
ssl, email, hmac, hashlib, json) and checks what the fixture promises:
delivery of everything into one Maildir, the Office 365 style "554 5.6.0
Corrupt message content" rejections, the submission port's STARTTLS + AUTH
PLAIN/LOGIN rules, the OAuth 2.0 port's AUTH XOAUTH2 / OAUTHBEARER with
HS256 JWTs made here with the fixture's key (good, expired, wrong key, ...,
and the exact failure exchange), and (--lifecycle, needs root) that stop /
start keep the Maildir and that a crashed instance (Postfix or Dovecot)
restarts. Ends with "N passed, M failed"; exit status 1 if anything failed.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import uuid
from email.utils import formatdate

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(os.path.dirname(HERE), "postfix-fixture")

FIXTURE_DIR = os.environ.get("FIXTURE_DIR") or os.environ.get(
    "LETTERHEAD_FIXTURE_DIR", "/tmp/letterhead-postfix")
SMTP_PORT = int(os.environ.get("FIXTURE_SMTP_PORT", "2525"))
SUBMISSION_PORT = int(os.environ.get("FIXTURE_SUBMISSION_PORT", "2587"))
MAILDIR = os.environ.get("FIXTURE_MAILDIR", os.path.join(FIXTURE_DIR, "Maildir"))
CA_CERT = os.environ.get("FIXTURE_CA_CERT", os.path.join(FIXTURE_DIR, "tls", "ca.pem"))
USER = os.environ.get("FIXTURE_USER", "app@fixture.test")
PASSWORD = os.environ.get("FIXTURE_PASSWORD", "fixture-password")
# The OAuth 2.0 port (Dovecot); FIXTURE_DOVECOT=0: not there, its checks are skipped.
DOVECOT = os.environ.get("FIXTURE_DOVECOT", "1") == "1"
OAUTH_PORT = int(os.environ.get("FIXTURE_OAUTH_PORT", "2588"))
OAUTH_KEY = os.environ.get("FIXTURE_OAUTH_KEY", os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "tests", "keys", "oauth2-hs256.key"))
OAUTH_USER = os.environ.get("FIXTURE_OAUTH_USER", "app@fixture.test")
OAUTH_ISSUER = os.environ.get("FIXTURE_OAUTH_ISSUER", "https://oauth2.fixture.test")

HOST = "127.0.0.1"
SENDER = "app@fixture.test"
RCPT = "someone@example.com"  # any domain: delivered to the one Maildir
O365_REPLY = (554, b"5.6.0 Corrupt message content")
DELIVERY_TIMEOUT = 15.0

results = []  # (name, ok, detail)


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)),
          flush=True)
    return ok


def run(name, fn):
    """Run one check function; an exception is a failure, not a crash."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - report and go on
        check(name, False, "%s: %s" % (type(exc).__name__, exc))


# ----------------------------------------------------------------- helpers --

def token():
    return uuid.uuid4().hex[:16]


def message(tok, extra=(), body=None, message_id=True, subject=None):
    """RFC 5322 message as bytes (CRLF line ends). extra: header lines."""
    lines = [
        "From: Selftest <%s>" % SENDER,
        "To: <%s>" % RCPT,
        "Subject: %s" % (subject or "fixture selftest %s" % tok),
        "Date: %s" % formatdate(localtime=False),
        "X-Selftest-Token: %s" % tok,
    ]
    if message_id:
        lines.append("Message-ID: <%s@selftest.example>" % tok)
    lines.extend(extra)
    text = "\r\n".join(lines) + "\r\n\r\n" + (body or "token %s\r\n" % tok)
    return text.encode("utf-8")


def maildir_files():
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(MAILDIR, sub)
        try:
            out.extend(os.path.join(d, f) for f in os.listdir(d))
        except FileNotFoundError:
            pass
    return out


def delivered(tok, timeout=DELIVERY_TIMEOUT):
    """Path of the Maildir/new file carrying tok, waiting for delivery."""
    needle = ("X-Selftest-Token: %s" % tok).encode()
    deadline = time.monotonic() + timeout
    seen = set()
    while True:
        d = os.path.join(MAILDIR, "new")
        for f in os.listdir(d):
            path = os.path.join(d, f)
            if path in seen:
                continue
            seen.add(path)
            try:
                with open(path, "rb") as fh:
                    if needle in fh.read():
                        return path
            except FileNotFoundError:
                pass
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def connect(port, host=HOST):
    conn = smtplib.SMTP(host, port, local_hostname="selftest.client", timeout=30)
    conn.ehlo()
    return conn


def tls_context():
    ctx = ssl.create_default_context(cafile=CA_CERT)  # the fixture's CA only
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def starttls(conn, server_hostname="localhost"):
    code, resp = conn.docmd("STARTTLS")
    if code != 220:
        raise RuntimeError("STARTTLS refused: %d %r" % (code, resp))
    conn.sock = tls_context().wrap_socket(conn.sock, server_hostname=server_hostname)
    conn.file = None
    conn.helo_resp = conn.ehlo_resp = None
    conn.esmtp_features = {}
    conn.does_esmtp = False
    conn.ehlo()


def transaction(conn, msg, rcpt=RCPT):
    """MAIL, RCPT, DATA; returns the first non-2xx (code, text) or DATA's."""
    code, resp = conn.mail(SENDER)
    if code != 250:
        conn.rset()
        return code, resp
    code, resp = conn.rcpt(rcpt)
    if code not in (250, 251):
        conn.rset()
        return code, resp
    return conn.data(msg)


def send(port, msg, **kw):
    conn = connect(port)
    try:
        return transaction(conn, msg, **kw)
    finally:
        conn.quit()


def expect_delivered(name, msg_tok, reply):
    code, resp = reply
    if code != 250:
        return check(name, False, "expected 250, got %d %r" % (code, resp))
    path = delivered(msg_tok)
    return check(name, path is not None, "accepted but not in %s/new" % MAILDIR)


def expect_o365_reject(name, reply):
    code, resp = reply
    return check(name, (code, resp) == O365_REPLY,
                 "expected %d %s, got %d %r" % (O365_REPLY[0], O365_REPLY[1].decode(),
                                                code, resp))


def port_open(port):
    try:
        with socket.create_connection((HOST, port), timeout=2):
            return True
    except OSError:
        return False


def instance_processes():
    """Processes of the fixture: Postfix daemons (and the Milter) run with
    their working directory in the fixture's queue directory."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % pid)
            with open("/proc/%s/cmdline" % pid, "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if cwd == FIXTURE_DIR or cwd.startswith(FIXTURE_DIR + "/"):
            found.append("%s %s" % (pid, cmd))
    return found


def postfix_masters():
    """`pgrep -f` for Postfix master processes (any instance)."""
    out = subprocess.run(["pgrep", "-f", "/usr/lib/postfix/sbin/master"],
                         capture_output=True, text=True)
    pids = [p for p in out.stdout.split() if p.isdigit()]
    alive = []
    for p in pids:
        try:
            with open("/proc/%s/stat" % p) as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.append(p)
        except OSError:
            pass
    return alive


def fixture(cmd):
    # The instance under test, whatever the caller's shell exported.
    env = dict(os.environ, LETTERHEAD_FIXTURE_DIR=FIXTURE_DIR,
               FIXTURE_SMTP_PORT=str(SMTP_PORT), FIXTURE_SUBMISSION_PORT=str(SUBMISSION_PORT),
               FIXTURE_OAUTH_PORT=str(OAUTH_PORT), FIXTURE_DOVECOT="1" if DOVECOT else "0")
    return subprocess.run([FIXTURE, cmd], capture_output=True, text=True, timeout=120, env=env)


# ------------------------------------------------------------ plain port --

def plain_checks():
    p = SMTP_PORT

    def normal():
        t = token()
        expect_delivered("plain: normal message delivered to Maildir/new", t,
                         send(p, message(t)))
    run("plain: normal message", normal)

    def encoded_message_id():
        t = token()
        expect_o365_reject("plain: Message-ID =?utf-8?b?PGFAYj4=?= -> 554 5.6.0",
                           send(p, message(t, ["Message-ID: =?utf-8?b?PGFAYj4=?="],
                                           message_id=False)))
    run("plain: encoded-word Message-ID", encoded_message_id)

    def idn_in_reply_to():
        t = token()
        expect_delivered("plain: In-Reply-To <a@xn--bro-hoa.example> delivered", t,
                         send(p, message(t, ["In-Reply-To: <a@xn--bro-hoa.example>"])))
    run("plain: punycode In-Reply-To", idn_in_reply_to)

    def long_message_id():
        t = token()
        local = "x" * (1200 - len("Message-ID: <@selftest.example>"))
        line = "Message-ID: <%s@selftest.example>" % local
        assert len(line) == 1200
        expect_o365_reject("plain: 1,200-char Message-ID line -> 554 5.6.0",
                           send(p, message(t, [line], message_id=False)))
    run("plain: 1,200-char Message-ID", long_message_id)

    def folded_references():
        t = token()
        ids = ["<%02d.%s@references.selftest.example>" % (i, "r" * 52) for i in range(40)]
        lines = ["References: " + ids[0]] + [" " + i for i in ids[1:]]
        ok_shape = all(80 <= len(x) <= 100 for x in lines) and sum(map(len, lines)) > 998
        check("plain: References test header is 40 lines of ~90 chars", ok_shape,
              [len(x) for x in lines])
        expect_delivered("plain: References folded over 40 lines delivered", t,
                         send(p, message(t, ["\r\n".join(lines)])))
    run("plain: folded References", folded_references)

    def lowercase_name():
        t = token()
        expect_o365_reject("plain: 'message-id:' (lower case) encoded-word -> 554",
                           send(p, message(t, ["message-id: =?UTF-8?Q?abc?="],
                                           message_id=False)))
    run("plain: lower-case header name", lowercase_name)

    def encoded_in_folded_line():
        t = token()
        refs = ["References: <a1@selftest.example>", " <a2@selftest.example>",
                " =?utf-8?q?=3Ca3=40selftest=2Eexample=3E?="]
        expect_o365_reject("plain: encoded-word on 3rd folded References line -> 554",
                           send(p, message(t, ["\r\n".join(refs)])))
    run("plain: encoded-word in folded line", encoded_in_folded_line)

    def other_identifier_headers():
        for name in ("Resent-Message-ID", "Original-Message-ID", "In-Reply-To"):
            t = token()
            expect_o365_reject("plain: %s with encoded-word -> 554" % name,
                               send(p, message(t, ["%s: =?utf-8?b?PGFAYj4=?=" % name])))
    run("plain: other identifier headers", other_identifier_headers)

    def encoded_subject_ok():
        t = token()
        expect_delivered("plain: encoded-word in Subject (not an identifier) delivered",
                         t, send(p, message(t, subject="=?utf-8?q?caf=C3=A9?= " + t)))
    run("plain: encoded Subject", encoded_subject_ok)

    def line_998_vs_999():
        t = token()
        line = "X-Long: " + "a" * (998 - 8)
        assert len(line) == 998
        expect_delivered("plain: 998-octet header line delivered", t,
                         send(p, message(t, [line])))
        t = token()
        expect_o365_reject("plain: 999-octet header line -> 554",
                           send(p, message(t, [line + "a"])))
    run("plain: 998/999 boundary", line_998_vs_999)

    def utf8_octets():
        t = token()
        line = "X-Utf8: " + "\u00e9" * 496  # 504 characters, 1,000 octets
        assert len(line.encode()) == 1000
        expect_o365_reject("plain: 1,000-octet (504-char) UTF-8 line -> 554",
                           send(p, message(t, [line])))
    run("plain: octets, not characters", utf8_octets)

    def very_long_line():
        t = token()
        expect_o365_reject("plain: 3,000-octet line (> line_length_limit) -> 554",
                           send(p, message(t, ["X-Long: " + "b" * 3000])))
    run("plain: line longer than line_length_limit", very_long_line)

    def mime_part_content_id():
        t = token()
        body = ("--b1\r\nContent-Type: text/plain\r\n\r\nhello %s\r\n"
                "--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
                "Content-ID: =?utf-8?b?PGltZzFAeD4=?=\r\n\r\niVBORw0KGgo=\r\n--b1--\r\n" % t)
        msg = message(t, ["MIME-Version: 1.0",
                          'Content-Type: multipart/related; boundary="b1"'], body=body)
        expect_o365_reject("plain: Content-ID encoded-word in a MIME part -> 554",
                           send(p, msg))
    run("plain: MIME part Content-ID", mime_part_content_id)

    def mime_part_ok():
        t = token()
        body = ("--b1\r\nContent-Type: text/plain\r\n\r\nhello %s\r\n"
                "--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
                "Content-ID: <img1@selftest.example>\r\n\r\niVBORw0KGgo=\r\n--b1--\r\n" % t)
        msg = message(t, ["MIME-Version: 1.0",
                          'Content-Type: multipart/related; boundary="b1"'], body=body)
        expect_delivered("plain: multipart with a plain Content-ID delivered", t,
                         send(p, msg))
    run("plain: MIME part ok", mime_part_ok)

    def same_session():
        conn = connect(p)
        try:
            t1, t2 = token(), token()
            r1 = transaction(conn, message(t1, ["Message-ID: =?utf-8?b?PGFAYj4=?="],
                                           message_id=False))
            r2 = transaction(conn, message(t2))
        finally:
            conn.quit()
        expect_o365_reject("plain: one session: 1st message -> 554", r1)
        expect_delivered("plain: one session: 2nd (good) message delivered", t2, r2)
    run("plain: reject then accept in one session", same_session)

    def plain_ehlo_and_tls():
        conn = connect(p)
        try:
            check("plain: STARTTLS offered", conn.has_extn("starttls"), conn.ehlo_resp)
            check("plain: AUTH not offered", not conn.has_extn("auth"), conn.ehlo_resp)
            starttls(conn)
            t = token()
            reply = transaction(conn, message(t))
        finally:
            conn.quit()
        expect_delivered("plain: STARTTLS (verified against FIXTURE_CA_CERT) then send",
                         t, reply)
    run("plain: EHLO / STARTTLS", plain_ehlo_and_tls)


# ------------------------------------------------------- submission port --

def submission_checks():
    p = SUBMISSION_PORT

    def before_tls():
        conn = connect(p)
        try:
            check("submission: STARTTLS offered before TLS", conn.has_extn("starttls"),
                  conn.ehlo_resp)
            check("submission: AUTH not offered before TLS", not conn.has_extn("auth"),
                  conn.ehlo_resp)
            cred = base64.b64encode(("\0%s\0%s" % (USER, PASSWORD)).encode()).decode()
            code, resp = conn.docmd("AUTH", "PLAIN " + cred)
            check("submission: AUTH before TLS refused", code >= 500, (code, resp))
            code, resp = conn.mail(SENDER)
            check("submission: MAIL before TLS refused (530)", code == 530, (code, resp))
        finally:
            conn.close()
    run("submission: before TLS", before_tls)

    def auth_send(mech):
        conn = connect(p)
        try:
            starttls(conn)
            auth = conn.esmtp_features.get("auth", "").upper().split()
            check("submission: AUTH %s offered after STARTTLS" % mech, mech in auth,
                  conn.esmtp_features)
            conn.user, conn.password = USER, PASSWORD
            code, resp = conn.auth(mech, getattr(conn, "auth_" + mech.lower()),
                                   initial_response_ok=(mech == "PLAIN"))
            check("submission: AUTH %s as %s -> 235" % (mech, USER), code == 235,
                  (code, resp))
            t = token()
            reply = transaction(conn, message(t))
        finally:
            conn.quit()
        expect_delivered("submission: AUTH %s then send delivered" % mech, t, reply)

    run("submission: AUTH PLAIN", lambda: auth_send("PLAIN"))
    run("submission: AUTH LOGIN", lambda: auth_send("LOGIN"))

    def wrong_password():
        conn = connect(p)
        try:
            starttls(conn)
            try:
                conn.login(USER, PASSWORD + "-wrong")
                check("submission: wrong password refused", False, "login succeeded")
            except smtplib.SMTPAuthenticationError as exc:
                check("submission: wrong password refused (535)", exc.smtp_code == 535,
                      exc)
        finally:
            conn.close()
    run("submission: wrong password", wrong_password)

    def no_auth():
        conn = connect(p)
        try:
            starttls(conn)
            t = token()
            code, resp = transaction(conn, message(t))
        finally:
            conn.quit()
        check("submission: MAIL FROM without AUTH -> 530 5.7.57",
              code == 530 and resp.startswith(b"5.7.57 "), (code, resp))
        check("submission: ...and nothing delivered", delivered(t, timeout=1.0) is None)
    run("submission: no AUTH", no_auth)

    def auth_then_o365():
        conn = connect(p)
        try:
            starttls(conn)
            conn.login(USER, PASSWORD)
            t = token()
            reply = transaction(conn, message(t, ["Message-ID: =?utf-8?b?PGFAYj4=?="],
                                              message_id=False))
        finally:
            conn.quit()
        expect_o365_reject("submission: encoded-word Message-ID -> 554 5.6.0", reply)
    run("submission: O365 rejection", auth_then_o365)

    def tls_by_ip():
        conn = connect(p)
        try:
            starttls(conn, server_hostname="127.0.0.1")
            check("submission: certificate valid for IP 127.0.0.1", True)
        finally:
            conn.quit()
    run("submission: TLS by IP", tls_by_ip)


# ------------------------------------------------------------ OAuth port --

def oauth_key():
    """The HS256 key: the octets that FIXTURE_OAUTH_KEY's base64 text decodes to."""
    with open(OAUTH_KEY, "rb") as fh:
        return base64.b64decode(b"".join(fh.read().split()), validate=True)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims=None, header=None, key=None, lifetime=600, drop=()):
    """An HS256 JWT as the fixture accepts it, unless changed by the arguments:
    header {"alg":"HS256","typ":"JWT"} (no "kid"), claims iss, sub, iat, exp
    (no "azp"); claims: added/overridden; drop: claim names to leave out."""
    now = int(time.time())
    body = {"iss": OAUTH_ISSUER, "sub": OAUTH_USER, "iat": now, "exp": now + lifetime}
    body.update(claims or {})
    for name in drop:
        body.pop(name, None)
    head = header if header is not None else {"alg": "HS256", "typ": "JWT"}
    signing_input = "%s.%s" % (b64url(json.dumps(head, separators=(",", ":")).encode()),
                               b64url(json.dumps(body, separators=(",", ":")).encode()))
    sig = hmac.new(oauth_key() if key is None else key, signing_input.encode("ascii"),
                   hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


def initial_response(mech, token, user=None):
    user = OAUTH_USER if user is None else user
    if mech == "XOAUTH2":
        text = "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
    else:  # OAUTHBEARER, RFC 7628: gs2 header "n,a=<authzid>,"
        text = "n,a=%s,\x01auth=Bearer %s\x01\x01" % (user, token)
    return base64.b64encode(text.encode()).decode("ascii")


# What a failed token gets: a 334 error challenge first (base64 JSON, Dovecot's).
OAUTH_CHALLENGE = {
    "XOAUTH2": {"status": "401", "schemes": "bearer", "scope": "mail"},
    "OAUTHBEARER": {"status": "invalid_token"},
}
# The client's answer to it: an empty line (XOAUTH2), "\x01" (RFC 7628 3.2.3).
OAUTH_ACK = {"XOAUTH2": "", "OAUTHBEARER": base64.b64encode(b"\x01").decode()}
OAUTH_FAIL = (535, b"5.7.8 Error: authentication failed: (reason unavailable)")


def oauth_session():
    conn = connect(OAUTH_PORT)
    starttls(conn)
    return conn


def oauth_auth(conn, mech, token, user=None):
    return conn.docmd("AUTH", "%s %s" % (mech, initial_response(mech, token, user)))


def expect_refused(name, conn, mech, reply):
    """A refused token: 334 <JSON> challenge, the client's ack, then 535 5.7.8."""
    code, resp = reply
    if code != 334:
        return check(name, False, "expected a 334 challenge, got %d %r" % (code, resp))
    try:
        challenge = json.loads(base64.b64decode(resp))
    except ValueError as exc:
        return check(name, False, "334 not base64 JSON: %r (%s)" % (resp, exc))
    if not check(name + ": 334 challenge %s" % json.dumps(OAUTH_CHALLENGE[mech]),
                 challenge == OAUTH_CHALLENGE[mech], challenge):
        return False
    reply = conn.docmd(OAUTH_ACK[mech])
    return check(name + ": then %d %s" % (OAUTH_FAIL[0], OAUTH_FAIL[1].decode()),
                 reply == OAUTH_FAIL, reply)


def oauth_checks():
    p = OAUTH_PORT

    def before_tls():
        conn = connect(p)
        try:
            check("oauth: STARTTLS offered before TLS", conn.has_extn("starttls"),
                  conn.ehlo_resp)
            check("oauth: AUTH not offered before TLS", not conn.has_extn("auth"),
                  conn.ehlo_resp)
            code, resp = conn.mail(SENDER)
            check("oauth: MAIL before TLS refused (530)", code == 530, (code, resp))
        finally:
            conn.close()
    run("oauth: before TLS", before_tls)

    def mechanisms():
        conn = oauth_session()
        try:
            mechs = sorted(conn.esmtp_features.get("auth", "").upper().split())
            check("oauth: AUTH offers exactly OAUTHBEARER XOAUTH2 after STARTTLS",
                  mechs == ["OAUTHBEARER", "XOAUTH2"], conn.esmtp_features)
            t = token()
            code, resp = transaction(conn, message(t))
            check("oauth: MAIL FROM without AUTH -> 530 5.7.57",
                  code == 530 and resp.startswith(b"5.7.57 "), (code, resp))
        finally:
            conn.quit()
    run("oauth: mechanisms", mechanisms)

    def good(mech):
        conn = oauth_session()
        try:
            reply = oauth_auth(conn, mech, make_jwt())
            check("oauth: AUTH %s with a good token -> 235 2.7.0" % mech,
                  reply[0] == 235 and reply[1].startswith(b"2.7.0"), reply)
            t = token()
            sent = transaction(conn, message(t))
        finally:
            conn.quit()
        expect_delivered("oauth: AUTH %s then send delivered" % mech, t, sent)
    run("oauth: XOAUTH2", lambda: good("XOAUTH2"))
    run("oauth: OAUTHBEARER", lambda: good("OAUTHBEARER"))

    now = int(time.time())
    bad_tokens = [
        ("expired token (exp 1 h ago)", make_jwt({"iat": now - 7200, "exp": now - 3600})),
        ("token signed with another key", make_jwt(key=os.urandom(32))),
        ("token of another user (sub)", make_jwt({"sub": "other@fixture.test"})),
        ("token of another issuer", make_jwt({"iss": "https://other.example"})),
        ("token without exp", make_jwt(drop=("exp",))),
        ("token issued in the future (iat now+60)", make_jwt({"iat": now + 60})),
    ]

    def refused(mech, what, tok):
        conn = oauth_session()
        try:
            started = time.monotonic()
            ok = expect_refused("oauth: %s %s" % (mech, what), conn, mech,
                                oauth_auth(conn, mech, tok))
            took = time.monotonic() - started
            t = token()
            code, resp = transaction(conn, message(t))
        finally:
            conn.quit()
        if ok:
            check("oauth: ...and MAIL FROM after it -> 530", code == 530, (code, resp))
        # Dovecot's auth penalty is off (dovecot.conf.in): no growing delay per failure.
        check("oauth: ...refused within 2 s (no auth penalty): %.2fs" % took, took < 2.0, took)
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        for what, tok in bad_tokens:
            run("oauth: %s %s" % (mech, what), lambda m=mech, w=what, t=tok: refused(m, w, t))

    def cancel(mech):
        conn = oauth_session()
        try:
            code, _ = oauth_auth(conn, mech, make_jwt(key=os.urandom(32)))
            reply = conn.docmd("*")
        finally:
            conn.quit()
        check("oauth: %s: '*' in answer to the 334 -> 501 5.7.0 Authentication aborted"
              % mech, code == 334 and reply == (501, b"5.7.0 Authentication aborted"),
              (code, reply))
    run("oauth: XOAUTH2 cancel", lambda: cancel("XOAUTH2"))
    run("oauth: OAUTHBEARER cancel", lambda: cancel("OAUTHBEARER"))

    def retry_same_session():
        conn = oauth_session()
        try:
            expect_refused("oauth: retry: 1st AUTH XOAUTH2 with an expired token", conn,
                           "XOAUTH2", oauth_auth(conn, "XOAUTH2",
                                                 make_jwt({"iat": now - 100, "exp": now - 10})))
            reply = oauth_auth(conn, "XOAUTH2", make_jwt())
            check("oauth: retry: 2nd AUTH in the same session, good token -> 235",
                  reply[0] == 235, reply)
            t = token()
            sent = transaction(conn, message(t))
        finally:
            conn.quit()
        expect_delivered("oauth: retry: then send delivered", t, sent)
    run("oauth: retry after a failure", retry_same_session)

    def no_initial_response():
        conn = oauth_session()
        try:
            code, resp = conn.docmd("AUTH", "OAUTHBEARER")
            reply = conn.docmd(initial_response("OAUTHBEARER", make_jwt()))
        finally:
            conn.quit()
        check("oauth: AUTH OAUTHBEARER without initial response: '334 ' then 235",
              (code, resp) == (334, b"") and reply[0] == 235, ((code, resp), reply))
    run("oauth: no initial response", no_initial_response)

    def long_token():
        tok = make_jwt({"pad": "x" * 3000})  # Office 365's tokens: 1.5-2.5k characters
        line = "AUTH XOAUTH2 " + initial_response("XOAUTH2", tok)
        conn = oauth_session()
        try:
            reply = conn.docmd(line)
        finally:
            conn.quit()
        check("oauth: %d-char token in a %d-octet AUTH line -> 235 (line_length_limit)"
              % (len(tok), len(line)), reply[0] == 235, reply)
    run("oauth: long token", long_token)


# ------------------------------------------------------------- lifecycle --

def lifecycle_checks():
    if os.geteuid() != 0:
        check("lifecycle: needs root", False, "run as root")
        return
    t = token()
    expect_delivered("lifecycle: message before stop delivered", t, send(SMTP_PORT, message(t)))
    before = len(maildir_files())

    r = fixture("stop")
    check("lifecycle: stop exits 0", r.returncode == 0, r.stderr)
    check("lifecycle: smtp port closed after stop", not port_open(SMTP_PORT))
    check("lifecycle: submission port closed after stop", not port_open(SUBMISSION_PORT))
    if DOVECOT:
        check("lifecycle: oauth port closed after stop", not port_open(OAUTH_PORT))
    check("lifecycle: no fixture process left after stop", not instance_processes(),
          instance_processes())
    check("lifecycle: no postfix master process (pgrep -f) after stop",
          not postfix_masters(), postfix_masters())
    r = fixture("status")
    check("lifecycle: status exits 1 when stopped", r.returncode == 1, r.returncode)

    started = time.monotonic()
    r = fixture("start")
    took = time.monotonic() - started
    check("lifecycle: start after stop exits 0 (%.2fs)" % took, r.returncode == 0, r.stderr)
    check("lifecycle: start prints the export lines",
          "export FIXTURE_MAILDIR=" in r.stdout, r.stdout)
    check("lifecycle: status exits 0 when running", fixture("status").returncode == 0)
    check("lifecycle: Maildir kept across stop/start", len(maildir_files()) >= before
          and delivered(t, timeout=0) is not None, (before, len(maildir_files())))
    t2 = token()
    expect_delivered("lifecycle: delivery works after restart", t2,
                     send(SMTP_PORT, message(t2)))

    # A crash: the master dies without cleaning up (stale master.pid,
    # orphaned children). start must clean up and come back.
    pidfile = os.path.join(FIXTURE_DIR, "queue", "pid", "master.pid")
    with open(pidfile) as fh:
        pid = int(fh.read().split()[0])
    os.kill(pid, 9)
    time.sleep(0.5)
    r = fixture("start")
    check("lifecycle: start after master was SIGKILLed (stale pid file) exits 0",
          r.returncode == 0, r.stderr)
    t3 = token()
    expect_delivered("lifecycle: delivery works after crash restart", t3,
                     send(SMTP_PORT, message(t3)))
    check("lifecycle: Maildir kept across crash", delivered(t, timeout=0) is not None)

    if not DOVECOT:
        return
    expect_delivered("lifecycle: oauth delivery works after the restarts",
                     *oauth_send_one("XOAUTH2"))
    # Dovecot dies: status says so, start restarts the instance.
    with open(os.path.join(FIXTURE_DIR, "dovecot", "master.pid")) as fh:
        dpid = int(fh.read().split()[0])
    os.kill(dpid, 9)
    time.sleep(0.5)
    r = fixture("status")
    check("lifecycle: status exits 1 when dovecot is gone", r.returncode == 1, r.stderr)
    r = fixture("start")
    check("lifecycle: start after dovecot was SIGKILLed exits 0", r.returncode == 0, r.stderr)
    check("lifecycle: status exits 0 again", fixture("status").returncode == 0)
    expect_delivered("lifecycle: oauth delivery works after dovecot crash restart",
                     *oauth_send_one("OAUTHBEARER"))


def oauth_send_one(mech):
    """(token, reply) of one message sent through the OAuth port."""
    conn = oauth_session()
    try:
        code, resp = oauth_auth(conn, mech, make_jwt())
        if code != 235:
            return None, (code, resp)
        t = token()
        return t, transaction(conn, message(t))
    finally:
        conn.quit()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lifecycle", action="store_true",
                    help="also stop/start/crash the fixture (root; leaves it running)")
    args = ap.parse_args()

    print("fixture: %s smtp=%d submission=%d %s maildir=%s user=%s" % (
        FIXTURE_DIR, SMTP_PORT, SUBMISSION_PORT,
        "oauth=%d (user %s, key %s)" % (OAUTH_PORT, OAUTH_USER, OAUTH_KEY) if DOVECOT
        else "oauth=off (FIXTURE_DOVECOT=0)", MAILDIR, USER), flush=True)
    if not (port_open(SMTP_PORT) and port_open(SUBMISSION_PORT)
            and (not DOVECOT or port_open(OAUTH_PORT))):
        check("fixture is running", False,
              'start it first: eval "$(scripts/postfix-fixture start)"')
    else:
        plain_checks()
        submission_checks()
        if DOVECOT:
            oauth_checks()
        if args.lifecycle:
            lifecycle_checks()

    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
