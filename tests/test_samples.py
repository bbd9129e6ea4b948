"""The sample corpus drives the classifier: every mail is checked against the manifest."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from metawatch import parsing
from metawatch.classify import Classifier

from .conftest import SAMPLES

MANIFEST = tomllib.loads((SAMPLES / "manifest.toml").read_text("utf-8"))
FILES = sorted(p.name for p in SAMPLES.glob("*.eml"))


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def test_manifest_and_mails_match_one_to_one() -> None:
    assert sorted(MANIFEST) == FILES


@pytest.mark.parametrize("name", FILES)
def test_sample_is_classified_as_the_manifest_says(name: str, classifier: Classifier) -> None:
    expected = MANIFEST[name]
    mail = parsing.parse((SAMPLES / name).read_bytes())
    result = classifier.classify(mail)
    got = {
        "kind": result.kind.value,
        "rule": result.rule,
        "authenticity": result.authenticity.value,
        "platform": result.platform.value if result.platform else None,
        "language": result.language,
        "recipient": result.recipients[0] if result.recipients else None,
        "forwarded": result.forwarded,
    }
    assert {k: got[k] for k in expected} == expected


def test_corpus_covers_every_kind_and_eight_languages() -> None:
    kinds = {e["kind"] for e in MANIFEST.values()}
    languages = {e.get("language") for e in MANIFEST.values()} - {None}
    assert kinds >= {
        "policy_notice",
        "objection_accepted",
        "objection_rejected",
        "verification_code",
        "other_meta",
        "not_meta",
    }
    assert languages >= {"de", "en", "fr", "nl", "it", "es", "pl", "pt"}
    assert len(FILES) >= 40


def test_samples_keep_their_raw_bytes() -> None:
    attributes = (Path(SAMPLES).parent / ".gitattributes").read_text()
    assert "*.eml -text" in attributes
    assert b"\r\n" in (SAMPLES / "en-fb-notice-2025.eml").read_bytes()


def test_sample_folder_holds_only_mails_and_the_manifest() -> None:
    stray = [p.name for p in SAMPLES.iterdir() if p.suffix != ".eml" and p.name != "manifest.toml"]
    assert stray == []  # e.g. a fuzzer run that was given sample_mails/ as its corpus to write
