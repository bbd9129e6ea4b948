"""Mail layouts of each provider in the registry, rebuilt from public samples (sources named).

Every layout says which headers the provider prepends (``top``) and appends (``bottom``) for a
delivery, and what a sender forges to imitate it (``forged``). The verdict lines follow the
public samples named in ``source``; Received lines that no sample shows are marked "assumed".
``build`` puts a whole mail together: the provider's top block, the sender's headers (where a
spoofer's forged headers go), the body, and the provider's bottom block.

Delivery kinds:
    pass      Meta's genuine mail, DKIM-signed by the From domain
    fail      a spoof with a forged signature of the From domain: the provider marks it failed
    unsigned  a spoof without a signature (DMARC fails where it is checked; GMX writes nothing)
    foreign   a spoof validly signed by the spoofer's own domain (not aligned with From)
    nodkim    Meta's mail without a signature, DMARC unknown (a DNS timeout): no verdict
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

Fields = list[tuple[str, str]]
META_IP = "69.171.232.145"
SPOOF_HOST, SPOOF_IP, SPOOF_DOMAIN = "relay.bulk-sender.biz", "185.220.101.7", "bulk-sender.biz"
KINDS = ("pass", "fail", "unsigned", "foreign", "nodkim")


@dataclass(frozen=True)
class Delivery:
    """The facts of one delivery that a provider records in its headers."""

    rcpt: str
    sender: str
    kind: str = "pass"
    date: datetime = datetime(2025, 4, 20, 9, 12, tzinfo=UTC)
    seed: str = "0" * 64

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]

    @property
    def client(self) -> tuple[str, str]:
        """The host and address the provider received the mail from."""
        genuine = self.kind in ("pass", "nodkim")
        return (f"mx-out.{self.domain}", META_IP) if genuine else (SPOOF_HOST, SPOOF_IP)

    @property
    def stamp(self) -> str:
        return format_datetime(self.date + timedelta(seconds=3))

    @property
    def signed(self) -> bool:
        return self.kind in ("pass", "fail", "foreign")

    @property
    def signer(self) -> str:
        """The d= of the mail's DKIM signature."""
        return SPOOF_DOMAIN if self.kind == "foreign" else self.domain

    @property
    def dkim_result(self) -> str:
        return {"pass": "pass", "fail": "fail", "foreign": "pass"}.get(self.kind, "none")

    def dkim(self, style: str = "plain") -> str:
        """The dkim result as OpenDKIM-style and most providers write it."""
        if not self.signed:
            return "dkim=none (message not signed)"
        d, b = self.signer, self.seed[:8]
        key = " (1024-bit key)" if style == "opendkim" else ""
        why = " (signature did not verify)" if self.kind == "fail" else ""
        return f"dkim={self.dkim_result}{why}{key} header.d={d} header.i=@{d} header.s=s1024-2013-q3 header.b={b}"

    @property
    def spf(self) -> str:
        return {"pass": "pass", "nodkim": "softfail"}.get(self.kind, "fail")

    @property
    def dmarc(self) -> str:
        return {"pass": "pass", "nodkim": "temperror"}.get(self.kind, "fail")


def _forged_ar(authserv_id: str, d: Delivery) -> tuple[str, str]:
    """A pass that a spoofer writes in the name of a receiver."""
    head = f"{authserv_id}; " if authserv_id else ""
    return ("Authentication-Results", f"{head}dkim=pass header.d={d.domain} header.i=@{d.domain};"
            f" spf=pass smtp.mailfrom={d.domain}; dmarc=pass header.from={d.domain}")  # fmt: skip


def _gmail_forgery(d: Delivery) -> Fields:
    return [_forged_ar("mx.google.com", d)]


@dataclass(frozen=True)
class Layout:
    """How one provider lays out its headers on a received mail."""

    provider: str  # registry name, or "self-hosted"
    source: str
    top: Callable[[Delivery], Fields]
    bottom: Callable[[Delivery], Fields] = lambda d: []
    forged: Callable[[Delivery], Fields] = _gmail_forgery
    rcpt_domain: str = "example.org"
    trusted_ids: tuple[str, ...] = ()  # what its user writes in trusted_authserv_ids
    notes: tuple[str, ...] = field(default=())


# -- Gmail --------------------------------------------------------------------------------------


def _gmail_results(d: Delivery) -> str:
    host, ip = d.client
    return (f"mx.google.com;\r\n       {d.dkim()};\r\n       spf={d.spf} (google.com: domain of "
            f"{d.sender} designates {ip} as permitted sender) smtp.mailfrom={d.sender};\r\n"
            f"       dmarc={d.dmarc} (p=REJECT sp=REJECT dis=NONE) header.from={d.domain}")  # fmt: skip


def gmail_top(d: Delivery) -> Fields:
    host, ip = d.client
    return [
        ("Delivered-To", d.rcpt),
        ("Received", f"by 2002:a05:7300:5c8c:b0:1a1:{d.seed[:4]}:0 with SMTP id {d.seed[:12]};"
                     f"\r\n        {d.stamp}"),
        ("ARC-Authentication-Results", f"i=1; {_gmail_results(d)}"),
        ("Return-Path", f"<{d.sender}>"),
        ("Received", f"from {host} ({host}. [{ip}])\r\n        by mx.google.com with ESMTPS id "
                     f"{d.seed[12:24]}\r\n        for <{d.rcpt}>\r\n        (version=TLS1_3 "
                     f"cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\r\n        {d.stamp}"),
        ("Received-SPF", f"{d.spf} (google.com: domain of {d.sender} designates {ip} as permitted"
                         f" sender) client-ip={ip};"),
        ("Authentication-Results", _gmail_results(d)),
    ]  # fmt: skip


# -- Microsoft ----------------------------------------------------------------------------------


def outlook_top(d: Delivery) -> Fields:
    host, ip = d.client
    dkim = {"pass": "dkim=pass (signature was verified)", "fail": "dkim=fail (body hash did not "
            "verify)"}.get(d.dkim_result, "dkim=none (message not signed)")  # fmt: skip
    signer = d.signer if d.signed else "none"
    action = "none" if d.kind == "pass" else "oreject" if d.dmarc == "fail" else "none"
    comp = "pass reason=100" if d.kind == "pass" else "fail reason=000"
    return [
        ("Received", "from AM0PR08MB5555.eurprd08.prod.outlook.com (2603:10a6:208:12a::11) by "
                     "PAXPR08MB6666.eurprd08.prod.outlook.com with HTTPS; " + d.stamp),
        ("Received", "from DU2PR04CA0123.eurprd04.prod.outlook.com (2603:10a6:10:234::8) by "
                     "AM0PR08MB5555.eurprd08.prod.outlook.com (2603:10a6:208:12a::11) with "
                     "Microsoft SMTP Server; " + d.stamp),
        ("Authentication-Results", f"spf={d.spf} (sender IP is {ip})\r\n smtp.mailfrom={d.domain};"
                                   f" {dkim}\r\n header.d={signer};dmarc={d.dmarc} action={action}"
                                   f"\r\n header.from={d.domain};compauth={comp}"),
        ("Received-SPF", f"{d.spf.capitalize()} (protection.outlook.com: domain of {d.domain}) "
                         f"receiver=protection.outlook.com; client-ip={ip}; helo={host};"),
        ("Received", f"from {host} ({ip}) by\r\n DB1PEPF000509E4.mail.protection.outlook.com "
                     "(10.167.242.70) with Microsoft SMTP Server (version=TLS1_3,\r\n "
                     f"cipher=TLS_AES_256_GCM_SHA384) id 15.20.8699.20 via Frontend Transport; {d.stamp}"),
    ]  # fmt: skip


def outlook_forged(d: Delivery) -> Fields:
    return [_forged_ar("", d), _forged_ar("mx.google.com", d)]


# -- Yahoo / AOL --------------------------------------------------------------------------------


def yahoo_top(d: Delivery) -> Fields:
    host, ip = d.client
    dkim = {"pass": f"dkim=pass header.i=@{d.signer} header.s=s1024-2013-q3", "fail":
            f"dkim=perm_fail header.i=@{d.signer} header.s=s1024-2013-q3"}.get(d.dkim_result, "dkim=unknown")  # fmt: skip
    dmarc = {"pass": "pass(p=REJECT)", "nodkim": "unknown"}.get(d.kind, "fail(p=REJECT)")
    return [
        ("Received", f"from 10.217.151.75\r\n by atlas324.free.mail.ne1.yahoo.com with HTTPS; {d.stamp}"),
        ("Authentication-Results", f"atlas324.free.mail.ne1.yahoo.com;\r\n {dkim};\r\n "
                                   f"spf={d.spf} smtp.mailfrom={d.domain};\r\n dmarc={dmarc} "
                                   f"header.from={d.domain};"),
        ("X-Apparently-To", f"{d.rcpt}; {d.stamp}"),
        ("Received", f"from {ip} (EHLO {host})\r\n by 10.217.151.75 with SMTPs; {d.stamp}"),
    ]  # fmt: skip


def yahoo_forged(d: Delivery) -> Fields:
    return [_forged_ar("atlas324.free.mail.ne1.yahoo.com", d), _forged_ar("mx.google.com", d)]


# -- Apple iCloud -------------------------------------------------------------------------------


def icloud_top(d: Delivery) -> Fields:
    host, ip = d.client
    bimi = "bimi=none" if d.kind == "pass" else 'bimi=skipped reason="insufficient dmarc"'
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Received", f"from {host} ({host} [{ip}])\r\n\tby mx01.mail.icloud.com (iCloud Mail) "
                     f"with ESMTPS id {d.seed[:16]}\r\n\tfor <{d.rcpt}>; {d.stamp}"),  # assumed
        ("Authentication-Results", f"bimi.icloud.com; {bimi}"),
        ("Authentication-Results", "arc.icloud.com; arc=none"),
        ("Authentication-Results", f"dmarc.icloud.com; dmarc={d.dmarc} header.from={d.domain}"),
        ("Authentication-Results", f"dkim-verifier.icloud.com;\r\n\t{d.dkim('opendkim')}"),
        ("Authentication-Results", f"spf.icloud.com; spf={d.spf} (spf.icloud.com: domain of "
                                   f"{d.sender} designates {ip} as permitted sender) smtp.mailfrom={d.sender}"),
    ]  # fmt: skip


def icloud_forged(d: Delivery) -> Fields:
    return [_forged_ar("dkim-verifier.icloud.com", d), _forged_ar("dmarc.icloud.com", d)]


# -- GMX, WEB.DE (United Internet) ---------------------------------------------------------------


def _united_internet(authserv_id: str, mx: str, node: str) -> Callable[[Delivery], Fields]:
    def top(d: Delivery) -> Fields:
        host, ip = d.client
        verdict = []
        if d.signed:  # one header per DKIM signature, nothing for none
            verdict = [
                (
                    "Authentication-Results",
                    f" {authserv_id}; dkim={d.dkim_result} header.i=@{d.signer}",
                )
            ]
        return [
            ("Return-Path", f"<{d.sender}>"),
            *verdict,
            ("Received", f"from {host} ([{ip}]) by {mx}\r\n ({node} [212.227.17.5]) with ESMTPS "
                         f"(Nemesis) id 1MaJKP-{d.seed[:10]}\r\n for <{d.rcpt}>; {d.stamp}"),
        ]  # fmt: skip

    return top


def united_forged(authserv_id: str) -> Callable[[Delivery], Fields]:
    return lambda d: [_forged_ar(authserv_id, d), _forged_ar("mx.google.com", d)]


# -- T-Online -----------------------------------------------------------------------------------


def _toi_ar(where: str, d: Delivery) -> tuple[str, str]:
    return ("Authentication-Results", f"mailin40.{where}.t-online.de;\r\n\t{d.dkim('opendkim')};"
            "\r\n\tdkim-atps=neutral")  # fmt: skip


def tonline_top(d: Delivery) -> Fields:
    host, ip = d.client
    signed = [_toi_ar("mgt.mul", d)] if d.signed else []
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Received", f"from mailin40.aul.t-online.de ([10.223.144.80])\r\n\tby ehead26a17.aul."
                     f"t-online.de with LMTP\r\n\tid {d.seed[:22]}\r\n\t(envelope-from <{d.sender}>);"
                     f" {d.stamp}"),
        *signed,
        ("Received", f"from {host} ([{ip}]) by mailin40.mgt.mul.t-online.de\r\n\twith "
                     f"(TLSv1.3:TLS_AES_256_GCM_SHA384 encrypted)\r\n\tesmtp id 1vaZrC-{d.seed[:7]}; {d.stamp}"),
    ]  # fmt: skip


def tonline_bottom(d: Delivery) -> Fields:
    signed = [_toi_ar("aul", d)] if d.signed else []
    return [
        ("X-TOI-VIRUSSCAN", "unchecked"),
        ("X-TOI-EXPURGATEID", f"149288::1767101630-{d.seed[:8].upper()}/1/8621352127 SUSPECT MAIL-COUNT"),
        ("X-TOI-MSGID", f"{d.seed[:8]}-{d.seed[8:12]}-{d.seed[12:16]}-{d.seed[16:20]}-{d.seed[20:32]}"),
        ("X-ENVELOPE-TO", f"<{d.rcpt}>"),
        *signed,
    ]  # fmt: skip


def tonline_forged(d: Delivery) -> Fields:
    return [
        _forged_ar("mailin40.aul.t-online.de", d),
        _forged_ar("mailin40.mgt.mul.t-online.de", d),
    ]


# -- Proton -------------------------------------------------------------------------------------


def proton_top(d: Delivery) -> Fields:
    host, ip = d.client
    first = {"pass": f"dkim=pass (Good 1024 bit\r\n    rsa-sha256 signature) header.d={d.signer} "
             "header.a=rsa-sha256", "fail": f"dkim=fail (Bad 1024 bit\r\n    rsa-sha256 signature)"
             f" header.d={d.signer} header.a=rsa-sha256"}.get(d.dkim_result, "dkim=none")  # fmt: skip
    ids = "mailin047.protonmail.ch"
    signed = [("Authentication-Results", f"{ids}; {d.dkim('opendkim')}")] if d.signed else []
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("X-Original-To", d.rcpt),
        ("Delivered-To", d.rcpt),
        ("Authentication-Results", f"{ids}; {first}"),
        ("Authentication-Results", f"{ids}; dmarc={d.dmarc} (p=reject dis=none)\r\n header.from={d.domain}"),
        ("Authentication-Results", f"{ids}; spf={d.spf} smtp.mailfrom={d.domain}"),
        ("Authentication-Results", f"{ids}; arc=none smtp.remote-ip={ip}"),
        *signed,
        ("Received", f"from {host} ({host} [{ip}])\r\n (using TLSv1.3 with cipher "
                     "TLS_AES_256_GCM_SHA384 (256/256 bits)\r\n  key-exchange X25519 server-signature "
                     f"RSA-PSS (4096 bits)) (No client certificate\r\n requested) by {ids} (Postfix) "
                     f"with ESMTPS id 4XC0Dy1xs6z3Z\r\n for <{d.rcpt}>; {d.stamp}"),
    ]  # fmt: skip


def proton_forged(d: Delivery) -> Fields:
    return [_forged_ar("mail.protonmail.ch", d), _forged_ar("mx.google.com", d)]


# -- Fastmail -----------------------------------------------------------------------------------


def fastmail_top(d: Delivery) -> Fields:
    host, ip = d.client
    mx = "mx6.messagingengine.com"
    main = (f"{mx};\r\n    {d.dkim()} header.a=rsa-sha256 x-bits=1024;\r\n    dmarc={d.dmarc} "
            "policy.published-domain-policy=reject\r\n      policy.applied-disposition=none "
            f"policy.evaluated-disposition=none\r\n      (p=reject,d=none,d.eval=none) "
            f"policy.policy-from=p\r\n      header.from={d.domain};\r\n    iprev=pass "
            f"smtp.remote-ip={ip}\r\n      ({host});\r\n    spf={d.spf} smtp.mailfrom={d.sender}\r\n"
            f"      smtp.helo={host}")  # fmt: skip
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Received", "from compute5.internal (compute5.nyi.internal [10.202.2.45])\r\n\t by "
                     f"sloti44n01 (Cyrus 3.11.0) with LMTPA;\r\n\t {d.stamp}"),  # assumed
        ("X-Delivered-to", d.rcpt),
        ("Received", f"from mx6 ([10.202.2.205])\r\n  by compute5.internal (LMTPProxy); {d.stamp}"),
        ("Received", f"from {mx} (localhost [127.0.0.1])\r\n\tby {mx} (Authentication Milter) "
                     f"with ESMTP\r\n\tid {d.seed[:10]}; {d.stamp}"),  # assumed
        ("ARC-Authentication-Results", f"i=1; {main}"),
        ("Authentication-Results", f"{mx};\r\n    x-csa=none;\r\n    x-me-sender=none;\r\n    "
                                   f"x-ptr=pass smtp.helo={host}\r\n      policy.ptr={host}"),
        ("Authentication-Results", f"{mx};\r\n    bimi=none (No BIMI records found)"),
        ("Authentication-Results", f"{mx};\r\n    arc=none (no signatures found)"),
        ("Authentication-Results", main),
        ("Received", f"from {host} ({host} [{ip}])\r\n\t(using TLSv1.3 with cipher "
                     "TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\t(No client certificate requested)\r\n"
                     f"\tby {mx} (Postfix) with ESMTPS\r\n\tfor <{d.rcpt}>; {d.stamp}"),  # assumed
    ]  # fmt: skip


def fastmail_forged(d: Delivery) -> Fields:
    return [_forged_ar("mx6.messagingengine.com", d), _forged_ar("mx.google.com", d)]


# -- Posteo -------------------------------------------------------------------------------------


def posteo_top(d: Delivery) -> Fields:
    host, ip = d.client
    signed = ([("Authentication-Results", f"posteo.de;\r\n\t{d.dkim('opendkim')};\r\n\tdkim-atps=neutral")]
              if d.signed else [])  # fmt: skip
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Delivered-To", d.rcpt),
        ("Received", f"from proxy02.posteo.de ([127.0.0.1])\r\n\tby dovecot03.posteo.local "
                     f"(Dovecot) with LMTP id {d.seed[:16]}\r\n\tfor <{d.rcpt}>; {d.stamp}"),  # assumed
        ("X-Spam-Flag", "NO"),
        ("Authentication-Results", f"posteo.de; dmarc={d.dmarc} (p=reject dis=none) header.from={d.domain}"),
        ("Authentication-Results", f"posteo.de; spf={d.spf} smtp.mailfrom={d.domain}"),
        *signed,
        ("Received", f"from {host} ({host} [{ip}])\r\n\tby mx04.posteo.de (Postfix) with ESMTPS "
                     f"id 4Zh3Lk{d.seed[:6]}\r\n\tfor <{d.rcpt}>; {d.stamp}"),  # assumed
    ]  # fmt: skip


def posteo_forged(d: Delivery) -> Fields:
    return [_forged_ar("posteo.de", d), _forged_ar("mx.google.com", d)]


# -- mailbox.org --------------------------------------------------------------------------------


def mailboxorg_top(d: Delivery) -> Fields:
    host, ip = d.client
    signed = ([("Authentication-Results", "spamfilter06.heinlein-hosting.de (amavisd-new);\r\n\t"
                f"{d.dkim('opendkim')}")] if d.signed else [])  # fmt: skip
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Delivered-To", d.rcpt),
        ("Received", "from dovecot-mailstore-smtp.mailbox.org ([10.88.4.11])\r\n\tby "
                     f"dovecot-mailstore-1.mailbox.org with LMTPS id {d.seed[:16]}; {d.stamp}"),
        ("Received", "from mx2.mailbox.org ([10.88.4.3])\r\n\tby dovecot-mailstore-smtp.mailbox.org "
                     f"with LMTPS id {d.seed[16:32]}; {d.stamp}"),
        *signed,
        ("X-Spam-Status", "No, score=-0.1 tagged_above=-999.9 required=5"),
        ("Received", f"from {host} ({host} [{ip}])\r\n\t(using TLSv1.3 with cipher "
                     "TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\t(No client certificate requested)"
                     f"\r\n\tby mx2.mailbox.org (Postfix) with ESMTPS id 4Xb{d.seed[:8]}\r\n\tfor "
                     f"<{d.rcpt}>; {d.stamp}"),
    ]  # fmt: skip


def mailboxorg_forged(d: Delivery) -> Fields:
    return [_forged_ar("spamfilter06.heinlein-hosting.de", d), _forged_ar("mailbox.org", d)]


# -- Zoho ---------------------------------------------------------------------------------------


def zoho_top(d: Delivery) -> Fields:
    host, ip = d.client
    dkim = d.dkim_result  # Zoho names no domain: its dmarc result decides
    results = (f"mx.zohomail.eu;\r\n\tdkim={dkim};\r\n\tspf={d.spf} (zohomail.eu: domain of "
               f"{d.domain} designates {ip} as permitted sender)  smtp.mailfrom={d.sender};\r\n\t"
               f"dmarc={d.dmarc}(p=reject dis=none)  header.from={d.domain}")  # fmt: skip
    return [
        ("Delivered-To", d.rcpt),
        ("Authentication-Results", results),
        ("ARC-Authentication-Results", f"i=1; {results}"),
        ("Received", f"from {host} ({host} [{ip}]) by mx.zohomail.eu\r\n\twith SMTPS id "
                     f"{d.seed[:20]}; {d.stamp}"),  # assumed
    ]  # fmt: skip


def zoho_forged(d: Delivery) -> Fields:
    return [_forged_ar("mx.zohomail.eu", d), _forged_ar("mx.google.com", d)]


# -- Wirtualna Polska ---------------------------------------------------------------------------


def wp_top(d: Delivery) -> Fields:
    host, ip = d.client
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Received", f"(wp-smtpd mx.wp.pl 27013 invoked from network); {d.stamp}"),
        ("Received", f"from {host} (HELO {host}) ({ip})\r\n          by mx.wp.pl (WP-SMTPD) with "
                     "ECDHE-RSA-AES256-GCM-SHA384 encrypted SMTP\r\n          for "
                     f"<{d.rcpt}>; {d.stamp}"),  # assumed (mx instead of smtp: inbound)
    ]  # fmt: skip


def wp_bottom(d: Delivery) -> Fields:
    status = {"pass": f"good (id: {d.signer})", "fail": f"bad (id: {d.signer})"}.get(
        d.dkim_result, "none"
    )
    return [
        ("X-WP-DKIM-Status", f"{status}                                      "),
        ("X-WP-MailID", d.seed[:32]),
        ("X-WP-AV", "skaner antywirusowy Poczty Wirtualnej Polski"),
        ("X-WP-SPAM", "NO 000000A [4UM0]                               "),
    ]


def wp_forged(d: Delivery) -> Fields:
    return [("X-WP-DKIM-Status", f"good (id: {d.domain})"), _forged_ar("mx.google.com", d)]


# -- no verdict known: Orange, Libero --------------------------------------------------------------


def _assumed(by: str, authserv_id: str) -> Callable[[Delivery], Fields]:
    """No inbound sample is public: a plain layout, whose verdict must never be trusted."""

    def top(d: Delivery) -> Fields:
        host, ip = d.client
        return [
            ("Return-Path", f"<{d.sender}>"),
            ("Received", f"from {host} ([{ip}])\r\n\tby {by} with ESMTPS id {d.seed[:12]}\r\n\t"
                         f"for <{d.rcpt}>; {d.stamp}"),
            ("Authentication-Results", f"{authserv_id}; {d.dkim()}; spf={d.spf} "
                                       f"smtp.mailfrom={d.domain}; dmarc={d.dmarc} header.from={d.domain}"),
        ]  # fmt: skip

    return top


# -- self-hosted ----------------------------------------------------------------------------------


def postfix_top(d: Delivery) -> Fields:
    """docker-mailserver: OpenDKIM, OpenDMARC (quoting its id) and policyd-spf, each a header."""
    host, ip = d.client
    signed = ([("Authentication-Results", f"mail.example.org;\r\n\t{d.dkim('opendkim')};\r\n\t"
                "dkim-atps=neutral")] if d.signed else [])  # fmt: skip
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Delivered-To", d.rcpt),
        ("Received", "from mail.example.org\r\n\tby mail.example.org with LMTP\r\n\tid "
                     f"{d.seed[:22]}\r\n\t(envelope-from <{d.sender}>)\r\n\tfor <{d.rcpt}>; {d.stamp}"),
        *signed,
        ("Authentication-Results", f"'mail.example.org'; dmarc={d.dmarc} (p=reject dis=none) "
                                   f"header.from={d.domain}"),
        ("Authentication-Results", f"mail.example.org; spf={d.spf} smtp.mailfrom={d.sender}"),
        ("Received", f"from {host} ({host} [{ip}])\r\n\t(using TLSv1.3 with cipher "
                     "TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n\t(No client certificate requested)"
                     f"\r\n\tby mail.example.org (Postfix) with ESMTPS id 4Zk{d.seed[:8]}\r\n\tfor "
                     f"<{d.rcpt}>; {d.stamp}"),
    ]  # fmt: skip


def rspamd_top(d: Delivery) -> Fields:
    host, ip = d.client
    return [
        ("Return-Path", f"<{d.sender}>"),
        ("Delivered-To", d.rcpt),
        ("Received", f"from mx.example.net\r\n\tby mx.example.net with LMTP id {d.seed[:22]}\r\n\t"
                     f"for <{d.rcpt}>; {d.stamp}"),
        ("Authentication-Results", f"mx.example.net;\r\n\t{d.dkim()};\r\n\tspf={d.spf} "
                                   f"(mx.example.net: domain of {d.sender} designates {ip} as "
                                   f"permitted sender) smtp.mailfrom={d.sender};\r\n\tdmarc={d.dmarc}"
                                   f" (policy=reject) header.from={d.domain}"),
        ("Received", f"from {host} ({host} [{ip}])\r\n\tby mx.example.net (Postfix) with ESMTPS id "
                     f"{d.seed[:10]}\r\n\tfor <{d.rcpt}>; {d.stamp}"),
    ]  # fmt: skip


DELTACHAT = "deltachat/deltachat-core-rust test-data/message/dkimchecks-2022-09-28"
LAYOUTS = {
    "gmail": Layout("gmail", f"{DELTACHAT}/alice@gmail.com/*; order: celorodovalho/phpdfbot PR #1",
                    gmail_top, rcpt_domain="gmail.com"),
    "outlook": Layout("outlook", f"{DELTACHAT}/alice@hotmail.com/*; MicrosoftDocs "
                      "anti-spam-message-headers.md; RealRaven2000/FiltaQuilla #243", outlook_top,
                      forged=outlook_forged, rcpt_domain="outlook.com"),
    "yahoo": Layout("yahoo", f"{DELTACHAT}/alice@yahoo.com/*, alice@aol.com/*", yahoo_top,
                    forged=yahoo_forged, rcpt_domain="yahoo.com"),
    "icloud": Layout("icloud", f"{DELTACHAT}/alice@icloud.com/* (Received line assumed)",
                     icloud_top, forged=icloud_forged, rcpt_domain="icloud.com"),
    "gmx": Layout("gmx", "djcb/mu lib/tests/bench-indexer.cc; deltachat attached-eml.eml, "
                  f"{DELTACHAT}/alice@gmx.de/*", _united_internet("gmx.net", "mx-ha.gmx.net", "mxgmx114"),
                  forged=united_forged("gmx.net"), rcpt_domain="gmx.de"),
    "webde": Layout("webde", "GMX's layout (United Internet); id web.de assumed",
                    _united_internet("web.de", "mx-ha.web.de", "mxweb112"),
                    forged=united_forged("web.de"), rcpt_domain="web.de"),
    "t-online": Layout("t-online", "chrpospiech/fix_local_mail tests/data/file_db_data/57/152657_r0",
                       tonline_top, tonline_bottom, tonline_forged, rcpt_domain="t-online.de"),
    "proton": Layout("proton", "ProtonMail/proton-bridge #321; ProtonMail/WebClients #333",
                     proton_top, forged=proton_forged, rcpt_domain="proton.me"),
    "fastmail": Layout("fastmail", f"{DELTACHAT}/alice@fastmail.com/* (Received lines assumed)",
                       fastmail_top, forged=fastmail_forged, rcpt_domain="fastmail.com"),
    "posteo": Layout("posteo", f"{DELTACHAT}/alice@posteo.de/* (Received lines assumed)",
                     posteo_top, forged=posteo_forged, rcpt_domain="posteo.de"),
    "mailbox.org": Layout("mailbox.org", "ProtonMail/proton-bridge #321 (2024 comment)",
                          mailboxorg_top, forged=mailboxorg_forged, rcpt_domain="mailbox.org"),
    "zoho": Layout("zoho", f"{DELTACHAT}/alice@zohomail.eu/* (Received line assumed)", zoho_top,
                   forged=zoho_forged, rcpt_domain="zohomail.eu"),
    "wp": Layout("wp", "wp.pl mail in the kernel mailing-list archives (Received line assumed)",
                 wp_top, wp_bottom, wp_forged, rcpt_domain="wp.pl"),
    "orange": Layout("orange", "no public inbound sample: assumed", _assumed("smtp-in.orange.fr",
                     "orange.fr"), forged=lambda d: [_forged_ar("orange.fr", d)], rcpt_domain="orange.fr"),
    "libero": Layout("libero", "no public inbound sample: assumed", _assumed("smtp-in.libero.it",
                     "libero.it"), forged=lambda d: [_forged_ar("libero.it", d)], rcpt_domain="libero.it"),
    "self-hosted": Layout("self-hosted", f"{DELTACHAT}/alice@nauta.cu/*; docker-mailserver #2333",
                          postfix_top, forged=lambda d: [_forged_ar("mail.example.org", d)],
                          rcpt_domain="example.org", trusted_ids=("mail.example.org",)),
    "self-hosted-rspamd": Layout("self-hosted", "anonaddy/anonaddy #606; rspamd mail in the kernel "
                                 "archives", rspamd_top, forged=lambda d: [_forged_ar("mx.example.net", d)],
                                 rcpt_domain="example.net", trusted_ids=("mx.example.net",)),
}  # fmt: skip


def build(
    layout: Layout,
    d: Delivery,
    sender_headers: Fields,
    body_headers: Fields,
    body: bytes,
    forged: str | None = None,
) -> bytes:
    """A whole mail: provider top block, sender's headers, body headers, provider bottom block.

    ``forged``: where the spoofer puts its forged headers among its own: "first" (right under
    the provider's top block), "last" (after its own, above the body headers) or "bottom" (as
    the very last lines, right above what a provider appends).
    """
    fake = layout.forged(d) if forged else []
    relay = (
        [("Received", f"from {SPOOF_HOST} (unknown [{SPOOF_IP}]) by {SPOOF_HOST}")]
        if forged
        else []
    )
    place = {"first": (fake, [], []), "last": ([], fake, []), "bottom": ([], [], fake)}
    before, after, end = place.get(forged or "", ([], [], []))
    sender = [*relay, *before, *sender_headers, *after]
    head = [*layout.top(d), *sender, *body_headers, *end, *layout.bottom(d)]
    return ("\r\n".join(f"{k}: {v}" for k, v in head) + "\r\n\r\n").encode() + body


def dkim_signature(d: Delivery) -> tuple[str, str]:
    """Meta's DKIM-Signature header as the sender writes it (a spoofer's does not verify)."""
    import base64

    return ("DKIM-Signature", f"v=1; a=rsa-sha256; c=relaxed/simple; d={d.signer};\r\n\t"
            f"s=s1024-2013-q3; t={int(d.date.timestamp())}; bh="
            f"{base64.b64encode(bytes.fromhex(d.seed)).decode()};\r\n\t"
            "h=Date:To:Subject:Message-ID:From:MIME-Version:Content-Type;\r\n\t"
            f"b={base64.b64encode(bytes.fromhex(d.seed * 2)).decode()[:86]}")  # fmt: skip


def seed(text: str) -> str:
    """A stable pseudo-random hex string for ids in headers."""
    return hashlib.sha256(text.encode()).hexdigest()
