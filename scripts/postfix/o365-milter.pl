#!/usr/bin/perl
# o365-milter.pl: a Milter that turns header_checks' marker header into an
# exact SMTP reply. Part of the letterhead Postfix test fixture
# (scripts/postfix-fixture); not Microsoft code, an emulation.
#
# Why it exists: a header_checks REJECT always reaches the client with SMTP
# code 550 (450 for a 4.x.x status): cleanup(8) keeps only the enhanced
# status code of the REJECT text and smtpd(8) puts its own fixed code in
# front of it. Office 365 answers "554 5.6.0 Corrupt message content", and a
# client may treat 550 and 554 differently. A Milter's reply, on the other
# hand, is passed to the client verbatim. So:
#
#   * header_checks.pcre finds the offending header (primary, MIME part or
#     attached-message header, as Postfix's MIME parser delivers it) and
#     PREPENDs a marker "X-Letterhead-Fixture-Reject: <reply>";
#   * this Milter sees the queued message; if the marker is in the primary
#     header (seen at end-of-headers) or starts a line of the body (where
#     Postfix writes it for a MIME part header), it answers <reply> as an
#     SMFIR_REPLYCODE, and smtpd sends that to the client.
#
# It is run by Postfix's master(8) through spawn(8) (see master.cf.in): one
# process per Milter connection, i.e. per SMTP session, speaking the Milter
# protocol (version 6) on stdin/stdout. So there is no daemon of our own to
# start, stop or find after a crash. Perl because it is on every Debian
# system (perl-base is Essential) and starts in a few ms; a Python version
# cost ~40-80 ms per SMTP session, which capped new-connection throughput
# at ~50 messages/s on 2 cores.
use strict;
use warnings;

# spawn(8) connects stderr to the Milter socket too: keep it silent.
open(STDERR, '>', '/dev/null');
binmode(STDIN);
binmode(STDOUT);

my $MARKER = 'X-Letterhead-Fixture-Reject';
my $DEFAULT_REPLY = '554 5.6.0 Corrupt message content';
my $MAX_PACKET = 16 * 1024 * 1024;

# Events this Milter does not need (libmilter's SMFIP_NOCONNECT, NOHELO,
# NOMAIL, NORCPT, NOUNKNOWN, NODATA); the MTA skips those it can.
my $UNWANTED = 0x01 | 0x02 | 0x04 | 0x08 | 0x100 | 0x200;

sub read_exact {
    my ($n) = @_;
    my $buf = '';
    while (length($buf) < $n) {
        my $got = sysread(STDIN, $buf, $n - length($buf), length($buf));
        return undef unless $got;    # EOF or error
    }
    return $buf;
}

sub send_packet {
    my ($cmd, $data) = @_;
    $data = '' unless defined $data;
    my $packet = pack('N', length($data) + 1) . $cmd . $data;
    while (length($packet)) {
        my $put = syswrite(STDOUT, $packet);
        exit 1 unless defined $put;
        substr($packet, 0, $put) = '';
    }
}

# "554 5.6.0 text": 4xx/5xx, an enhanced status code, some text.
sub reply_from {
    my ($value) = @_;
    $value = '' unless defined $value;
    $value =~ s/^\s+|\s+$//g;
    return $value =~ /^[45][0-9][0-9] [45]\.[0-9]{1,3}\.[0-9]{1,3} [^\r\n]+$/
        ? $value : $DEFAULT_REPLY;
}

my ($reply, $tail);
sub new_message { $reply = undef; $tail = "\n"; }
new_message();

# Look for a body line that starts with the marker; chunks may split it.
sub scan_body {
    my ($chunk) = @_;
    return if defined $reply;
    my $data = $tail . $chunk;
    my $pos = index($data, "\n$MARKER:");
    if ($pos >= 0) {
        my $eol = index($data, "\n", $pos + 1);
        if ($eol < 0) {              # reply text continues in the next chunk
            $tail = substr($data, $pos);
            return;
        }
        $reply = reply_from(substr($data, $pos + length($MARKER) + 2,
                                   $eol - $pos - length($MARKER) - 2));
        return;
    }
    $tail = substr($data, -(length($MARKER) + 2));
}

while (1) {
    my $head = read_exact(4);
    exit 0 unless defined $head;
    my $len = unpack('N', $head);
    exit 1 if $len < 1 || $len > $MAX_PACKET;
    my $packet = read_exact($len);
    exit 1 unless defined $packet;
    my $cmd = substr($packet, 0, 1);
    my $data = substr($packet, 1);

    if ($cmd eq 'O') {               # option negotiation
        exit 1 if length($data) < 12;
        my ($version, undef, $protocol) = unpack('NNN', $data);
        send_packet('O', pack('NNN', $version < 6 ? $version : 6, 0,
                              $protocol & $UNWANTED));
        next;
    }
    exit 0 if $cmd eq 'Q';                   # quit
    new_message() if $cmd =~ /^[AKM]$/;      # abort, new session, MAIL FROM
    next if $cmd =~ /^[DAK]$/;               # macros, abort, quit-new-conn: no reply

    if ($cmd eq 'L') {                       # header: name NUL value NUL
        my ($name, $value) = split(/\0/, $data, 3);
        $reply = reply_from($value)
            if !defined($reply) && defined($name) && lc($name) eq lc($MARKER);
        send_packet('c');
    } elsif ($cmd eq 'N' || $cmd eq 'E') {   # end of headers / of message
        if (defined $reply) {
            send_packet('y', "$reply\0");
        } else {
            send_packet('c');
        }
        new_message() if $cmd eq 'E';
    } elsif ($cmd eq 'B') {                  # body chunk
        scan_body($data);
        send_packet('c');
    } else {                                 # connect, helo, mail, rcpt, data, ...
        send_packet('c');
    }
}
