"""The writer is a state machine: out-of-order calls raise, and an unfinished file never
appears under its final name."""

import numpy as np
import pytest

from ml.sou import SouWriterStateError, read_sou, write_sou
from ml.sou.writer import SouWriter, TensorSpec, WriterState
from tests.ml.sou.factories import TINY_CONFIG

META = {"architecture": {"arch": "gpt2"}}
SPECS = [TensorSpec("a", "F32", (2, 2)), TensorSpec("b", "F16", (4,))]


def test_full_sequence_moves_through_every_state(tmp_path):
    # given
    writer = SouWriter(tmp_path / "m.sou")
    assert writer.state is WriterState.EMPTY
    # when / then
    writer.write_header(META, SPECS)
    assert writer.state is WriterState.HEADER
    writer.write_tensor("a", np.zeros(4, np.float32))
    assert writer.state is WriterState.TENSORS
    writer.write_tensor("b", np.ones(4, np.float16))
    writer.finish()
    assert writer.state is WriterState.DONE
    with read_sou(tmp_path / "m.sou") as sou:
        assert sou.tensor("b").tolist() == [1.0] * 4


@pytest.mark.parametrize("call", ["tensor_first", "finish_first", "header_twice",
                                  "wrong_order", "too_many", "finish_early", "after_done"])
def test_out_of_order_calls_raise(tmp_path, call):
    # given
    writer = SouWriter(tmp_path / "m.sou")
    a, b = np.zeros(4, np.float32), np.ones(4, np.float16)
    # when / then
    with pytest.raises(SouWriterStateError):
        if call == "tensor_first":
            writer.write_tensor("a", a)
        elif call == "finish_first":
            writer.finish()
        elif call == "header_twice":
            writer.write_header(META, SPECS)
            writer.write_header(META, SPECS)
        elif call == "wrong_order":
            writer.write_header(META, SPECS)
            writer.write_tensor("b", b)
        elif call == "too_many":
            writer.write_header(META, SPECS)
            writer.write_tensor("a", a)
            writer.write_tensor("b", b)
            writer.write_tensor("b", b)
        elif call == "finish_early":
            writer.write_header(META, SPECS)
            writer.write_tensor("a", a)
            writer.finish()
        else:
            writer.write_header(META, [])
            writer.finish()
            writer.write_header(META, [])
    writer.abort()


def test_wrong_byte_count_is_refused(tmp_path):
    writer = SouWriter(tmp_path / "m.sou")
    writer.write_header(META, SPECS)
    with pytest.raises(ValueError, match="needs 16 bytes, got 8"):
        writer.write_tensor("a", np.zeros(2, np.float32))
    writer.abort()


def test_a_failure_midway_leaves_no_file(tmp_path):
    # given
    path = tmp_path / "m.sou"
    # when
    with pytest.raises(RuntimeError, match="boom"), SouWriter(path) as writer:
        writer.write_header(META, SPECS)
        writer.write_tensor("a", np.zeros(4, np.float32))
        raise RuntimeError("boom")
    # then
    assert list(tmp_path.iterdir()) == []


def test_leaving_the_context_without_finish_raises_and_leaves_no_file(tmp_path):
    with (pytest.raises(SouWriterStateError, match="before finish"),
          SouWriter(tmp_path / "m.sou") as writer):
        writer.write_header(META, SPECS)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("metadata,specs,message", [
    ({"architecture": {}}, [], "arch"),
    ({"architecture": {"arch": "x"}, "generation": {"top_p": 2}}, [], "top_p"),
    ({"architecture": {"arch": "x"}, "provenance": {"eval": float("nan")}}, [], "plain JSON"),
    (META, [TensorSpec("a", "F32", (2,)), TensorSpec("a", "F32", (2,))], "duplicate"),
    (META, [TensorSpec("a", "Q9", (2,))], "unknown type"),
    (META, [TensorSpec("a", "Q8_0", (2, 31))], "multiple of 32"),
    (META, [TensorSpec("", "F32", (2,))], "name"),
    (META, [TensorSpec("a", "F32", (2, 0))], "dimensions"),
])
def test_invalid_header_input_is_refused_before_anything_is_written(
        tmp_path, metadata, specs, message):
    with pytest.raises(ValueError, match=message):
        SouWriter(tmp_path / "m.sou").write_header(metadata, specs)
    assert list(tmp_path.iterdir()) == []


def test_write_sou_refuses_a_tokenizer_that_is_not_json(tmp_path):
    with pytest.raises(ValueError, match="tokenizer_json"):
        write_sou(tmp_path / "m.sou", config=TINY_CONFIG, tensors={}, tokenizer_json="{oops",
                  generation={}, provenance={})
