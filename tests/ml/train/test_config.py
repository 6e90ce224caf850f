"""Training configs from TOML files with --set overrides, and their errors."""

import pytest

from ml.config import ConfigError
from ml.train import TrainConfig, load_train_config


def test_toml_file_with_dotted_overrides(tmp_path):
    # given a config file with a relative data path
    (tmp_path / "cfg.toml").write_text(
        '[data]\npath = "corpus.txt"\n[optim]\nlr = 3e-4\n[train]\nmax_iters = 100\n'
    )

    # when loaded with overrides
    cfg = load_train_config(
        tmp_path / "cfg.toml",
        [
            "train.max_iters=7",
            "optim.schedule=linear",
            "lora.target_modules=q_proj,v_proj",
            "model.dropout=0",
        ],
    )

    # then file values, overrides and defaults combine, and the data path is anchored
    assert cfg.data.path == str(tmp_path / "corpus.txt")
    assert cfg.optim.lr == 3e-4 and cfg.train.max_iters == 7 and cfg.optim.schedule == "linear"
    assert cfg.lora.target_modules == ["q_proj", "v_proj"]
    assert cfg.model.dropout == 0.0 and isinstance(cfg.model.dropout, float)
    assert cfg.train.batch_size == 12
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    "override, message",
    [
        ("train.max_itres=5", "unknown config key 'train.max_itres'"),
        ("train.max_iters=ten", "train.max_iters: expected int"),
        ("optim.schedule=zigzag", "optim.schedule: 'zigzag' is not one of"),
        ("train.compile=1", "train.compile: expected true or false"),
        ("nonsense", "not of the form key=value"),
    ],
)
def test_bad_keys_and_values_are_named(override, message):
    with pytest.raises(ConfigError, match=message):
        load_train_config(None, [override])


def test_broken_toml_names_the_file(tmp_path):
    (tmp_path / "bad.toml").write_text("[train\nmax_iters = 1\n")
    with pytest.raises(ConfigError, match="bad.toml"):
        load_train_config(tmp_path / "bad.toml")
