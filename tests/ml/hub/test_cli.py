"""`sloughgpt pull` against the hub stand-in: writes a .sou, names the token for gated repos,
and a pull cut short continues when run again."""

from ml.cli import main
from ml.sou import read_sou
from tests.hub_stand_in import StandInRepo, hub_stand_in


def test_pull_writes_a_sou_and_reads_the_token_from_the_named_variable(llama_repo_dir, tmp_path, monkeypatch,
                                                                       capsys):
    # given a gated repo and the user's token in an environment variable
    monkeypatch.setenv("MY_HF_TOKEN", "hf_cli_token")
    out = tmp_path / "tiny.sou"
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir, token="hf_cli_token")) as hub:
        # when it is pulled without and then with the token
        refused = main(["pull", "acme/tiny-llama", "--endpoint", hub.endpoint, "-o", str(out)])
        refusal = capsys.readouterr().err
        pulled = main(["pull", "acme/tiny-llama", "--endpoint", hub.endpoint, "--token-env", "MY_HF_TOKEN",
                       "-o", str(out)])

    # then the first names the token, the second writes the model and cleans up its downloads
    assert refused == 1 and "add your Hugging Face access token" in refusal
    assert pulled == 0 and "license apache-2.0" in capsys.readouterr().out
    with read_sou(out) as sou:
        assert sou.config["arch"] == "llama"
    assert not (tmp_path / "tiny.sou.download").exists()


def test_a_cut_pull_continues_when_run_again(llama_repo_dir, tmp_path, capsys):
    # given a hub that cuts every response at byte 5000
    out = tmp_path / "tiny.sou"
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        hub.cut_after = 5000
        first = main(["pull", "acme/tiny-llama", "--endpoint", hub.endpoint, "-o", str(out)])
        error = capsys.readouterr().err
        # when the connection holds again and the same command runs
        hub.cut_after = None
        second = main(["pull", "acme/tiny-llama", "--endpoint", hub.endpoint, "-o", str(out)])

    # then the first failed saying so, the second asked only for the rest
    assert first == 1 and "was cut at 5000 of" in error and "run the same command again to continue from there" in error
    assert second == 0 and out.is_file()
    assert "bytes=5000-" in hub.ranges
    assert hub.served["model.safetensors"] == (llama_repo_dir / "model.safetensors").stat().st_size


def test_an_unknown_type_is_refused_before_any_weight_byte(llama_repo_dir, tmp_path, capsys):
    # given a repo on the hub
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        # when it is pulled at a type that does not exist
        code = main(["pull", "acme/tiny-llama", "--endpoint", hub.endpoint, "--type", "Q9_9",
                     "-o", str(tmp_path / "tiny.sou")])

    # then the CLI names the type, and no weight was downloaded
    assert code == 1 and "unknown type 'Q9_9'" in capsys.readouterr().err
    assert hub.weight_bytes_served() == 0
