"""Train a small feed-forward network with skorch (PyTorch), deterministically."""
from __future__ import annotations

import math

import contextlib
import time

import numpy as np

from .._progress import progress_bar
from ..data.dataset import Dataset
from ..exceptions import DataError, NetworkError, Param
from ..schema.encoder import Encoder
from .adapter import Layer, Network
from .budget import check_network_size

__all__ = ["train_network"]

_ACT = ("sigmoid", "tanh", "relu")


@contextlib.contextmanager
def _one_thread():
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny nets: a second thread only adds contention
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _parse_hidden(hidden):
    if isinstance(hidden, int):
        hidden = (hidden,)
    try:
        hidden = tuple(int(h) for h in hidden)
    except (TypeError, ValueError):
        raise DataError("hidden layer sizes must be a sequence of positive integers, got ",
                        Param("hidden_layer_sizes", hidden)) from None
    if not hidden or any(h < 1 for h in hidden):
        raise DataError("hidden layer sizes must be a non-empty sequence of positive integers, got ",
                        Param("hidden_layer_sizes", hidden))
    return hidden


def train_network(dataset, hidden_layer_sizes=(16,), activation: str = "sigmoid", *, max_epochs: int | None = None,
                  lr: float = 0.01, batch_size: int | None = None, weight_decay: float = 0.0,
                  random_state: int = 0, progress: bool | None = False, missing: str = "error",
                  task: str | None = None):
    """Train a feed-forward net on ``dataset`` with skorch and return a :class:`Network`.

    Inputs are the dataset's encoding (numeric min-max to [0, 1], one-hot groups).
    Classification uses one logit per class and cross-entropy; regression a single
    linear output trained on the standardised target (the scale is folded back into
    the last layer, so the network predicts in the target's units). Adam, full
    determinism under ``random_state``, one torch thread.

    Parameters
    ----------
    dataset : Dataset
        Training rows (the encoder is fitted on them).
    hidden_layer_sizes : int or sequence of int, default (16,)
    activation : {"sigmoid", "tanh", "relu"}
    max_epochs : int, optional
        Default: about 4000 gradient steps, between 30 and 300 epochs.
    lr : float, default 0.01
    batch_size : int, optional
        Default: n_rows / 20, between 16 and 256.
    weight_decay : float, default 0.0
    random_state : int, default 0
    progress : bool or None, default False
        Report the epochs on stderr once training has run a few seconds: a bar on a terminal, a line
        every 10 s when stderr is piped (None: the same as True).
    missing : {"error", "impute"}, default "error"
        ``"impute"``: a feature with missing values in ``dataset`` is filled with its median (most
        frequent category) and gets one more input, ``"<feature> is missing"``, so the network sees
        missingness and rules can test ``income is missing`` (see :class:`~rulex.Encoder`).
        ``"error"``: missing values are refused with the column named.
    task : {"classification", "regression"}, optional
        Read the target as this task (default: the dataset's, see :meth:`Dataset.with_task`).

    Returns
    -------
    Network

    Raises
    ------
    DataError
        For invalid data or parameters.
    NetworkError
        When training diverges.
    """
    hidden = _check_arguments(dataset, hidden_layer_sizes, activation, max_epochs, lr, batch_size, weight_decay,
                              random_state)
    dataset = dataset.with_task(task)
    import torch.nn as nn
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    if missing not in ("error", "impute"):
        raise DataError("missing must be 'error' or 'impute', got ", Param("missing", missing))
    encoder = Encoder(dataset.schema, missing=missing).fit(dataset.frame)
    n = len(dataset)
    task = dataset.task
    if batch_size is None:
        batch_size = int(min(256, max(16, n // 20)))
    check_network_size(encoder.n_inputs, hidden, len(dataset.classes) if task == "classification" else 1,
                       min(batch_size, n))
    X = encoder.transform(dataset.frame).astype(np.float32)
    if max_epochs is None:
        steps = max(1, int(np.ceil(n / batch_size)))
        max_epochs = int(min(300, max(30, 4000 // steps)))
    y, n_out, y_scale = _targets(encoder, dataset)
    started = time.perf_counter()
    skorch_net = NeuralNetClassifier if task == "classification" else NeuralNetRegressor
    module, loss = _fit(skorch_net, X, y, task, hidden, activation, n_out, max_epochs=max_epochs, lr=lr,
                        batch_size=batch_size, weight_decay=weight_decay, random_state=random_state,
                        progress=progress)
    if not np.isfinite(loss):
        raise NetworkError(f"training diverged (loss {loss}); lower ", Param("lr", lr), " or change the architecture")
    linears = [m for m in module if isinstance(m, nn.Linear)]
    layers = _read_layers(linears, task, activation, y_scale)
    meta = {"source": "rulex.train_network (skorch)", "hidden_layer_sizes": list(hidden),
            "activation": activation, "max_epochs": max_epochs, "lr": lr, "batch_size": batch_size,
            "weight_decay": weight_decay, "random_state": random_state, "train_rows": n,
            "final_train_loss": loss, "train_seconds": round(time.perf_counter() - started, 3),
            "data": dataset.name, "data_fingerprint": dataset.fingerprint()}
    network = Network(layers, encoder, task=task, classes=dataset.classes if task == "classification" else (),
                      metadata=meta)
    return network


def _check_arguments(dataset, hidden_layer_sizes, activation, max_epochs, lr, batch_size, weight_decay,
                     random_state) -> tuple:
    """The hidden layer sizes as a tuple, after refusing a non-Dataset, a bad activation, fewer than two
    rows or a bad training parameter (in that order) with a :class:`DataError`."""
    if not isinstance(dataset, Dataset):
        raise DataError(f"train_network takes a rulex Dataset, got {type(dataset).__name__}; "
                        "wrap a frame with rulex.Dataset.from_frame(df, target=...)")
    hidden = _parse_hidden(hidden_layer_sizes)
    if activation not in _ACT:
        raise DataError(f"activation must be one of {_ACT}, got ", Param("activation", activation))
    if len(dataset) < 2:
        raise DataError("need at least two training rows")
    _check_training_parameters(max_epochs, lr, batch_size, weight_decay, random_state)
    return hidden


def _targets(encoder, dataset) -> tuple:
    """``(y, n_out, (y_mean, y_std))``: class indices and one output per class, or for regression the
    standardised target, one output and the scale that maps it back (``None`` for classification)."""
    if dataset.task == "classification":
        y = encoder.encode_target(dataset.y).astype(np.int64)
        return y, len(dataset.classes), None
    y_raw = encoder.encode_target(dataset.y)
    with np.errstate(over="ignore", invalid="ignore"):
        y_mean, y_std = float(y_raw.mean()), float(y_raw.std()) or 1.0
    if not (np.isfinite(y_raw).all() and np.isfinite(y_mean) and np.isfinite(y_std)):
        raise DataError(f"target {dataset.target!r} spans {np.nanmin(y_raw):g} to {np.nanmax(y_raw):g}: its mean and "
                        "spread overflow a float64 and the network could not learn; rescale the target first")
    return ((y_raw - y_mean) / y_std).astype(np.float32).reshape(-1, 1), 1, (y_mean, y_std)


def _progress_bar(max_epochs, progress):
    """A skorch callback that reports the epochs on stderr (:func:`rulex._progress.progress_bar`)."""
    from skorch.callbacks import Callback

    class _Bar(Callback):
        def on_train_begin(self, net, **kw):
            self.bar = progress_bar(max_epochs, "training network", "epochs", progress)

        def on_epoch_end(self, net, **kw):
            self.bar.update(1, note=f"loss {net.history[-1, 'train_loss']:.4f}")

        def on_train_end(self, net, **kw):
            self.bar.close()

    return _Bar()


def _fit(skorch_net, X, y, task, hidden, activation, n_out, *, max_epochs, lr, batch_size, weight_decay,
         random_state, progress) -> tuple:
    """``(module, final training loss)``: an ``nn.Sequential`` built under ``random_state`` and trained
    by ``skorch_net`` (skorch's NeuralNetClassifier or NeuralNetRegressor) with Adam, on one torch thread."""
    import torch
    import torch.nn as nn

    acts = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
    callback = _progress_bar(max_epochs, progress)
    with _one_thread():
        torch.manual_seed(random_state)
        sizes = (X.shape[1],) + hidden
        mods = []
        for a, b in zip(sizes, sizes[1:]):
            mods += [nn.Linear(a, b), acts[activation]()]
        mods.append(nn.Linear(sizes[-1], n_out))
        module = nn.Sequential(*mods)
        common = dict(module=module, max_epochs=max_epochs, lr=lr, batch_size=batch_size,
                      optimizer=torch.optim.Adam, optimizer__weight_decay=weight_decay, train_split=None,
                      iterator_train__shuffle=True, verbose=0, device="cpu", callbacks=[("progress", callback)])
        if task == "classification":
            net = skorch_net(criterion=nn.CrossEntropyLoss, classes=list(range(n_out)), **common)
        else:
            net = skorch_net(criterion=nn.MSELoss, **common)
        net.fit(X, y)
        loss = float(net.history[-1, "train_loss"])
    return module, loss


def _read_layers(linears, task, activation, y_scale) -> list:
    """The trained ``nn.Linear`` modules as rulex layers; a regression output is scaled back to the
    target's units (``y_scale = (mean, std)``)."""
    layers = []
    for i, lin in enumerate(linears):
        w = lin.weight.detach().numpy().astype(np.float64)
        b = lin.bias.detach().numpy().astype(np.float64)
        last = i == len(linears) - 1
        if last and task == "regression":
            y_mean, y_std = y_scale
            w, b = w * y_std, b * y_std + y_mean
        act = activation if not last else ("softmax" if task == "classification" else "identity")
        layers.append(Layer(w, b, act))
    return layers


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_training_parameters(max_epochs, lr, batch_size, weight_decay, random_state) -> None:
    """Clear errors for training parameters that would fail inside torch or train nothing useful."""
    problems = []
    if max_epochs is not None and not (_is_int(max_epochs) and 1 <= max_epochs <= 100_000):
        problems.append((Param("max_epochs", max_epochs), " (a whole number from 1 to 100000, or None for automatic)"))
    if batch_size is not None and not (_is_int(batch_size) and 1 <= batch_size <= 1_000_000):
        problems.append((Param("batch_size", batch_size), " (a whole number from 1 to 1000000, or None for automatic)"))
    if not (isinstance(lr, (int, float, np.floating)) and not isinstance(lr, bool) and math.isfinite(lr)
            and 0 < lr <= 10):
        problems.append((Param("lr", lr), " (a learning rate in (0, 10]; 0.01 is the default)"))
    if not (isinstance(weight_decay, (int, float, np.floating)) and not isinstance(weight_decay, bool)
            and math.isfinite(weight_decay) and 0 <= weight_decay <= 1):
        problems.append((Param("weight_decay", weight_decay), " (a number in [0, 1])"))
    if not (_is_int(random_state) and 0 <= random_state < 2 ** 32):
        problems.append((Param("random_state", random_state), " (a whole number from 0 to 2**32 - 1)"))
    if problems:
        parts: list = ["invalid parameter(s): "]
        for i, problem in enumerate(problems):
            parts += (["; "] if i else []) + list(problem)
        raise DataError(*parts)

