"""`sloughgpt data run` as a user runs it."""

from __future__ import annotations

import json

from ml.cli import main
from tests.ml.data.pipeline.factories import read_jsonl, write_jsonl


def test_data_run_writes_the_split_and_prints_the_report(tmp_path, capsys):
    # given a recipe file and an input
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        '[[steps]]\ntype = "dedup_exact"\n\n[[steps]]\ntype = "split"\ntrain = 0.5\nvalidation = 0.5\ntest = 0.0\n'
    )
    data = write_jsonl(tmp_path / "data.jsonl", [{"text": f"r{i % 40}"} for i in range(50)])
    # when the command runs
    code = main(["data", "run", str(recipe), str(data), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    # then the parts are written and the report says what each step did
    report = json.loads(out)
    assert code == 0
    assert report["steps"][0]["dropped"] == {"duplicate": 10}
    parts = {
        p: len(read_jsonl(tmp_path / "out" / f"{p}.jsonl")) for p in ("train", "validation", "test")
    }
    assert parts == report["outputs"] and sum(parts.values()) == 40 and parts["test"] == 0
    assert "100.0%" in err


def test_data_run_with_a_bad_recipe_names_the_step_and_exits_2(tmp_path, capsys):
    # given
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        '[[steps]]\ntype = "normalize"\n\n[[steps]]\ntype = "regex_filter"\npattern = "(unclosed"\n'
    )
    data = write_jsonl(tmp_path / "data.jsonl", [{"text": "a"}])
    # when
    code = main(["data", "run", str(recipe), str(data), "--out", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    # then
    assert code == 2
    assert err.startswith("error: step 2 (regex_filter), field 'pattern': does not compile")


def test_data_run_refuses_an_output_folder_inside_an_input_folder(tmp_path, capsys):
    # given an input folder and an input file named like an output
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('[[steps]]\ntype = "normalize"\n')
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [{"text": "a"}])
    data = write_jsonl(tmp_path / "data.jsonl", [{"text": "b"}])
    for inputs, out in (
        ([str(folder)], folder),
        ([str(folder)], folder / "cleaned"),
        ([str(data)], tmp_path),
    ):
        # when the output folder is the input folder, inside it, or beside data.jsonl
        code = main(["data", "run", str(recipe), *inputs, "--out", str(out)])
        _, err = capsys.readouterr()
        # then it is refused and the inputs are left as they were
        assert code == 2 and err.startswith("error: --out ")
    assert read_jsonl(folder / "a.jsonl") == [{"text": "a"}]
    assert read_jsonl(data) == [{"text": "b"}]
    assert not (folder / "cleaned").exists()


def test_data_features_prints_statistics_and_what_shifted(tmp_path, capsys):
    # given two inputs whose records differ in length
    short = write_jsonl(tmp_path / "short.jsonl", [{"text": f"hi {i}"} for i in range(40)])
    long = write_jsonl(
        tmp_path / "long.jsonl", [{"text": "a much longer record " * (3 + i % 5)} for i in range(40)]
    )
    main(["data", "features", str(short), "--out", str(tmp_path / "short.parquet")])
    capsys.readouterr()
    # when the second is featurized and compared with the first
    code = main(["data", "features", str(long), "--groups", "basic",
                 "--out", str(tmp_path / "long.parquet"), "--compare", str(tmp_path / "short.parquet")])
    result = json.loads(capsys.readouterr().out)
    # then its statistics are per record and the length features are the ones that shifted
    assert code == 0 and result["records"] == 40
    assert result["statistics"]["words"]["min"] == 12
    assert result["compare"]["chars"]["shifted"] is True


def test_data_features_refuses_an_unknown_group(tmp_path, capsys):
    # given
    data = write_jsonl(tmp_path / "data.jsonl", [{"text": "a"}])
    # when
    code = main(["data", "features", str(data), "--groups", "basic,moods",
                 "--out", str(tmp_path / "f.parquet")])
    # then
    assert code == 2
    assert "--groups: unknown moods" in capsys.readouterr().err
    assert not (tmp_path / "f.parquet").exists()
