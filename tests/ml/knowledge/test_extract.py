"""Entity and relation extraction: the facts a reader would take from a sentence, each
pointing back at the sentence it came from."""

import numpy as np

from ml.knowledge.extract import extract
from ml.knowledge.merge import merge_mentions, normalize_name


def _facts(text: str) -> set[tuple[str, str, str]]:
    return {(f.subject.text, f.predicate, f.object.text) for f in extract([text])[0].relations}


def test_subject_verb_object_with_prepositional_objects():
    # when
    facts = _facts("Marie Curie discovered polonium. Marie Curie was born in Warsaw.")
    # then
    assert ("Marie Curie", "discovered", "polonium") in facts
    assert ("Marie Curie", "was born in", "Warsaw") in facts


def test_copulas_appositions_and_x_of_y_name_the_relation_by_their_noun():
    # when
    copula = _facts("Emma Clarke is the CEO of Quillon Foods.")
    apposition = _facts("Mia Rossi, the founder of Vantor Labs, lives in Porto.")
    inverse = _facts("The capital of France is Paris.")
    # then
    assert copula == {("Emma Clarke", "is the CEO of", "Quillon Foods")}
    assert apposition == {("Mia Rossi", "is the founder of", "Vantor Labs"), ("Mia Rossi", "lives in", "Porto")}
    assert ("Paris", "is the capital of", "France") in inverse


def test_each_relation_keeps_the_sentence_it_was_read_from():
    # given
    text = "Rain fell all day. Noah Keller works at Bluepeak Systems."
    # when
    found = extract([text])[0]
    # then
    [fact] = found.relations
    start, end = found.sentences[fact.sentence_index]
    assert text[start:end] == "Noah Keller works at Bluepeak Systems."
    assert {text[m.start:m.end] for m in found.entities} == {"Noah Keller", "Bluepeak Systems"}


def test_text_without_entities_gives_an_empty_extraction():
    # when
    [found] = extract(["it was quiet and nothing happened."])
    # then
    assert found.entities == [] and found.relations == []


def test_names_normalize_to_one_key_whatever_their_case_accents_articles_and_punctuation():
    assert normalize_name("The Acme Corp.") == normalize_name("acme corp") == "acme corp"
    assert normalize_name("Zoë Ångström's") == "zoe angstrom"


def test_mentions_merge_by_normalized_name_and_by_nearly_equal_embeddings():
    # given two spellings that embed alike, and another entity that does not
    names = ["Acme Corp.", "acme corp", "Acme Corporation", "Lyon"]
    vectors = np.array([[1, 0], [1, 0], [0.99, 0.141], [0, 1]], dtype=np.float32)
    # when
    merged = merge_mentions(names, ["ORG", "ORG", "ORG", "GPE"], embeddings=vectors)
    by_name = merge_mentions(names, ["ORG", "ORG", "ORG", "GPE"])
    # then
    assert [(m.name, m.aliases, m.members) for m in merged] == [
        ("Acme Corp.", ["Acme Corporation", "acme corp"], [0, 1, 2]), ("Lyon", [], [3])]
    assert len(by_name) == 3


def test_merging_in_blocks_joins_spellings_that_fall_in_different_blocks(monkeypatch):
    # given blocks of two names, so "Acme Corporation" is compared with "Acme Corp." across blocks
    monkeypatch.setattr("ml.knowledge.merge.MERGE_BLOCK", 2)
    names = ["Acme Corp.", "Lyon", "Porto", "Acme Corporation", "acme corp"]
    vectors = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.99, 0.141, 0], [1, 0, 0]], dtype=np.float32)
    # when
    merged = merge_mentions(names, ["ORG", "GPE", "GPE", "ORG", "ORG"], embeddings=vectors)
    # then
    assert [(m.name, m.aliases, m.members) for m in merged] == [
        ("Acme Corp.", ["Acme Corporation", "acme corp"], [0, 3, 4]), ("Lyon", [], [1]), ("Porto", [], [2])]
