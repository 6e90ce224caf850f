"""The bundled sentence-embedding model loads offline and places similar texts together."""

from __future__ import annotations

import numpy as np
import pytest

from ml.personality.embeddings import EMBEDDING_DIM, embed


def test_embeddings_are_unit_vectors_and_similar_texts_are_close():
    # given two texts about cats and one about tax law
    vectors = embed(
        ["The cat sleeps on the sofa.", "A kitten naps on the couch.", "Tax law changed in May."]
    )
    # then each is a unit vector and the cat texts are closest
    assert vectors.shape == (3, EMBEDDING_DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_embedding_is_batch_independent():
    # given a text embedded alone and inside a batch with a much longer text
    alone = embed(["Good morning."])[0]
    batched = embed(["Good morning.", "word " * 300])[0]
    # then padding does not change it
    assert np.allclose(alone, batched, atol=1e-5)


def test_no_texts_and_single_string():
    assert embed([]).shape == (0, EMBEDDING_DIM)
    with pytest.raises(TypeError, match="list of texts"):
        embed("hello")
