"""The train / eval / generate commands as a user runs them."""

import json
import os
import signal
import threading
import time

from ml.cli import main
from tests.ml.train.factories import write_corpus

CONFIG = """
[model]
preset = "nanogpt-char"
n_layer = 2
n_head = 2
n_embd = 32
block_size = 16

[data]
path = "corpus.txt"
cache_dir = "cache"

[train]
out_dir = "{out}"
batch_size = 4
max_iters = 6
eval_interval = 3
eval_iters = 2
log_interval = 2

[optim]
warmup_iters = 2
"""


def make_config(tmp_path):
    write_corpus(tmp_path / "corpus.txt")
    path = tmp_path / "run.toml"
    path.write_text(
        CONFIG.replace("{out}", str(tmp_path / "out")).replace(
            'cache_dir = "cache"', f'cache_dir = "{tmp_path / "cache"}"'
        )
    )
    return path


def test_train_then_generate_and_eval(tmp_path, capsys):
    # given a config file
    config = make_config(tmp_path)

    # when trained from the command line with an override
    assert main(["train", "--config", str(config), "--set", "train.max_iters=4"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    # then it ran the overridden number of steps and left checkpoints
    assert result["steps"] == 4 and result["stopped"] == "completed"
    checkpoint = tmp_path / "out" / "best"

    # when text is generated twice with one seed
    args = [
        "generate",
        str(checkpoint),
        "--prompt",
        "the lazy",
        "--max-tokens",
        "12",
        "--seed",
        "7",
        "--top-k",
        "5",
        "--top-p",
        "0.9",
        "--repetition-penalty",
        "1.1",
    ]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0

    # then it continues the prompt, reproducibly
    assert first.startswith("the lazy") and len(first) > len("the lazy\n")
    assert capsys.readouterr().out == first

    # when perplexity is measured on the corpus
    assert main(["eval", str(checkpoint), "--data", str(tmp_path / "corpus.txt")]) == 0
    scores = json.loads(capsys.readouterr().out)

    # then it is finite and above 1, scoring every token
    assert 1.0 < scores["perplexity"] < 100.0 and scores["tokens"] > 1000


def test_eval_scores_predictions_against_references(tmp_path, capsys):
    (tmp_path / "pred.txt").write_text("the cat sat on the mat\nhello there\n")
    (tmp_path / "ref.txt").write_text("the cat sat on the mat\nhello world\n")
    assert (
        main(
            [
                "eval",
                "--predictions",
                str(tmp_path / "pred.txt"),
                "--references",
                str(tmp_path / "ref.txt"),
            ]
        )
        == 0
    )
    scores = json.loads(capsys.readouterr().out)
    assert set(scores) == {"bleu", "chrf", "rouge1", "rouge2", "rougeL"}
    assert 0 < scores["bleu"] < 100 and scores["rouge1"] == 75.0


def test_ctrl_c_saves_a_checkpoint_and_resume_continues_it(tmp_path, capsys):
    # given a long run and a Ctrl-C as soon as the command is listening for it
    config = make_config(tmp_path)

    def press_ctrl_c():
        while signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            time.sleep(0.01)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()

    # when interrupted
    code = main(
        [
            "train",
            "--config",
            str(config),
            "--set",
            "train.max_iters=1000000",
            "--set",
            "train.eval_interval=0",
        ]
    )

    # then it stopped cleanly with a resumable checkpoint
    assert code == 130
    state = json.loads((tmp_path / "out" / "last" / "trainer_state.json").read_text())
    stopped_at = state["step"]
    assert 0 < stopped_at < 1000000

    # when resumed for three more steps
    assert (
        main(
            [
                "train",
                "--config",
                str(config),
                "--resume",
                "--set",
                f"train.max_iters={stopped_at + 3}",
            ]
        )
        == 0
    )

    # then it continued from where it stopped
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == stopped_at + 3
