"""The sample cast and the list of sample mails (used by sample_builder.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from metawatch.providers import registry
from sample_builder import FB_FORM, IG_FORM, Spec
from sample_texts import ACCEPTED, CODE, NOTICE_2024, NOTICE_2025

FB = ("notification@facebookmail.com", "Facebook")
IG = ("no-reply@mail.instagram.com", "Instagram")
SHORT = {"facebook": "fb", "instagram": "ig"}
LAYOUTS = ["alt-qp", "html-b64", "alt-b64", "html-qp", "plain-8bit"]


def d(y: int, m: int, day: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, day, h, mi, tzinfo=UTC)


# language -> (facebook address, facebook greeting, instagram address, instagram handle)
CAST = {
    "de": (
        "Anna Schmidt <anna.schmidt@gmx.de>",
        "Anna",
        "anna.s.fotos+insta@gmail.com",
        "anna_s_fotos",
    ),
    "en": ("Tom Evans <tom.evans@icloud.com>", "Tom", "tom.evans.ie@gmail.com", "tom_evans_ie"),
    "fr": ("Marie Dubois <marie.dubois@orange.fr>", "Marie", "marie.dbs@free.fr", "marie_dbs"),
    "nl": ("Emma Jansen <emma.jansen@ziggo.nl>", "Emma", "emma.jansen@ziggo.nl", "emmajansen_"),
    "it": (
        "Giulia Rossi <giulia.rossi@libero.it>",
        "Giulia",
        "giulia.rossi@libero.it",
        "giuliaross1",
    ),
    "es": (
        "Carlos García <carlos.garcia@gmail.com>",
        "Carlos",
        "carlitos.gz@gmail.com",
        "carlitos_gz",
    ),
    "pl": ("Katarzyna Nowak <katarzyna.nowak@wp.pl>", "Kasia", "kasia.nowak@wp.pl", "kasia.nowak"),
    "pt": ("João Silva <joao.silva@sapo.pt>", "João", "joaosilva.pt@gmail.com", "joaosilva.pt"),
}
LUKAS_FB, LUKAS_IG = "Lukas Weber <lukas.weber@web.de>", "l.weber@posteo.de"


def _addr(to: str) -> str:
    return to.rpartition("<")[2].rstrip(">").strip().lower()


def _verified(auth: str, to: str | None) -> str:
    """A genuine mail passes only where the provider's verdict is known (not Orange, Libero, or
    the providers outside the registry: ziggo.nl, free.fr, sapo.pt)."""
    found = registry().by_domain(_addr(to)) if to else None
    return "none" if auth == "pass" and not (found and found.verdict_known) else auth


def expect(
    kind: str,
    platform: str | None,
    lang: str | None,
    rule: str,
    auth: str,
    to: str | None,
    **more: object,
) -> dict[str, object]:
    e: dict[str, object] = {"kind": kind, "rule": rule, "authenticity": _verified(auth, to)}
    if platform:
        e["platform"] = platform
    if lang:
        e["language"] = lang
    if to:
        e["recipient"] = _addr(to)
    e.update(more)
    return e


def ai_mail(
    kind: str,
    lang: str,
    platform: str,
    file: str,
    date: datetime,
    n: int,
    texts: dict[str, tuple[str, str]],
    rule: str,
    to: str | None = None,
    name: str | None = None,
    sender: tuple[str, str] | None = None,
    **kw: object,
) -> Spec:
    fb_to, fb_name, ig_to, ig_handle = CAST[lang]
    to = to or (fb_to if platform == "facebook" else ig_to)
    name = name or (fb_name if platform == "facebook" else ig_handle)
    subject, body = texts[lang]
    code = str(100000 + (n * 7919) % 899999)
    sender = sender or (FB if platform == "facebook" else IG)
    link = (FB_FORM if platform == "facebook" else IG_FORM) if kind == "policy_notice" else None
    auth = str(kw.pop("auth", "pass"))
    return Spec(
        file=file,
        to=to,
        subject=subject,
        body=body.format(name=name, code=code),
        sender=sender[0],
        sender_name=sender[1],
        date=date,
        link=link,
        link_text=body.rsplit("\n", 1)[-1] if kind == "policy_notice" else "",
        layout=LAYOUTS[n % len(LAYOUTS)],
        auth=auth,
        expect=expect(kind, platform, lang, rule, "pass" if auth == "pass" else auth, to, **kw),
    )


SPECS: list[Spec] = []
n = 0
for lang in CAST:
    for platform in ("facebook", "instagram"):
        n += 1
        SPECS.append(
            ai_mail(
                "policy_notice",
                lang,
                platform,
                f"{lang}-{SHORT[platform]}-notice-2025.eml",
                d(2025, 4, 14 + n % 10, 8 + n % 9),
                n,
                NOTICE_2025,
                "notice.structure",
            )
        )
    n += 1
    plat = "facebook" if lang in ("de", "en", "fr", "es", "pl") else "instagram"
    SPECS.append(
        ai_mail(
            "policy_notice",
            lang,
            plat,
            f"{lang}-{SHORT[plat]}-notice-2024.eml",
            d(2024, 5, 22 + n % 8, 7 + n % 11),
            n,
            NOTICE_2024,
            "notice.structure",
        )
    )

# Confirmations (genuine, authenticated), one per language, on the account that objected.
ACCEPT_ON = {
    "de": "facebook",
    "en": "facebook",
    "fr": "facebook",
    "nl": "instagram",
    "it": "facebook",
    "es": "facebook",
    "pl": "facebook",
}
for lang, plat in ACCEPT_ON.items():
    n += 1
    SPECS.append(
        ai_mail(
            "objection_accepted",
            lang,
            plat,
            f"{lang}-{SHORT[plat]}-accepted.eml",
            d(2025, 4, 28, 11 + n % 8, 5),
            n,
            ACCEPTED,
            "decision.accepted",
        )
    )

# Portuguese confirmation exported from a web mailer: no Authentication-Results at all.
SPECS.append(
    ai_mail(
        "objection_accepted",
        "pt",
        "instagram",
        "pt-ig-accepted-no-headers.eml",
        d(2025, 5, 2, 19, 40),
        61,
        ACCEPTED,
        "decision.accepted",
        auth="none",
    )
)
# Lukas (de): 2024 code, 2024 acceptance, 2025 notice on Facebook; Instagram notice + a spoofed "acceptance".
SPECS += [
    ai_mail(
        "verification_code",
        "de",
        "facebook",
        "de-fb-code-2024.eml",
        d(2024, 6, 3, 20, 1),
        71,
        CODE,
        "code.objection",
        to=LUKAS_FB,
        name="Lukas",
        sender=("security@facebookmail.com", "Facebook"),
    ),
    ai_mail(
        "objection_accepted",
        "de",
        "facebook",
        "de-fb-accepted-2024.eml",
        d(2024, 6, 3, 20, 14),
        72,
        ACCEPTED,
        "decision.accepted",
        to=LUKAS_FB,
        name="Lukas",
    ),
    ai_mail(
        "policy_notice",
        "de",
        "facebook",
        "de-fb-notice-2025-lukas.eml",
        d(2025, 4, 16, 7, 30),
        73,
        NOTICE_2025,
        "notice.structure",
        to=LUKAS_FB,
        name="Lukas",
    ),
    ai_mail(
        "policy_notice",
        "de",
        "instagram",
        "de-ig-notice-2025-lukas.eml",
        d(2025, 4, 16, 7, 31),
        74,
        NOTICE_2025,
        "notice.structure",
        to=LUKAS_IG,
        name="lukas_klettert",
    ),
    ai_mail(
        "objection_accepted",
        "de",
        "instagram",
        "attack-de-ig-spoofed-accepted.eml",
        d(2025, 4, 20, 3, 12),
        75,
        ACCEPTED,
        "decision.accepted",
        to=LUKAS_IG,
        name="lukas_klettert",
        auth="fail-forged",
    ),
]
SPECS[-1].expect["authenticity"] = "fail"
# Codes of the 2024 flow in other languages.
for i, (lang, plat) in enumerate(
    [
        ("en", "instagram"),
        ("it", "instagram"),
        ("es", "facebook"),
        ("fr", "instagram"),
        ("pt", "facebook"),
    ]
):
    sender = (
        ("security@facebookmail.com", "Facebook")
        if plat == "facebook"
        else ("security@mail.instagram.com", "Instagram")
    )
    SPECS.append(
        ai_mail(
            "verification_code",
            lang,
            plat,
            f"{lang}-{SHORT[plat]}-code-2024.eml",
            d(2024, 6, 5 + i, 18, 30),
            80 + i,
            CODE,
            "code.objection",
            sender=sender,
        )
    )


def spec(
    file: str,
    to: str,
    subject: str,
    body: str,
    sender: tuple[str, str],
    date: datetime,
    exp: dict[str, object],
    layout: str = "alt-qp",
    auth: str = "pass",
    link: str | None = None,
    link_text: str = "",
    extra: list[tuple[str, str]] | None = None,
) -> Spec:
    return Spec(
        file=file,
        to=to,
        subject=subject,
        body=body,
        sender=sender[0],
        sender_name=sender[1],
        date=date,
        layout=layout,
        auth=auth,
        link=link,
        link_text=link_text,
        extra_headers=extra or [],
        expect=exp,
    )


TOM_FB, TOM_IG = CAST["en"][0], CAST["en"][2]
ANNA_FB, ANNA_IG = CAST["de"][0], CAST["de"][2]
CASE = ("case+2a9f81c3@support.facebook.com", "Facebook")
WA = ("noreply@support.whatsapp.com", "WhatsApp")

# -- rejections and requests for more information ---------------------------------------------------
SPECS += [
    spec(
        "en-fb-rejected-thirdparty.eml",
        TOM_FB,
        "Your request about AI at Meta #1184520367",
        "Hi Tom,\n\nThanks for contacting us about information used for AI at Meta. We don't "
        "automatically fulfil requests sent using this form. We review them consistent with your local "
        "laws.\n\nWe have reviewed your request. Based on the information you provided, we cannot take "
        "further action on your objection at this time. To address a request like this, we need "
        "information about whether AI at Meta's models have knowledge of you.\n\nThe Privacy Operations "
        "Team",
        ("case+7715f0ab@support.facebook.com", "Facebook"),
        d(2024, 6, 20, 15),
        expect("objection_rejected", "facebook", "en", "decision.rejected", "pass", TOM_FB),
    ),
    spec(
        "en-wa-more-info.eml",
        "Tom Evans <tom.evans@icloud.com>",
        "Your WhatsApp privacy request",
        "Hello,\n\nThank you for your request. Please provide the following information so we can process "
        "your request:\n\n- What information processing you are objecting to\n- The reasons for your "
        "objection\n\nPlease note that your objection to the use of data for AI training relates to Meta "
        "AI and generative AI models at Meta, not WhatsApp messages.\n\nWhatsApp Support",
        WA,
        d(2025, 5, 6, 9),
        expect(
            "objection_rejected",
            "whatsapp",
            "en",
            "decision.rejected",
            "pass",
            "tom.evans@icloud.com",
        ),
    ),
    spec(
        "pl-ig-rejected.eml",
        CAST["pl"][2],
        "Twoje zgłoszenie dotyczące AI w Meta",
        "Cześć kasia.nowak,\n\ndziękujemy za Twoje zgłoszenie dotyczące wykorzystywania informacji do "
        "ulepszania AI w Meta. Niestety nie możemy przetworzyć Twojego sprzeciwu, ponieważ potrzebujemy "
        "więcej informacji, aby zidentyfikować Twoje konto.\n\nZespół ds. prywatności",
        ("no-reply@mail.instagram.com", "Instagram"),
        d(2024, 6, 12, 13),
        expect("objection_rejected", "instagram", "pl", "decision.rejected", "pass", CAST["pl"][2]),
    ),
    spec(
        "de-fb-rejected-more-info.eml",
        "Anna Schmidt <anna.schmidt@gmx.de>",
        "Deine Anfrage zu KI bei Meta #2277410931",
        "Hallo Anna,\n\nvielen Dank für deine Anfrage zur Verwendung deiner Informationen für KI bei Meta. "
        "Leider können wir deinen Widerspruch derzeit nicht bearbeiten. Wir benötigen weitere "
        "Informationen, um dein Konto zu identifizieren.\n\nDein Datenschutz-Team",
        CASE,
        d(2024, 6, 2, 9, 30),
        expect(
            "objection_rejected",
            "facebook",
            "de",
            "decision.rejected",
            "pass",
            "anna.schmidt@gmx.de",
        ),
    ),
]

# -- other Meta mails: look-alikes that must not count ------------------------------------------------
SEC = ("security@facebookmail.com", "Facebook")
IGSEC = ("security@mail.instagram.com", "Instagram")
SPECS += [
    spec(
        "en-fb-login-alert.eml",
        TOM_FB,
        "Login alert for Chrome on Windows",
        "Hi Tom,\n\nWe noticed a new login to your Facebook account from a new device.\n\nChrome on "
        "Windows · Dublin, Ireland\n\nIf this was you, you don't need to do anything. If not, we'll help "
        "you secure your account: reset your password.",
        SEC,
        d(2025, 3, 2, 21),
        expect("other_meta", "facebook", "en", "meta.other", "pass", TOM_FB),
    ),
    spec(
        "en-ig-login-code.eml",
        TOM_IG,
        "391046 is your Instagram code",
        "Hi tom_evans_ie,\n\nSomeone tried to log in to your Instagram account. If this was you, please "
        "use the following code to confirm your identity:\n\n391046\n\nIf this wasn't you, please reset "
        "your password.",
        IGSEC,
        d(2025, 2, 11, 7),
        expect("other_meta", "instagram", "en", "meta.other", "pass", TOM_IG),
    ),
    spec(
        "de-ig-security-code.eml",
        ANNA_IG,
        "Dein Instagram-Code",
        "Hallo anna_s_fotos,\n\njemand versucht, sich bei deinem Instagram-Konto anzumelden. Dein "
        "Sicherheitscode lautet:\n\n604217\n\nWenn du das nicht warst, ändere dein Passwort.",
        IGSEC,
        d(2025, 1, 9, 12),
        expect("other_meta", "instagram", "de", "meta.other", "pass", ANNA_IG),
    ),
    spec(
        "en-ig-password-reset.eml",
        TOM_IG,
        "We've made it easy to get back on Instagram",
        "Hi tom_evans_ie,\n\nSorry to hear you're having trouble logging into Instagram. We got a message "
        "that you forgot your password. If this was you, you can get right back into your account or "
        "reset your password now.",
        IGSEC,
        d(2024, 11, 3, 8),
        expect("other_meta", "instagram", "en", "meta.other", "pass", TOM_IG),
    ),
    spec(
        "de-ig-terms-update.eml",
        ANNA_IG,
        "Wir haben unsere Nutzungsbedingungen aktualisiert",
        "Hallo anna_s_fotos,\n\nwir haben unsere Nutzungsbedingungen aktualisiert, damit sie leichter "
        "verständlich sind und widerspiegeln, wie Instagram funktioniert. Die aktualisierten Bedingungen "
        "treten am 26. Juli 2024 in Kraft. Wenn du Instagram danach weiter nutzt, stimmst du den "
        "aktualisierten Bedingungen zu.",
        IG,
        d(2024, 6, 26, 6),
        expect("other_meta", "instagram", "de", "meta.other", "pass", ANNA_IG),
    ),
    spec(
        "en-fb-ads-objection-2023.eml",
        TOM_FB,
        "Your objection to ads processing",
        "Hi Tom,\n\nWe've reviewed your objection to the processing of your information for ads on the "
        "basis of legitimate interests. We will honour your objection. This means that we won't use "
        "your activity on Facebook to show you personalised ads based on legitimate interests.\n\nYou can "
        "review your ad preferences at any time.",
        FB,
        d(2023, 4, 20, 10),
        expect("other_meta", "facebook", "en", "lookalike.other_purpose_only", "pass", TOM_FB),
    ),
    spec(
        "it-fb-ads-choice.eml",
        CAST["it"][0],
        "Scegli come visualizzare le inserzioni",
        "Ciao Giulia,\n\ncome previsto dalle leggi nella tua area geografica, ti offriamo la possibilità di "
        "scegliere come visualizzare le inserzioni: puoi continuare a usare i nostri prodotti "
        "gratuitamente con inserzioni personalizzate, oppure abbonarti per usarli senza inserzioni.",
        FB,
        d(2023, 11, 2, 9),
        expect("other_meta", "facebook", "it", "meta.other", "pass", CAST["it"][0]),
    ),
    spec(
        "en-fb-personalize-2025.eml",
        TOM_FB,
        "Learn how Meta will use your info in new ways to personalize your experience",
        "Hi Tom,\n\nWe'll start using your interactions with AIs to personalize your experience and the "
        "ads you see, starting December 16, 2025. For example, if you chat with Meta AI about hiking, you "
        "may see recommendations for hiking groups.\n\nLearn more in our Privacy Policy.",
        FB,
        d(2025, 10, 8, 16),
        expect("other_meta", "facebook", "en", "lookalike.personalize", "pass", TOM_FB),
    ),
    spec(
        "en-fb-digest-goodbye-meta-ai.eml",
        TOM_FB,
        "Sarah Miller and 3 others posted updates",
        'Hi Tom,\n\nSee what your friends have been up to.\n\nSarah Miller shared a post:\n"Goodbye, Meta '
        "AI. Please note that an attorney has advised us to put this on; failure to do so may result in "
        "legal consequences. I do not give Meta or anyone else permission to use any of my personal data, "
        'profile information or photos."\n\n12 comments · 40 reactions',
        ("friendupdates@facebookmail.com", "Facebook"),
        d(2024, 9, 24, 18),
        expect("other_meta", "facebook", "en", "lookalike.hoax", "pass", TOM_FB),
    ),
    spec(
        "de-fb-suspension-appeal.eml",
        LUKAS_FB,
        "Dein Konto wurde gesperrt",
        "Hallo Lukas,\n\nwir haben deinen Widerspruch geprüft. Wir sind zu dem Schluss gekommen, dass du "
        "zur Nutzung von Facebook nicht berechtigt bist. Dein Konto bleibt gesperrt.\n\nWir hoffen, dass du "
        "für diese endgültige Entscheidung Verständnis hast.",
        ("appeals@support.facebook.com", "Facebook"),
        d(2024, 2, 14, 10),
        expect("other_meta", "facebook", "de", "lookalike.suspension", "pass", LUKAS_FB),
    ),
    spec(
        "en-fb-meta-ai-promo.eml",
        TOM_FB,
        "Try Meta AI in Messenger",
        "Hi Tom,\n\nMeta AI is now in Messenger. Ask it anything, get recommendations and create images "
        "with AI features right in your chats.\n\nTry it now",
        FB,
        d(2025, 3, 21, 12),
        expect("other_meta", "facebook", "en", "meta.other", "pass", TOM_FB),
    ),
    spec(
        "fr-fb-friend-request.eml",
        CAST["fr"][0],
        "Pierre Martin vous a envoyé une invitation",
        "Bonjour Marie,\n\nPierre Martin vous a envoyé une invitation à devenir amis sur Facebook. Vous "
        "avez 4 amis en commun.\n\nConfirmer l'invitation",
        ("notification@facebookmail.com", "Facebook"),
        d(2025, 1, 30, 19),
        expect("other_meta", "facebook", "fr", "meta.other", "pass", CAST["fr"][0]),
    ),
    spec(
        "nl-ig-new-follower.eml",
        CAST["nl"][2],
        "emmajansen_, je hebt een nieuwe volger",
        "Hoi emmajansen_,\n\nlotte.vd.berg is je gaan volgen op Instagram. Bekijk het profiel en volg "
        "terug als je dat wilt.",
        ("no-reply@mail.instagram.com", "Instagram"),
        d(2025, 2, 2, 20),
        expect("other_meta", "instagram", "nl", "meta.other", "pass", CAST["nl"][2]),
    ),
    spec(
        "pl-fb-marketplace.eml",
        CAST["pl"][0],
        "Nowe oferty na Marketplace w pobliżu",
        "Cześć Kasia,\n\nsprawdź nowe oferty na Marketplace w Twojej okolicy: rower miejski, biurko, "
        "lampa. Kliknij, aby zobaczyć więcej ofert.",
        ("marketplace@facebookmail.com", "Facebook"),
        d(2025, 2, 20, 17),
        expect("other_meta", "facebook", "pl", "meta.other", "pass", CAST["pl"][0]),
    ),
    spec(
        "es-fb-protect.eml",
        CAST["es"][0],
        "Activa Facebook Protect",
        "Hola, Carlos:\n\nTu cuenta puede ser objetivo de hackers. Activa Facebook Protect para proteger "
        "tu cuenta con la autenticación en dos pasos.",
        SEC,
        d(2024, 3, 8, 9),
        expect("other_meta", "facebook", "es", "meta.other", "pass", CAST["es"][0]),
    ),
    spec(
        "pt-ig-email-confirm.eml",
        CAST["pt"][2],
        "O teu código de confirmação de e-mail",
        "Olá joaosilva.pt,\n\nConfirma o teu endereço de e-mail para a tua conta do Instagram com este "
        "código:\n\n552019\n\nSe não pediste este código, podes ignorar este e-mail.",
        IGSEC,
        d(2024, 12, 1, 9),
        expect("other_meta", "instagram", "pt", "meta.other", "pass", CAST["pt"][2]),
    ),
]

# -- not from Meta: newsletters quoting Meta, personal mail, phishing ----------------------------------
SPECS += [
    spec(
        "not-meta-vz-newsletter.eml",
        ANNA_FB,
        "Newsletter: So widersprechen Sie dem KI-Training von Meta",
        "Liebe Leserinnen und Leser,\n\nMeta verschickt derzeit E-Mails mit dem Betreff „Erfahre, wie wir "
        "deine Informationen im Zuge der Verbesserung von KI bei Meta verwenden“. Darin heißt es: „Wir "
        "werden diese Informationen auf der Grundlage berechtigter Interessen verwenden … Du kannst der "
        "Verwendung deiner Informationen zu diesen Zwecken widersprechen.“\n\nWar der Widerspruch "
        "erfolgreich, erhält man eine Bestätigungsmail. Bei WhatsApp gibt es keine Widerspruch-Möglichkeit.",
        ("newsletter@verbraucherzentrale.de", "Verbraucherzentrale"),
        d(2025, 4, 22, 7),
        expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "not-meta-noyb-news.eml",
        TOM_FB,
        "noyb sends Meta a cease and desist letter over AI training",
        "Dear supporter,\n\nMeta announced that it will use public posts of EU users for AI at Meta on the "
        'basis of legitimate interests. Users have the right to object. Meta says: "We will honour your '
        'objection" — but only going forward.\n\nSupport our work.',
        ("info@noyb.eu", "noyb"),
        d(2025, 5, 14, 12),
        expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "not-meta-consumentenbond.eml",
        CAST["nl"][0],
        "Digitaalgids: zo maak je bezwaar tegen AI-training",
        "Beste lezer,\n\nMeta gaat AI trainen met onze data. Klik in de mail van Meta op de blauwe link "
        "'bezwaar maken'. Meta honoreert alle bezwaren automatisch. Bewaar de bevestigingsmail goed.",
        ("nieuwsbrief@consumentenbond.nl", "Consumentenbond"),
        d(2025, 4, 25, 8),
        expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "not-meta-personal.eml",
        ANNA_FB,
        "Grillen am Samstag?",
        "Hi Anna,\n\nhast du Samstag Zeit? Wir grillen bei uns im Garten, bring gern Salat mit.\n\nLG Jonas",
        ("jonas.keller@t-online.de", "Jonas Keller"),
        d(2025, 6, 12, 18),
        layout="plain-8bit",
        exp=expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "not-meta-bank.eml",
        CAST["fr"][0],
        "Votre relevé de compte est disponible",
        "Bonjour,\n\nVotre relevé de compte de mai est disponible dans votre espace client.",
        ("noreply@banque-exemple.fr", "Ma Banque"),
        d(2025, 6, 3, 6),
        expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "not-meta-phish-page-unpublished.eml",
        CAST["es"][0],
        "Your page will be unpublished",
        "Your page has violated our community standards. If you do not verify within 24 hours your page "
        "will be unpublished. Verify now.",
        ("xk2vq@mail-relay77.ru", "Facebook Policy"),
        d(2025, 2, 1, 3),
        auth="none",
        exp=expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
]

# -- attacks: look-alike domain, display-name spoof with AI text ---------------------------------------
SPECS += [
    spec(
        "attack-lookalike-domain-accepted.eml",
        CAST["es"][2],
        "Tu solicitud sobre la IA en Meta",
        ACCEPTED["es"][1].format(name="carlitos_gz"),
        ("privacy@facebookmail-support.com", "Instagram"),
        d(2025, 4, 30, 2),
        auth="none",
        exp=expect("objection_accepted", None, "es", "decision.accepted", "fail", CAST["es"][2]),
    ),
    spec(
        "attack-display-name-accepted.eml",
        CAST["it"][2],
        "La tua richiesta relativa all'IA in Meta",
        ACCEPTED["it"][1].format(name="giuliaross1"),
        ("noreply@promo-mailer.example", "Instagram"),
        d(2025, 5, 1, 2),
        auth="none",
        exp=expect(
            "objection_accepted", "instagram", "it", "decision.accepted", "fail", CAST["it"][2]
        ),
    ),
    spec(
        "en-fb-accepted-nodkim.eml",
        "Tom Evans <tom.evans@icloud.com>",
        ACCEPTED["en"][0],
        ACCEPTED["en"][1].format(name="Tom"),
        FB,
        d(2025, 4, 29, 9),
        auth="nodkim",
        exp=expect("objection_accepted", "facebook", "en", "decision.accepted", "none", TOM_FB),
    ),
]

# -- forwards: inline and as attachment ----------------------------------------------------------------
GMAIL_FWD = "---------- Forwarded message ---------"
SPECS += [
    spec(
        "fwd-de-inline-accepted.eml",
        "Lukas Weber <lukas.weber@web.de>",
        "WG: Deine Anfrage zu KI bei Meta",
        "Zur Ablage.\n\n-------- Weitergeleitete Nachricht --------\nBetreff: Deine Anfrage zu KI bei Meta\n"
        "Datum: Mon, 28 Apr 2025 12:05:00 +0000\nVon: Facebook <notification@facebookmail.com>\n"
        "An: Lukas Weber <lukas.weber@web.de>\n\n" + ACCEPTED["de"][1].format(name="Lukas"),
        ("lukas.weber@web.de", "Lukas Weber"),
        d(2025, 4, 28, 12, 30),
        layout="plain-8bit",
        exp=expect(
            "objection_accepted",
            "facebook",
            "de",
            "decision.accepted",
            "none",
            LUKAS_FB,
            forwarded=True,
        ),
    ),
    spec(
        "fwd-en-gmail-notice.eml",
        "Mum <evans.margaret@icloud.com>",
        "Fwd: Learn how we'll use your information as we improve AI at Meta",
        "Mum, this is the one I told you about - you need to object too!\n\n"
        + GMAIL_FWD
        + "\nFrom: "
        "Facebook <notification@facebookmail.com>\nDate: Tue, Apr 15, 2025 at 9:12 AM\nSubject: Learn how "
        "we'll use your information as we improve AI at Meta\nTo: <tom.evans@icloud.com>\n\n"
        + NOTICE_2025["en"][1].format(name="Tom"),
        ("tom.evans@icloud.com", "Tom Evans"),
        d(2025, 4, 15, 19),
        exp=expect(
            "policy_notice",
            "facebook",
            "en",
            "notice.structure",
            "none",
            "tom.evans@icloud.com",
            forwarded=True,
        ),
    ),
    spec(
        "fwd-nl-reply-not-meta.eml",
        CAST["nl"][0],
        "Re: verjaardag",
        "Leuk idee!\n\n---------- Forwarded message ---------\nFrom: Sanne <sanne.devries@ziggo.nl>\n"
        "Subject: verjaardag\n\nZullen we zaterdag taart eten?",
        ("emma.jansen@ziggo.nl", "Emma Jansen"),
        d(2025, 3, 1, 11),
        layout="plain-8bit",
        exp=expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
]


def _attached_forward() -> Spec:
    """A French user forwards the notice as an attachment (message/rfc822) to herself."""
    from sample_builder import build

    inner = ai_mail(
        "policy_notice",
        "fr",
        "facebook",
        "inner.eml",
        d(2025, 4, 17, 8),
        90,
        NOTICE_2025,
        "notice.structure",
    )
    inner_bytes = build(inner)
    outer = (
        (
            "Return-Path: <marie.dubois@orange.fr>\r\nDelivered-To: marie.dubois@orange.fr\r\n"
            "Authentication-Results: orange.fr; dkim=pass header.d=orange.fr; spf=pass smtp.mailfrom=orange.fr\r\n"
            "Date: Thu, 17 Apr 2025 20:14:00 +0200\r\nFrom: Marie Dubois <marie.dubois@orange.fr>\r\n"
            "To: Marie Dubois <marie.dubois@orange.fr>\r\nSubject: =?UTF-8?Q?Tr=3A_D=C3=A9couvrez_comment_nous_utiliserons_vos_informations?=\r\n"
            "Message-ID: <fwd-8c1e2a@orange.fr>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="outer-7f3a"\r\n\r\n'
            "--outer-7f3a\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "À garder : le mail de Meta en pièce jointe.\r\n\r\n"
            '--outer-7f3a\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename="meta.eml"\r\n\r\n'
        ).encode()
        + inner_bytes
        + b"\r\n--outer-7f3a--\r\n"
    )
    return Spec(
        file="fwd-fr-attached-notice.eml",
        to="",
        subject="",
        body="",
        raw=outer,
        expect=expect(
            "policy_notice",
            "facebook",
            "fr",
            "notice.structure",
            "none",
            "marie.dubois@orange.fr",
            forwarded=True,
        ),
    )


SPECS.append(_attached_forward())
SPECS.append(
    Spec(
        file="broken-binary.eml",
        to="",
        subject="",
        body="",
        raw=bytes(range(256)) * 3 + b"\x00\xff\xfe garbage \x89PNG\r\n",
        expect={"kind": "unparseable", "rule": "parse.error", "authenticity": "none"},
    )
)

# -- variants and more look-alikes (wording drift the rules must survive) -------------------------
SPECS += [
    spec(
        "en-ig-accepted-us-honor.eml",
        TOM_IG,
        "We've reviewed your request",
        "Hi tom_evans_ie,\n\nWe've reviewed your request and will honor your objection. This means your "
        "request will be applied going forward.\n\nIf you want to learn more about generative AI, and our "
        "privacy work in this new space, please review the information we have in Privacy Center.",
        IG,
        d(2024, 6, 9, 18, 2),
        expect("objection_accepted", "instagram", "en", "decision.accepted", "pass", TOM_IG),
    ),
    spec(
        "de-ig-notice-2025-nutzerinnen.eml",
        ANNA_IG,
        "Erfahre, wie wir deine Informationen im Zuge der Verbesserung von KI bei Meta verwenden",
        "Hallo anna_s_fotos,\n\nwir möchten dich darüber informieren, dass wir deine Interaktionen mit KI bei "
        "Meta‑Features sowie öffentliche Inhalte von Nutzer:innen, die 18 Jahre oder älter sind, auf der "
        "Grundlage unserer berechtigten Interessen verwenden werden, um generative KI‑Modelle zu verbessern.\n\n"
        "Du hast das Recht, dem zu widersprechen. Falls du widersprichst, bestätigen wir dir per E‑Mail, dass "
        "wir diese Informationen künftig nicht mehr verwenden.",
        IG,
        d(2025, 4, 23, 6),
        expect("policy_notice", "instagram", "de", "notice.structure", "pass", ANNA_IG),
        layout="html-qp",
    ),
    spec(
        "fr-ig-accepted-typo-quotes.eml",
        CAST["fr"][2],
        "Votre opposition concernant l’IA de Meta",
        "Bonjour marie_dbs,\n\nNous avons examiné votre demande et nous allons accepter votre opposition. "
        "Cela signifie que nous n’utiliserons pas vos informations publiques d’Instagram pour le "
        "développement futur des modèles d’IA générative de « l’IA de Meta ».",
        IG,
        d(2025, 4, 24, 21),
        expect("objection_accepted", "instagram", "fr", "decision.accepted", "pass", CAST["fr"][2]),
    ),
    spec(
        "es-ig-notice-2025-meta-sender.eml",
        CAST["es"][2],
        "Descubre cómo usaremos tu información a medida que mejoramos la IA en Meta",
        NOTICE_2025["es"][1].format(name="carlitos_gz")
        + "\n\nInstagram · Meta Platforms Ireland Ltd.",
        ("no-reply@mail.meta.com", "Instagram"),
        d(2025, 4, 18, 12),
        expect("policy_notice", "instagram", "es", "notice.structure", "pass", CAST["es"][2]),
    ),
    spec(
        "es-fb-rejected-more-info.eml",
        CAST["es"][0],
        "Tu solicitud sobre la IA en Meta #4410298",
        "Hola, Carlos:\n\nGracias por tu solicitud relativa al uso de tu información para la IA en Meta. "
        "Lamentablemente, no podemos tramitar tu objeción: necesitamos más información para identificar tu "
        "cuenta.",
        CASE,
        d(2024, 6, 14, 10),
        expect("objection_rejected", "facebook", "es", "decision.rejected", "pass", CAST["es"][0]),
    ),
    spec(
        "it-ig-rejected.eml",
        CAST["it"][2],
        "La tua richiesta relativa all'IA in Meta",
        "Ciao giuliaross1,\n\ngrazie per la tua richiesta di opposizione all'uso delle tue informazioni per "
        "l'IA in Meta. Purtroppo non possiamo elaborarla: abbiamo bisogno di ulteriori informazioni.",
        IG,
        d(2024, 6, 15, 9),
        expect("objection_rejected", "instagram", "it", "decision.rejected", "pass", CAST["it"][2]),
    ),
    spec(
        "nl-fb-code-2024.eml",
        CAST["nl"][0],
        "Je bevestigingscode",
        "Hoi Emma,\n\nGebruik deze code om je bezwaar tegen het gebruik van je informatie voor AI bij Meta te "
        "bevestigen:\n\n730512\n\nDe code verloopt over een uur.",
        SEC,
        d(2024, 6, 4, 20),
        expect("verification_code", "facebook", "nl", "code.objection", "pass", CAST["nl"][0]),
    ),
    spec(
        "pl-fb-code-2024.eml",
        CAST["pl"][0],
        "Twój kod potwierdzający",
        "Cześć Kasia,\n\nużyj tego kodu, aby potwierdzić swój sprzeciw dotyczący AI w Meta:\n\n284613\n\n"
        "Kod wygasa za godzinę.",
        SEC,
        d(2024, 6, 4, 21),
        expect("verification_code", "facebook", "pl", "code.objection", "pass", CAST["pl"][0]),
    ),
    spec(
        "fr-fb-login-alert.eml",
        CAST["fr"][0],
        "Nouvelle connexion à votre compte",
        "Bonjour Marie,\n\nNous avons remarqué une nouvelle connexion à votre compte Facebook depuis un "
        "nouvel appareil. Si ce n’était pas vous, changez votre mot de passe.",
        SEC,
        d(2025, 3, 3, 22),
        expect("other_meta", "facebook", "fr", "meta.other", "pass", CAST["fr"][0]),
    ),
    spec(
        "es-ig-password-reset.eml",
        CAST["es"][2],
        "Restablece tu contraseña",
        "Hola, carlitos_gz:\n\nHemos recibido una solicitud para restablecer tu contraseña de Instagram. "
        "Si no fuiste tú, ignora este correo.",
        IGSEC,
        d(2025, 1, 12, 7),
        expect("other_meta", "instagram", "es", "meta.other", "pass", CAST["es"][2]),
    ),
    spec(
        "it-fb-terms-update.eml",
        CAST["it"][0],
        "Aggiornamento delle nostre Condizioni",
        "Ciao Giulia,\n\nabbiamo aggiornato le nostre Condizioni d'uso e la nostra Informativa sui cookie. "
        "Le modifiche entreranno in vigore il 1° gennaio. Continuando a usare Facebook accetti le "
        "condizioni aggiornate.",
        FB,
        d(2024, 12, 1, 8),
        expect("other_meta", "facebook", "it", "meta.other", "pass", CAST["it"][0]),
    ),
    spec(
        "pl-fb-digest-hoax.eml",
        CAST["pl"][0],
        "Anna Kowalska opublikowała nowy post",
        "Cześć Kasia,\n\nAnna Kowalska udostępniła post:\n„Goodbye Meta AI. I do not give Meta or anyone else "
        "permission to use any of my personal data, profile information or photos.”\n\n8 komentarzy",
        ("notification@facebookmail.com", "Facebook"),
        d(2024, 9, 25, 19),
        expect("other_meta", "facebook", None, "lookalike.hoax", "pass", CAST["pl"][0]),
    ),  # mostly English
    spec(
        "nl-ig-ads-consent.eml",
        CAST["nl"][2],
        "Kies hoe je advertenties wilt zien",
        "Hoi emmajansen_,\n\nZoals vereist door de wetgeving in jouw regio bieden we je de keuze: gebruik "
        "Instagram gratis met gepersonaliseerde advertenties, of neem een abonnement zonder advertenties.",
        IG,
        d(2023, 11, 3, 9),
        expect("other_meta", "instagram", "nl", "meta.other", "pass", CAST["nl"][2]),
    ),
    spec(
        "pt-fb-suspension.eml",
        CAST["pt"][0],
        "A tua conta foi desativada",
        "Olá João,\n\nAnalisámos o teu recurso. A tua conta foi desativada porque não cumpre os nossos "
        "Padrões da Comunidade. Esta decisão é definitiva.",
        ("appeals@support.facebook.com", "Facebook"),
        d(2024, 2, 2, 11),
        expect("other_meta", "facebook", "pt", "lookalike.suspension", "pass", CAST["pt"][0]),
    ),
    spec(
        "de-fb-privacy-policy-2023.eml",
        ANNA_FB,
        "Wir aktualisieren unsere Datenschutzrichtlinie",
        "Hallo Anna,\n\nwir aktualisieren unsere Datenschutzrichtlinie, um besser zu erklären, wie wir deine "
        "Informationen für Werbung verwenden. Für personalisierte Werbung stützen wir uns künftig auf "
        "berechtigte Interessen; du kannst dieser Verarbeitung widersprechen.",
        FB,
        d(2023, 4, 5, 9),
        expect("other_meta", "facebook", "de", "meta.other", "pass", ANNA_FB),
    ),
    spec(
        "en-wa-ai-chats.eml",
        "Tom Evans <tom.evans@icloud.com>",
        "Updates to WhatsApp's Privacy Policy",
        "Hello,\n\nWe're updating our Privacy Policy. Your personal messages stay end-to-end encrypted. If "
        "you chat with Meta AI, those chats may be used to improve AI at Meta.",
        ("noreply@whatsapp.com", "WhatsApp"),
        d(2025, 4, 10, 10),
        expect("other_meta", "whatsapp", "en", "meta.other", "pass", "tom.evans@icloud.com"),
    ),
    spec(
        "not-meta-kurier-article.eml",
        CAST["it"][0],
        "Meta e l'IA: come opporsi",
        "Cari lettori,\n\nMeta scrive agli utenti: «Hai diritto di opporti all'uso delle tue informazioni per "
        "tali finalità». Ecco come fare opposizione all'IA in Meta, passo per passo, prima del 27 maggio.",
        ("newsletter@tg24-esempio.it", "TG Newsletter"),
        d(2025, 5, 20, 7),
        expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "not-meta-forum-digest.eml",
        CAST["pt"][0],
        "Resumo do fórum: Meta IA",
        "Novas respostas no tópico 'Como me opor à IA na Meta?': 'Recebi o e-mail da Meta, cliquei em "
        "opor-me e recebi a confirmação: vamos aceitar a tua oposição'.",
        ("digest@forum-exemplo.pt", "Fórum"),
        d(2025, 5, 1, 8),
        expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "attack-pl-lookalike-notice.eml",
        CAST["pl"][2],
        "Twoje konto zostanie usunięte — potwierdź sprzeciw",
        "Cześć kasia.nowak,\n\nAby zachować konto i zgłosić sprzeciw wobec AI w Meta, zaloguj się w ciągu 24 "
        "godzin.",
        ("security@faceboook-support.com", "Facebook"),
        d(2025, 4, 29, 3),
        auth="none",
        exp=expect("not_meta", None, None, "sender.not_meta", "none", None),
    ),
    spec(
        "attack-en-spoofed-notice-fail.eml",
        TOM_IG,
        NOTICE_2025["en"][0],
        NOTICE_2025["en"][1].format(name="tom_evans_ie"),
        ("no-reply@mail.instagram.com", "Instagram"),
        d(2025, 4, 30, 4),
        auth="fail-forged",
        exp=expect("policy_notice", "instagram", "en", "notice.structure", "fail", TOM_IG),
    ),
    spec(
        "fwd-es-accepted-outlook.eml",
        "Carlos García <carlos.garcia@gmail.com>",
        "RV: Tu solicitud sobre la IA en Meta",
        "Para guardar.\n\n________________________________\nDe: Facebook <notification@facebookmail.com>\n"
        "Enviado: lunes, 28 de abril de 2025 13:05\nPara: carlos.garcia@gmail.com\nAsunto: Tu solicitud sobre "
        "la IA en Meta\n\n---------- Mensaje reenviado ---------\n"
        + ACCEPTED["es"][1].format(name="Carlos"),
        ("carlos.garcia@gmail.com", "Carlos García"),
        d(2025, 4, 28, 14),
        layout="plain-8bit",
        exp=expect(
            "objection_accepted",
            "facebook",
            "es",
            "decision.accepted",
            "none",
            "carlos.garcia@gmail.com",
            forwarded=True,
        ),
    ),
    spec(
        "it-fb-accepted-no-auth.eml",
        CAST["it"][0],
        ACCEPTED["it"][0],
        ACCEPTED["it"][1].format(name="Giulia"),
        FB,
        d(2025, 4, 27, 17),
        auth="none",
        exp=expect(
            "objection_accepted", "facebook", "it", "decision.accepted", "none", CAST["it"][0]
        ),
    ),
    spec(
        "pt-ig-notice-2024-br.eml",
        CAST["pt"][2],
        "Estamos atualizando nossa Política de Privacidade à medida que expandimos a IA na Meta",
        "Olá joaosilva.pt,\n\nVamos expandir as experiências de IA na Meta. Usaremos informações públicas, como "
        "publicações e comentários de contas de pessoas com 18 anos ou mais, com base em interesses "
        "legítimos, para desenvolver e melhorar a IA na Meta. Você tem o direito de se opor. Se você se "
        "opuser, não usaremos mais suas informações públicas.",
        IG,
        d(2024, 9, 3, 12),
        expect("policy_notice", "instagram", "pt", "notice.structure", "pass", CAST["pt"][2]),
    ),
    spec(
        "nl-ig-accepted-2.eml",
        CAST["nl"][2],
        "We honoreren je bezwaar",
        "Hoi emmajansen_,\n\nWe hebben je verzoek bekeken en we honoreren je bezwaar. Dit betekent dat we je "
        "openbare informatie niet gebruiken voor de ontwikkeling van generatieve AI-modellen voor AI bij Meta.",
        IG,
        d(2024, 6, 6, 20),
        expect("objection_accepted", "instagram", "nl", "decision.accepted", "pass", CAST["nl"][2]),
    ),
]
