"""Wording: the clause operator, lexicons, structure before wording and the fail-safe kind.

The texts here are written for these tests; the paraphrase suite (tests/paraphrase/) measures how
the packs generalise to texts written by others.
"""

from __future__ import annotations

import pytest

from metawatch import parsing
from metawatch.classify import Classifier
from metawatch.errors import RulesError
from metawatch.models import Classification, Kind
from metawatch.rules import _groups, fold, sentences

from .conftest import make_mail


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def classify(c: Classifier, body: str, **kw: object) -> Classification:
    return c.classify(parsing.parse(make_mail(body, **kw)))  # type: ignore[arg-type]


def _group(*phrases: str, lexicon: dict[str, list[str]] | None = None):  # type: ignore[no-untyped-def]
    return _groups("t.toml", {"lexicon": lexicon or {}, "text": {"g": list(phrases)}})[0]


LEX = {"grant": ["honou?r*", "grant*", "stattgeb*", "statt"], "neg": ["not", "cannot", "no longer"],
       "obj": ["objection*", "widerspruch*"]}  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Your objection has been granted.",
        "We have decided to honour the objection you sent us on 3 May about AI at Meta.",
        "Deinem Widerspruch geben wir statt.",
        "Wir geben deinem am 3. Mai eingereichten Widerspruch gegen die Nutzung statt.",
    ],
)
def test_clause_terms_match_in_any_order_and_distance(text: str) -> None:
    assert _group("s: @grant + @obj + !@neg ~ @grant", lexicon=LEX).find(fold(text))


@pytest.mark.parametrize(
    "text",
    [
        "We cannot honour your objection.",
        "Your objection was received. We will honour requests that meet the criteria.",
        "We are not able to grant your objection.",
    ],
)
def test_clause_terms_do_not_cross_sentences_and_negation_is_scoped(text: str) -> None:
    assert not _group("s: @grant + @obj + !@neg ~ @grant", lexicon=LEX).find(fold(text))


def test_a_negation_in_another_clause_of_the_sentence_does_not_veto() -> None:
    text = "We've granted your objection, and your posts will not be used for AI."
    assert _group("s: @grant + @obj + !@neg ~ @grant", lexicon=LEX).find(fold(text))


def test_word_sequence_choices_and_multi_word_lexicon_entries() -> None:
    group = _group("s: {accounts center|accounts centre} + @neg", lexicon=LEX)
    assert group.find(fold("Accounts Centre: we will no longer use it"))
    assert not group.find(fold("Accounts Centre: we will use it"))


def test_a_lexicon_entry_with_a_gap_or_an_unknown_reference_is_refused() -> None:
    with pytest.raises(RulesError, match="entries are words"):
        _group("@x", lexicon={"x": ["a .. b"]})
    with pytest.raises(RulesError, match="no lexicon entry @missing"):
        _group("@missing")


def test_sentences_end_at_punctuation_and_paragraphs() -> None:
    assert sentences("one. two!\n\nthree; four") == ("one.", "two!", "three;", "four")


def test_a_notice_promising_a_confirmation_with_once_is_never_an_acceptance(
    classifier: Classifier,
) -> None:
    body = (
        "We're updating how we use information for AI at Meta. We'll rely on legitimate interests "
        "to use public posts. You're entitled to object by filling in our form. Once we receive "
        "your objection, we will confirm by email that we will no longer use your public "
        "information to develop generative AI models."
    )
    assert classify(classifier, body).kind is Kind.POLICY_NOTICE


def test_an_accepted_objection_to_research_that_excludes_ai_is_other_meta(
    classifier: Classifier,
) -> None:
    body = (
        "Hi Tom, we've reviewed your objection to the use of your information for academic "
        "research and we will honour it. This objection does not cover the use of your "
        "information for AI at Meta."
    )
    assert classify(classifier, body).kind is Kind.OTHER_META


@pytest.mark.parametrize(
    "body",
    [
        "Hi Tom, we've reviewed your objection to AI at Meta and we're unable to grant it.",
        "Hallo Tom, dein Widerspruch gegen KI bei Meta kann leider nicht bearbeitet werden.",
        "Hi Tom, regarding your objection about AI at Meta: we have closed this request.",
    ],
)
def test_refusals_in_other_words(classifier: Classifier, body: str) -> None:
    assert classify(classifier, body).kind is Kind.OBJECTION_REJECTED


@pytest.mark.parametrize(
    "body",
    [
        "Hi Tom, we've reviewed your objection to AI at Meta and decided to uphold it.",
        "Hallo Tom, deinem Widerspruch gegen die Nutzung für KI bei Meta wurde stattgegeben.",
        "Hallo Tom, wir geben deinem Widerspruch zu KI bei Meta statt.",
    ],
)
def test_acceptances_in_other_words(classifier: Classifier, body: str) -> None:
    assert classify(classifier, body).kind is Kind.OBJECTION_ACCEPTED


def test_an_answer_whose_decision_cannot_be_read_is_never_other_meta(
    classifier: Classifier,
) -> None:
    body = "Hi Tom, we've received your objection about AI at Meta. Reference 12345678."
    result = classify(classifier, body)
    assert (result.kind, result.rule) == (Kind.OBJECTION_ANSWER_UNCLEAR, "answer.unclear")


def test_a_mail_in_an_unread_language_linking_the_objection_form_needs_review(
    classifier: Classifier,
) -> None:
    body = (
        "Ndewo Tom, anyị natara ozi gị banyere Meta AI. "
        "https://www.facebook.com/help/contact/712876720715583"
    )
    result = classify(classifier, body)
    assert (result.kind, result.rule, result.language) == (
        Kind.OBJECTION_ANSWER_UNCLEAR,
        "structure.unread_language",
        "und",
    )


def test_greek_and_cyrillic_fold_to_accentless_lower_case() -> None:
    assert fold("Η ΑΝΤΊΡΡΗΣΉ σας") == "η αντιρρηση σασ"
    assert fold("Възражението ТИ е прието, най-после") == "възражението ти е прието, наи-после"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Γεια σας, λάβαμε το αίτημά σας και θα κάνουμε δεκτή την αντίρρησή σας για την ΤΝ στη "
         "Meta. Αυτό σημαίνει ότι δεν θα χρησιμοποιούμε τις πληροφορίες σας.", "el"),
        ("Здравейте, прегледахме заявката ви и ще уважим възражението ви. Това означава, че няма "
         "да използваме публичната ви информация за ИИ в Meta.", "bg"),
        ("Hej, vi har granskat din begäran och kommer att respektera din invändning mot att din "
         "information används för AI hos Meta. Det betyder att vi inte använder den.", "sv"),
    ],
)  # fmt: skip
def test_the_language_of_each_script_is_detected(
    classifier: Classifier, text: str, language: str
) -> None:
    packs, sure = classifier.rules.detect(fold(text))
    assert (sure, packs[0].language) == (True, language)


def test_detection_that_is_unsure_says_und_and_forces_no_pack(classifier: Classifier) -> None:
    result = classify(classifier, "Ndewo, nke a bụ ozi sitere na Meta banyere akaụntụ gị.")
    assert (result.kind, result.language) == (Kind.OTHER_META, "und")


def test_an_inline_forward_in_swedish_is_read_and_never_passes(classifier: Classifier) -> None:
    body = (
        "Tjena, kolla detta\n\n---------- Vidarebefordrat meddelande ---------\n"
        "Från: Facebook <notification@facebookmail.com>\nÄmne: Din invändning\n"
        "Till: anna@example.org\n\nHej anna,\nvi har granskat din begäran och kommer att "
        "respektera din invändning mot att din information används för AI hos Meta."
    )
    result = classify(classifier, body, sender="anna@example.org")
    assert (result.kind, result.forwarded, result.language, result.handle) == (
        Kind.OBJECTION_ACCEPTED, True, "sv", "anna")  # fmt: skip
    assert result.authenticity.value == "none"
