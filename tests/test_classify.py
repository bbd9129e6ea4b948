"""classify: cues, rules and the hard cases, on mails written here (not the sample corpus)."""

from __future__ import annotations

import pytest

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.models import Authenticity, Classification, Kind, Platform

from .conftest import make_mail

GOOGLE_PASS = (
    "mx.google.com; dkim=pass header.i=@facebookmail.com; dmarc=pass header.from=facebookmail.com"
)
# Gmail's entry line: the provider of a mail file is read from its topmost Received line
BY_GOOGLE = (
    "from mx-out.facebookmail.com (mx-out.facebookmail.com. [69.171.232.1]) by mx.google.com"
)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def classify(c: Classifier, body: str, **kw: object) -> Classification:
    return c.classify(parsing.parse(make_mail(body, **kw)))  # type: ignore[arg-type]


def test_notice_announcing_a_confirmation_is_a_notice(classifier: Classifier) -> None:
    body = (
        "Hi anna, we'll use your public posts for AI at Meta on the basis of legitimate interests. "
        "You can object. If you object, we will send you an email confirming that we won't use your "
        "public information for generative AI models."
    )
    assert classify(classifier, body).kind is Kind.POLICY_NOTICE


def test_confirmation_in_the_indicative_is_an_acceptance(classifier: Classifier) -> None:
    body = (
        "Hi anna, we've reviewed your request and will honor your objection. This means your request "
        "will be applied going forward to AI at Meta."
    )
    headers = {"Received": BY_GOOGLE, "Authentication-Results": GOOGLE_PASS}
    result = classify(classifier, body, headers=headers)
    assert result.kind is Kind.OBJECTION_ACCEPTED
    assert result.authenticity is Authenticity.PASS
    assert {c.group for c in result.cues} >= {"topic", "accept"}


def test_wont_use_alone_is_not_an_acceptance(classifier: Classifier) -> None:
    body = "We won't use your public information for AI at Meta if your objection is honoured."
    assert classify(classifier, body).kind is not Kind.OBJECTION_ACCEPTED


def test_german_notice_with_gender_star_and_soft_hyphens(classifier: Classifier) -> None:
    html = (
        "<p>Wir werden öffentliche Beiträge von Konten, deren Inhaber:innen 18 Jahre oder "
        "älter sind, auf der Grundlage be&shy;rechtigter Interessen für KI bei Meta verwenden. "
        "Du kannst dem wider&shy;sprechen.</p>"
    )
    result = classify(classifier, "", html=html, subject="Info")
    assert (result.kind, result.language) == (Kind.POLICY_NOTICE, "de")


def test_ads_objection_of_2023_is_other_meta(classifier: Classifier) -> None:
    body = (
        "We will honour your objection to the processing of your information for ads on the basis "
        "of legitimate interests."
    )
    assert classify(classifier, body).kind is Kind.OTHER_META


def test_account_suspension_widerspruch_is_other_meta(classifier: Classifier) -> None:
    body = (
        "Hallo Lukas, wir haben deinen Widerspruch leider abgelehnt. Dein Konto bleibt gesperrt. "
        "Dies ist unsere endgültige Entscheidung."
    )
    result = classify(classifier, body)
    assert (result.kind, result.rule) == (Kind.OTHER_META, "lookalike.suspension")


def test_login_code_is_not_a_verification_code(classifier: Classifier) -> None:
    body = "Someone tried to log in. Use code 482913 to confirm it was you."
    assert classify(classifier, body, subject="482913 is your code").kind is Kind.OTHER_META


def test_objection_code_names_the_objection(classifier: Classifier) -> None:
    body = "Enter this code to confirm your objection: 482913. It expires in one hour."
    assert classify(classifier, body, subject="Your code").kind is Kind.VERIFICATION_CODE


def test_a_year_is_not_a_code(classifier: Classifier) -> None:
    body = "Your objection form from 2024 is saved. The code of conduct applies."
    assert classify(classifier, body).kind is not Kind.VERIFICATION_CODE


def test_newsletter_quoting_meta_is_not_meta(classifier: Classifier) -> None:
    body = "Meta writes: 'We will honour your objection' for AI at Meta. Here is how to object."
    result = classify(classifier, body, sender="Newsletter <news@verbraucherzentrale.de>")
    assert result.kind is Kind.NOT_META


def test_inline_forward_is_classified_and_never_passes(classifier: Classifier) -> None:
    body = (
        "FYI\n\n---------- Forwarded message ---------\nFrom: Facebook <notification@facebookmail.com>\n"
        "Subject: Your objection\nTo: <anna@example.org>\n\nWe will honour your objection. This means "
        "that we won't use your public information for AI at Meta."
    )
    result = classify(
        classifier,
        body,
        sender="Anna <anna@example.org>",
        to="mum@example.org",
        headers={
            "Authentication-Results": "mx.google.com; dkim=pass header.d=example.org; dmarc=pass"
        },
    )
    assert (result.kind, result.forwarded) == (Kind.OBJECTION_ACCEPTED, True)
    assert result.authenticity is Authenticity.NONE
    assert result.recipients == ("anna@example.org",)


def test_lookalike_domain_with_confirmation_text_fails(classifier: Classifier) -> None:
    body = "We will honour your objection. This means that we won't use your information for AI at Meta."
    result = classify(classifier, body, sender="Facebook <privacy@faceb00kmail.com>")
    assert result.kind is Kind.OBJECTION_ACCEPTED
    assert result.authenticity is Authenticity.FAIL


def test_platform_follows_the_sender_domain(classifier: Classifier) -> None:
    result = classify(classifier, "hello", sender="Instagram <no-reply@mail.instagram.com>")
    assert (result.kind, result.platform) == (Kind.OTHER_META, Platform.INSTAGRAM)


def test_greeting_names_the_handle(classifier: Classifier) -> None:
    result = classify(
        classifier, "Hi anna_s_fotos,\n\nnew follower", sender="no-reply@mail.instagram.com"
    )
    assert result.handle == "anna_s_fotos"


def test_unsure_language_tries_every_pack(classifier: Classifier) -> None:
    result = classify(classifier, "KI bei Meta: berechtigte Interessen; du kannst widersprechen.")
    assert (result.kind, result.language) == (Kind.POLICY_NOTICE, "de")


def test_objection_link_is_found_by_its_target(classifier: Classifier) -> None:
    html = '<p>AI at Meta, legitimate interests, you can <a href="https://www.facebook.com/help/contact/712876720715583">object</a>.</p>'
    result = classify(classifier, "", html=html)
    assert result.objection_link == "https://www.facebook.com/help/contact/712876720715583"


def test_privacy_promise_without_an_objection_is_not_an_acceptance(classifier: Classifier) -> None:
    body = "Your personal messages stay private: we won't use your private messages to train AI at Meta."
    assert (
        classify(classifier, body, sender="WhatsApp <noreply@whatsapp.com>").kind is Kind.OTHER_META
    )


@pytest.mark.parametrize(
    "body",
    [
        "Hallo Lukas, wir haben deinen Widerspruch erhalten und geben ihm statt. Wir werden deine "
        "Informationen nicht mehr für KI bei Meta verwenden.",
        "Hi, we've received your objection form and we will honour it. Your public information won't "
        "be used to develop AI at Meta.",
        "Bonjour, votre opposition a été acceptée : nous n’utiliserons plus vos informations pour l’IA de Meta.",
        "Je bezwaar is ingewilligd. We gebruiken je openbare informatie niet voor AI bij Meta.",
        "Twój sprzeciw został przyjęty. Nie będziemy wykorzystywać Twoich informacji do AI w Meta.",
        "A tua oposição foi aceite. Não vamos utilizar as tuas informações para a IA na Meta.",
    ],
)
def test_acceptances_in_unseen_wording(classifier: Classifier, body: str) -> None:
    assert classify(classifier, body, subject="Meta").kind is Kind.OBJECTION_ACCEPTED
