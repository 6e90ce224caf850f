"""The batch engines behind the language filter and near dedup give the answers of the
libraries they stand in for (py3langid, MinHash Jaccard estimates)."""

from __future__ import annotations

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from ml.data.pipeline.langid import classify_batch
from ml.data.pipeline.minhash import KeyIndex, shingles, signatures
from tests.ml.data.pipeline.factories import english


def test_batch_language_id_agrees_with_py3langid():
    # given texts in several languages and lengths
    texts = [english(i, 5 + i) for i in range(20)] + [
        "Bonjour, je suis très content de vous voir aujourd'hui.",
        "Das ist ein Haus am See.",
        "Esto es una prueba del sistema.",
        "ПРИВЕТ МИР КАК ДЕЛА",
        "这是一个测试",
    ]
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # when they are classified as one batch
    got = classify_batch(texts)
    # then each label and probability is py3langid's
    for text, (language, confidence) in zip(texts, got):
        expected, expected_confidence = identifier.classify(text)
        assert language == expected and abs(confidence - expected_confidence) < 1e-4


def test_minhash_estimates_track_the_true_jaccard():
    # given pairs of texts with a few words changed
    base = [english(i, 150) for i in range(30)]
    edited = [t.replace("river", "lake", 3) for t in base]
    sigs, present = signatures(base + edited, 128, 3)
    # when their signatures are compared
    estimates = (sigs[:30] == sigs[30:]).mean(axis=1)
    truth = np.array(
        [
            len(shingles(a, 3) & shingles(b, 3)) / len(shingles(a, 3) | shingles(b, 3))
            for a, b in zip(base, edited)
        ]
    )
    # then the estimate errs as 128 permutations should (about 0.03 at these similarities)
    assert present.all()
    assert np.abs(estimates - truth).mean() < 0.05


def test_key_index_finds_keys_across_merged_segments():
    # given
    index = KeyIndex()
    for start in range(0, 1000, 100):
        keys = np.arange(start, start + 100, dtype=np.uint64) * np.uint64(7919)
        index.add(keys, np.arange(start, start + 100, dtype=np.uint32))
    # when
    found, values = index.lookup(np.array([0, 7919 * 523, 5], dtype=np.uint64))
    # then
    assert found.tolist() == [True, True, False] and values[:2].tolist() == [0, 523]
    assert len(index) == 1000
