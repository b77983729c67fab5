"""`chainrule train`: the command trains to a real accuracy, its loop matches torch's step for
step, `--save` files load into torch and predict the same, and bad `--data` files fail with a
message and exit status 2."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule
from chainrule._train_data import load_data
from chainrule._train_models import ACTIVATIONS, OPTIMIZERS, build_model, build_optimizer
from chainrule.cli import main
from chainrule.train import evaluate, train_epoch

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
pytest.importorskip("sklearn")

ACCURACY = re.compile(r"^test accuracy: (\d\.\d+) \((\d+)/(\d+)\)$", re.M)


def run_train(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(["train", "--quiet", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def accuracy(out: str) -> float:
    m = ACCURACY.search(out)
    assert m is not None, f"no test-accuracy line in {out!r}"
    acc, correct, total = float(m[1]), int(m[2]), int(m[3])
    assert acc == pytest.approx(correct / total, abs=1e-4)
    return acc


# --- the command on digits ----------------------------------------------------------------------


def test_default_mlp_reaches_95_percent_on_digits(capsys) -> None:
    code, out, _ = run_train(capsys)
    assert code == 0
    assert accuracy(out) >= 0.95


def test_three_epochs_already_learn_digits(capsys) -> None:
    code, out, _ = run_train(capsys, "--epochs", "3")
    assert code == 0
    assert accuracy(out) >= 0.85  # chance is 0.1


def test_same_seed_same_run_other_seed_other_split(capsys) -> None:
    outs = [run_train(capsys, "--epochs", "2", "--seed", s)[1] for s in ("5", "5", "6")]
    assert outs[0] == outs[1]
    a = load_data(None, 0.2, 5, images=False)
    b = load_data(None, 0.2, 6, images=False)
    assert not np.array_equal(a.y_test, b.y_test)
    assert len(a.x_test) == 360 and a.x_train.max() == 1.0 and a.x_train.min() == 0.0


def test_report_flags_sigmoid_and_writes_the_plots(capsys, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    argv = ["--epochs", "2", "--activation", "sigmoid", "--hidden", "64,64,64"]
    code, out, _ = run_train(capsys, *argv, "--report", str(tmp_path))
    assert code == 0
    assert out.count("gradient health after the last batch") == 2
    assert "vanishing" in out and "1.weight" in out
    for name in ("grad_flow.png", "grad_norms.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run_train(capsys, "--epochs", "2", "--report", str(tmp_path))
    assert code == 0 and "vanishing" not in out  # ReLU, one hidden layer: nothing to flag


def test_cnn_trains_on_digits(capsys) -> None:
    code, out, _ = run_train(capsys, "--model", "cnn", "--epochs", "3")
    assert code == 0
    assert accuracy(out) >= 0.6


def test_progress_bar_goes_to_stderr_and_result_to_stdout(capsys) -> None:
    code = main(["train", "--epochs", "1", "--hidden", "16"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "epoch 1/1" in err and "loss=" in err and "acc=" in err
    assert "epoch" not in out
    accuracy(out)


def test_save_loads_into_torch_and_predicts_the_same(capsys, tmp_path) -> None:
    path = str(tmp_path / "model.safetensors")
    code, out, _ = run_train(capsys, "--epochs", "2", "--hidden", "32,16", "--save", path)
    assert code == 0 and path in out
    data = load_data(None, 0.2, 0, images=False)
    state = safetensors_torch.load_file(path)
    t_model = build_model("mlp", "relu", data.sample_shape, 10, (32, 16), lib=torch)
    t_model.load_state_dict(state)  # strict: the same keys and shapes as torch's model
    c_model = build_model("mlp", "relu", data.sample_shape, 10, (32, 16))
    c_model.load_state_dict(chainrule.load(path))
    with torch.no_grad(), chainrule.no_grad():
        t_logits = t_model(torch.from_numpy(data.x_test)).numpy()
        c_logits = c_model(chainrule.from_numpy(data.x_test)).numpy()
    np.testing.assert_allclose(c_logits, t_logits, rtol=1e-5, atol=1e-5)
    t_pred = t_logits.argmax(1)
    assert np.array_equal(c_logits.argmax(1), t_pred)
    # the saved weights are the trained ones: they score what the command printed
    assert (t_pred == data.y_test).mean() == pytest.approx(accuracy(out), abs=1e-4)


# --- the loop against torch's -------------------------------------------------------------------


def _same_models(name: str, activation: str, shape: tuple, hidden: tuple) -> tuple:
    chainrule.manual_seed(0)
    c_model = build_model(name, activation, shape, 10, hidden)
    t_model = build_model(name, activation, shape, 10, hidden, lib=torch)
    t_model.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in c_model.state_dict().items()}
    )
    return c_model, t_model


def _batches(lib, x: np.ndarray, y: np.ndarray, size: int) -> list:
    return [
        (lib.from_numpy(x[i : i + size]), lib.from_numpy(y[i : i + size]))
        for i in range(0, len(x), size)
    ]


@pytest.mark.parametrize(
    ("model", "activation", "optimizer"),
    [
        *[("mlp", a, "adam") for a in ACTIVATIONS],
        *[("mlp", "relu", o) for o in OPTIMIZERS if o != "adam"],
        ("cnn", "relu", "sgd"),
        ("cnn", "tanh", "adam"),
    ],
)
def test_train_epoch_matches_torch(model, activation, optimizer) -> None:
    data = load_data(None, 0.2, 0, images=model == "cnn")
    x, y = data.x_train[:160], data.y_train[:160]
    c_model, t_model = _same_models(model, activation, data.sample_shape, (24,))
    c_opt = build_optimizer(optimizer, c_model.parameters())
    t_opt = build_optimizer(optimizer, t_model.parameters(), lib=torch)
    c_stats = train_epoch(
        c_model, _batches(chainrule, x, y, 32), c_opt, chainrule.nn.CrossEntropyLoss()
    )
    t_stats = train_epoch(t_model, _batches(torch, x, y, 32), t_opt, torch.nn.CrossEntropyLoss())
    assert c_stats["loss"] == pytest.approx(t_stats["loss"], rel=1e-4, abs=1e-5)
    assert c_stats["accuracy"] == t_stats["accuracy"]
    t_state = t_model.state_dict()
    for k, v in c_model.state_dict().items():
        np.testing.assert_allclose(v.numpy(), t_state[k].numpy(), rtol=1e-3, atol=1e-4, err_msg=k)
    xt, yt = data.x_test, data.y_test
    assert evaluate(c_model, _batches(chainrule, xt, yt, 100)) == evaluate(
        t_model, _batches(torch, xt, yt, 100)
    )
    assert not c_model.training


# --- user data ----------------------------------------------------------------------------------


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three classes of 6x6 images, each with one bright 3x3 quadrant, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.3, (n, 1, 6, 6)).astype(np.float32)
    for cls, (r, c) in enumerate([(0, 0), (0, 3), (3, 0)]):
        x[y == cls, 0, r : r + 3, c : c + 3] += 1.0
    return x, y


@pytest.mark.parametrize("model", ["mlp", "cnn"])
@pytest.mark.parametrize("flat", [False, True])
def test_data_npz_trains(capsys, tmp_path, model, flat) -> None:
    x, y = _blobs(300, 0)
    if flat:
        x = x.reshape(len(x), -1)  # the CNN sees 36 features as a 6x6 image
    path = tmp_path / "blobs.npz"
    np.savez(path, X=x, y=y)
    code, out, _ = run_train(capsys, "--data", str(path), "--model", model, "--epochs", "8")
    assert code == 0
    assert accuracy(out) >= 0.9
    assert out.count("/60)") == 1  # 20% of 300 held out


def test_data_npz_with_its_own_test_set(capsys, tmp_path) -> None:
    x, y = _blobs(200, 1)
    xt, yt = _blobs(50, 2)
    path = tmp_path / "split.npz"
    np.savez(path, X=x.reshape(200, -1), y=y, X_test=xt.reshape(50, -1), y_test=yt)
    code, out, _ = run_train(capsys, "--data", str(path), "--epochs", "8")
    assert code == 0
    assert "/50)" in out and accuracy(out) >= 0.9


@pytest.mark.parametrize(
    ("arrays", "argv", "expected"),
    [
        (None, (), "no such file"),
        ("garbage", (), "not a readable .npz file"),
        ({"X": np.zeros((5, 4)), "labels": np.zeros(5, int)}, (), "missing array(s) 'y'"),
        (
            {"X": np.zeros((5, 4)), "y": np.zeros(4, int)},
            (),
            "'X' and 'y' have different lengths: X has shape (5, 4), y has shape (4,)",
        ),
        ({"X": np.zeros((5, 4, 4)), "y": np.zeros(5, int)}, (), "shape (5, 4, 4)"),
        ({"X": np.zeros((5, 4)), "y": np.zeros(5)}, (), "integer class labels"),
        (
            {"X": np.zeros((5, 4)), "y": np.zeros(5, int), "X_test": np.zeros((2, 4))},
            (),
            "'X_test' without its partner",
        ),
        (
            {
                "X": np.zeros((5, 4)),
                "y": np.zeros(5, int),
                "X_test": np.zeros((2, 3)),
                "y_test": np.zeros(2, int),
            },
            (),
            "'X_test' samples have shape (3,)",
        ),
        ({"X": np.zeros((5, 5)), "y": np.zeros(5, int)}, ("--model", "cnn"), "not a square image"),
    ],
)
def test_bad_data_exits_2_naming_the_problem(capsys, tmp_path, arrays, argv, expected) -> None:
    path = tmp_path / "bad.npz"
    if isinstance(arrays, dict):
        np.savez(path, **arrays)
    elif arrays == "garbage":
        path.write_bytes(b"not a zip file")
    code, out, err = run_train(capsys, "--data", str(path), *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("chainrule train: error: ") and str(path) in err
    assert expected in err
    assert "Traceback" not in err


def test_bad_options_exit_2(capsys) -> None:
    for argv in (
        ["--epochs", "0"],
        ["--hidden", "a,b"],
        ["--test-fraction", "1.5"],
        ["--optimizer", "lbfgs"],
        ["--model", "rnn"],
    ):
        assert main(["train", *argv]) == 2
        assert "error: argument" in capsys.readouterr().err


def test_digits_without_scikit_learn_says_how_to_get_it(capsys, monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "sklearn.datasets", None)
    code, out, err = run_train(capsys)
    assert code == 2 and out == ""
    assert "pip install 'chainrule[train]'" in err and "--data" in err
