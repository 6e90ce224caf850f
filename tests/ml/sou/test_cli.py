"""`sloughgpt quantize` and `sloughgpt sou inspect|verify` through the real dispatcher."""

import json

from ml.cli import main
from ml.sou import read_sou
from tests.ml.sou.factories import write_tiny


def test_quantize_prints_the_report_and_writes_the_file(tmp_path, capsys):
    # given
    source = write_tiny(tmp_path / "m.sou")
    # when
    code = main(["quantize", str(source), str(tmp_path / "q.sou"), "--type", "Q4_1",
                 "--keep-embeddings", "--no-keep-output"])
    # then
    out = capsys.readouterr().out
    assert code == 0
    assert "Q4_1" in out and "file size:" in out
    with read_sou(tmp_path / "q.sou") as sou:
        assert sou.info("token_embd.weight").type_name == "F16"
        assert sou.info("output.weight").type_name == "Q4_1"


def test_quantize_warns_about_upcasts(tmp_path, capsys):
    source = write_tiny(tmp_path / "m.sou", "Q4_0")
    assert main(["quantize", str(source), str(tmp_path / "q.sou"), "--type", "F16"]) == 0
    assert "warning:" in capsys.readouterr().out


def test_inspect_shows_metadata_tensors_and_memory(tmp_path, capsys):
    # given
    path = write_tiny(tmp_path / "m.sou", "Q8_0")
    # when
    code = main(["sou", "inspect", str(path), "--context", "512", "--batch", "2"])
    # then
    out = capsys.readouterr().out
    assert code == 0
    assert "blk.0.ffn_up.weight" in out and "Q8_0" in out
    assert "bytes per type:" in out
    assert "memory (context 512, batch 2, KV F16)" in out
    assert "<" in out and "bytes>" in out  # the tokenizer is summarised, not dumped


def test_inspect_json_is_machine_readable(tmp_path, capsys):
    path = write_tiny(tmp_path / "m.sou", "Q4_0")
    assert main(["sou", "inspect", str(path), "--json", "--context", "64"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["memory"]["kv_cache_bytes"] == 2 * 2 * 2 * 16 * 64 * 1 * 2
    assert summary["bytes_by_type"]["Q4_0"]["tensors"] == 5  # embeddings and 4 matrices
    assert summary["metadata"]["architecture"]["arch"] == "llama"


def test_verify_exits_1_and_lists_problems(tmp_path, capsys):
    # given
    path = write_tiny(tmp_path / "m.sou")
    assert main(["sou", "verify", str(path)]) == 0
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # inside the last tensor
    path.write_bytes(data)
    # when
    code = main(["sou", "verify", str(path)])
    # then
    assert code == 1
    assert "personality.steering.1" in capsys.readouterr().out


def test_inspect_of_a_broken_file_exits_1_with_the_reason(tmp_path, capsys):
    path = tmp_path / "bad.sou"
    path.write_bytes(b"\x89SOU\r\n\x1a\n" + bytes(30))
    assert main(["sou", "inspect", str(path)]) == 1
    assert "version_major at byte 8" in capsys.readouterr().err
