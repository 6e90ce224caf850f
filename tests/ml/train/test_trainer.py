"""The training loop: learning, metrics, checkpoints, cancellation, exact resume, stopping."""

import torch
from safetensors.torch import load_file

from ml.train import Callbacks, load_checkpoint, train
from tests.ml.train.factories import tiny_config, write_jsonl


def test_training_lowers_the_loss_and_reports_metrics(tmp_path):
    # given a tiny model and a callback collecting metrics
    cfg = tiny_config(tmp_path, "train.max_iters=30", "train.eval_interval=10", "optim.lr=3e-3")
    metrics, lines = [], []

    # when trained
    result = train(
        cfg, Callbacks(on_metrics=lambda s, v: metrics.append((s, v)), on_log=lines.append)
    )

    # then validation loss falls and every chart series is reported
    val = [v["val_loss"] for _, v in metrics if "val_loss" in v]
    assert result.stopped == "completed" and result.steps == 30
    assert len(val) == 3 and val[-1] < val[0]
    assert result.best_val_loss == min(val)
    train_points = [v for _, v in metrics if "loss" in v]
    assert set(train_points[0]) == {"loss", "lr", "tokens_per_s", "memory_mb"}
    assert all(v["tokens_per_s"] > 0 for v in train_points)
    assert any("val loss" in line for line in lines)


def test_checkpoint_reloads_into_the_same_model(tmp_path):
    # given a finished run
    cfg = tiny_config(tmp_path)
    train(cfg)

    # when the last checkpoint is loaded
    model, tokenizer, meta = load_checkpoint(tmp_path / "out" / "last")

    # then it holds the saved weights, tokenizer and configs
    saved = load_file(tmp_path / "out" / "last" / "model.safetensors")
    assert torch.equal(
        model.state_dict()["transformer.wte.weight"], saved["transformer.wte.weight"]
    )
    assert meta.model_config.arch == "gpt2" and meta.model_config.n_layer == 2
    assert meta.training["train"]["max_iters"] == 8
    assert meta.state["step"] == 8
    assert tokenizer.decode(tokenizer.encode("lazy dog").ids) == "lazy dog"
    assert meta.eos_token_ids == [tokenizer.token_to_id("<|endoftext|>")]
    # the optimizer state loads without unpickling arbitrary objects
    state = torch.load(tmp_path / "out" / "last" / "optimizer.pt", weights_only=True)
    assert {"optimizer", "scheduler", "scaler"} <= set(state)


def test_each_checkpoint_is_handed_over_complete_as_it_is_saved(tmp_path):
    # given a run that evaluates every 3 steps, and a caller copying what it is handed
    cfg = tiny_config(tmp_path, "train.max_iters=6", "train.eval_interval=3")
    handed = []

    def on_checkpoint(name, directory, step):
        state = (directory / "trainer_state.json").read_text() if name == "last" else None
        handed.append((name, step, sorted(p.name for p in directory.iterdir()), state))

    # when trained
    train(cfg, Callbacks(on_checkpoint=on_checkpoint))

    # then every save was handed over once its directory was whole, in order
    assert [step for name, step, *_ in handed if name == "last"] == [3, 6]
    assert handed[1][:2] == ("best", 3)  # the first evaluation is the best so far
    for name, step, files, state in handed:
        assert {"model.safetensors", "config.json", "tokenizer.json"} <= set(files)
        if name == "last":
            assert {"trainer_state.json", "optimizer.pt"} <= set(files)
            assert f'"step": {step}' in state


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one_bit_for_bit(tmp_path):
    # given two identical configs with dropout (so RNG state matters) and accumulation
    settings = (
        "model.dropout=0.1",
        "train.grad_accum=2",
        "train.max_iters=9",
        "train.eval_interval=3",
        "lora.enabled=false",
    )
    straight = tiny_config(tmp_path / "a", *settings)
    interrupted = tiny_config(tmp_path / "b", *settings)

    # when one runs through and the other is cancelled after 5 steps, then resumed
    full = train(straight)
    polls = iter(range(100))
    first = train(interrupted, Callbacks(should_stop=lambda: next(polls) >= 5))
    assert first.stopped == "cancelled" and first.steps == 5
    interrupted.train.resume = True
    second = train(interrupted)

    # then the final weights and validation loss are identical
    assert second.steps == 9 and second.stopped == "completed"
    a = load_file(tmp_path / "a" / "out" / "last" / "model.safetensors")
    b = load_file(tmp_path / "b" / "out" / "last" / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert second.val_loss == full.val_loss


def test_early_stopping_ends_the_run_after_patience_runs_out(tmp_path):
    # given a learning rate of zero, so validation loss never improves after the first eval
    cfg = tiny_config(
        tmp_path,
        "optim.lr=0.0",
        "optim.schedule='constant'",
        "train.max_iters=50",
        "train.eval_interval=2",
        "train.early_stopping_patience=2",
    )

    # when trained
    result = train(cfg)

    # then it stops after the first eval plus two without improvement
    assert result.stopped == "early_stopping"
    assert result.steps == 6


def test_mixed_precision_bf16_trains_on_cpu(tmp_path):
    # given bf16 autocast
    cfg = tiny_config(tmp_path, "train.precision='bf16'", "train.max_iters=2")

    # when trained, then it finishes with a finite loss
    result = train(cfg)
    assert result.steps == 2 and result.val_loss < 10


def test_chat_data_trains_on_packed_examples_and_reports_the_cut_ones(tmp_path):
    # given two-turn chats and one chat longer than a training row
    chats = [
        {
            "messages": [
                {"role": "user", "content": f"hi {i}"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "bye"},
                {"role": "assistant", "content": "later"},
            ]
        }
        for i in range(30)
    ]
    chats.append({"messages": [{"role": "assistant", "content": "long " * 30}]})
    data = write_jsonl(tmp_path / "chats.jsonl", chats)
    cfg = tiny_config(tmp_path, "model.block_size=96", "train.max_iters=20", data=data)
    metrics, lines = [], []

    # when trained
    result = train(cfg, Callbacks(on_metrics=lambda s, v: metrics.append(v), on_log=lines.append))

    # then it learns the replies, and the cut example is counted in the result and the log
    val = [v["val_loss"] for v in metrics if "val_loss" in v]
    assert val[-1] < val[0]
    assert result.cut_examples == 1
    assert "1 examples longer than 97 tokens were cut to fit" in lines
