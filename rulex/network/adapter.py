"""Network: a read-only view of a trained feed-forward net.

The adapter copies the weights (as float64) out of a scikit-learn MLP, a torch
``nn.Sequential`` or a skorch net and computes every layer in numpy. The source
model is never modified (not even switched to eval mode) and torch is imported
only when a torch or skorch model is read. :func:`network_from_model` reads a model
together with the user's scikit-learn preprocessing (:mod:`rulex.network.preprocessing`).

The layers are :mod:`rulex.network.layers` and the bundle file :mod:`rulex.network.bundle`;
this module imports them, they import nothing of it.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..exceptions import DataError, NetworkError, NotFittedError, RulexWarning
from ..schema.encoder import Encoder
from ..schema.features import check_labels, to_native
from .bundle import save_network
from .layers import ACTIVATIONS, Layer, _match_classes, _sigmoid, _softmax, sklearn_layers
from .preprocessing import _frame_and_target, fold_first_layer, read_preprocessor, split_pipeline

__all__ = ["Layer", "Network", "ACTIVATIONS"]


class Network:
    """A read-only feed-forward network with the encoder that feeds it.

    Parameters
    ----------
    layers : sequence of Layer
        Hidden layers then the output layer.
    encoder : Encoder
        Fitted encoder from the user's frame to the network's inputs.
    task : {"classification", "regression"}
    classes : sequence
        Class labels in the order of the network's outputs (classification).
    metadata : dict, optional
        Where the network came from and how it was trained.

    Build it with :meth:`from_sklearn`, :meth:`from_torch`, :meth:`from_skorch`,
    :func:`rulex.train_network` or :func:`rulex.load_network`.
    """

    def __init__(self, layers: Sequence[Layer], encoder: Encoder, *, task: str = "classification",
                 classes: Sequence = (), metadata: dict | None = None):
        layers = tuple(layers)
        if not layers:
            raise NetworkError("a network needs at least one layer")
        if not isinstance(encoder, Encoder) or not hasattr(encoder, "input_names_"):
            raise NetworkError("Network needs a fitted rulex Encoder (Encoder(schema).fit(train_frame))")
        if layers[0].n_inputs != encoder.n_inputs:
            raise NetworkError(
                f"the network takes {layers[0].n_inputs} inputs but the schema encodes to {encoder.n_inputs} "
                f"({', '.join(encoder.input_names_[:8])}{', ...' if encoder.n_inputs > 8 else ''}); "
                "check that the network was trained on this data set's encoding (one-hot groups included)")
        for i, (a, b) in enumerate(zip(layers, layers[1:])):
            if b.n_inputs != a.n_units:
                raise NetworkError(f"layer {i + 1} takes {b.n_inputs} inputs but layer {i} has {a.n_units} units")
        classes = tuple(to_native(c) for c in classes)
        out = layers[-1]
        if task == "classification":
            if len(classes) < 2:
                raise NetworkError("a classification network needs at least two classes")
            if out.n_units == 1 and len(classes) == 2:
                if out.activation not in ("sigmoid", "identity"):
                    raise NetworkError("a one-unit binary output must be a sigmoid (or a logit)")
            elif out.n_units != len(classes):
                raise NetworkError(f"the output layer has {out.n_units} units but there are {len(classes)} "
                                   f"classes {list(classes)}")
        elif task == "regression":
            if out.n_units != 1:
                raise NetworkError(f"a regression network needs one output unit, it has {out.n_units}")
        else:
            raise NetworkError(f"task must be 'classification' or 'regression', got {task!r}")
        self.layers = layers
        self.encoder = encoder
        self.task = task
        self.classes = classes
        self.metadata = json.loads(json.dumps(metadata or {}, default=str))

    # -- properties ---------------------------------------------------------------------
    @property
    def schema(self):
        return self.encoder.schema

    @property
    def hidden_layers(self) -> tuple:
        return self.layers[:-1]

    @property
    def architecture(self) -> list[int]:
        """Units per layer, inputs first: e.g. ``[30, 16, 8, 2]``."""
        return [self.layers[0].n_inputs] + [layer.n_units for layer in self.layers]

    def __repr__(self):
        acts = sorted({l.activation for l in self.hidden_layers}) or ["none"]
        return (f"Network({'-'.join(map(str, self.architecture))}, hidden activation {'/'.join(acts)}, "
                f"task={self.task})")

    # -- forward ------------------------------------------------------------------------
    def _encode(self, X) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            return self.encoder.transform(X)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.encoder.n_inputs:
            raise DataError(f"expected a frame of the original columns or an encoded matrix with "
                            f"{self.encoder.n_inputs} columns, got shape {X.shape}")
        return X

    def activations(self, X) -> list[np.ndarray]:
        """Post-activation outputs of every layer (hidden layers, then the output layer).

        ``X`` is a frame of the original columns or an already encoded matrix. For a
        classifier the last entry is the class probabilities (rows x classes).
        """
        h = self._encode(X)
        outs = []
        for layer in self.layers[:-1]:
            h = layer.forward(h)
            outs.append(h)
        outs.append(self._output(h))
        return outs

    def _output(self, h: np.ndarray) -> np.ndarray:
        out = self.layers[-1]
        z = out.forward(h, pre=True)
        if self.task == "regression":
            return ACTIVATIONS[out.activation](z)[:, 0]
        if out.n_units == 1:
            p = _sigmoid(z[:, 0])
            return np.column_stack([1.0 - p, p])
        return _softmax(z)

    def _user_frame(self, X) -> pd.DataFrame:
        """The user's rows as a frame: a DataFrame as it is, a Series or dict as one row, an array
        (or list of rows) as the schema's features in order, in the user's units."""
        names = self.schema.feature_names
        if isinstance(X, pd.DataFrame):
            return X
        if isinstance(X, pd.Series):
            return X.to_frame().T.infer_objects()
        if isinstance(X, dict):
            return pd.DataFrame([X])
        arr = np.asarray(X, dtype=object)
        if arr.ndim == 1 and len(arr) == len(names):
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != len(names):
            hint = (f"; it has {self.encoder.n_inputs} columns like the encoded inputs: pass encoded inputs "
                    "to predict_encoded()" if arr.ndim == 2 and arr.shape[1] == self.encoder.n_inputs else "")
            raise DataError(f"expected the user's rows: a DataFrame with the columns {names[:6]}"
                            f"{'...' if len(names) > 6 else ''}, or an array of {len(names)} columns in that order; "
                            f"got shape {arr.shape}{hint}")
        return pd.DataFrame(arr, columns=names).infer_objects()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (rows x classes) for the user's rows (see :meth:`predict`)."""
        if self.task != "classification":
            raise NetworkError("predict_proba is for classification networks; use predict")
        return self.activations(self._user_frame(X))[-1]

    def predict_proba_encoded(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities for already encoded network inputs (rows x ``encoder.n_inputs``)."""
        if self.task != "classification":
            raise NetworkError("predict_proba_encoded is for classification networks; use predict_encoded")
        return self.activations(self._encoded_matrix(X))[-1]

    def predict_index(self, X) -> np.ndarray:
        """Class index (classification) or value (regression) per row of a frame of the user's columns
        or of an already encoded matrix (rows x ``encoder.n_inputs``)."""
        out = self.activations(X)[-1]
        return out if self.task == "regression" else out.argmax(axis=1)

    def predict(self, X) -> np.ndarray:
        """Predictions in the user's representation: class labels or numbers.

        ``X`` holds the user's rows in the user's units: a DataFrame with the schema's columns, a
        Series or dict (one row), or an array whose columns are the schema's features in order.
        Encoded network inputs go to :meth:`predict_encoded`.
        """
        return self._labels(self.predict_index(self._user_frame(X)))

    def predict_encoded(self, X: np.ndarray) -> np.ndarray:
        """Predictions (labels or numbers) for already encoded network inputs."""
        return self._labels(self.predict_index(self._encoded_matrix(X)))

    def _labels(self, out: np.ndarray) -> np.ndarray:
        if self.task == "regression":
            return out
        return np.array(self.classes)[out]

    def _encoded_matrix(self, X) -> np.ndarray:
        if isinstance(X, (pd.DataFrame, pd.Series)):
            raise DataError("encoded inputs are a numeric matrix; pass the user's frame to predict()/predict_proba()")
        return self._encode(X)

    def check_dataset(self, dataset, what: str = "data set") -> None:
        """Raise a :class:`DataError` unless ``dataset`` has the network's columns and its target
        holds the network's classes (classification) or numbers (regression).

        Labels are compared by value: ``"YES"`` is not ``"yes"`` and ``1`` is not ``"1"``; scoring such
        a target would report accuracy 0 without a word, so it is refused with the closest class named.
        """
        self.schema.check_frame(dataset.frame, what=what, allow_missing=bool(getattr(self.encoder, "fill_", {})))
        check_labels(dataset.y, self.task, self.classes, target=dataset.target, what=what)

    # -- identity -----------------------------------------------------------------------
    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for layer in self.layers:
            h.update(layer.activation.encode())
            h.update(np.ascontiguousarray(layer.weights).tobytes())
            h.update(np.ascontiguousarray(layer.bias).tobytes())
        h.update(json.dumps(self.encoder.to_dict(), sort_keys=True, default=str).encode())
        h.update(json.dumps([self.task, list(self.classes)], default=str).encode())
        return h.hexdigest()[:16]

    def __eq__(self, other):
        return isinstance(other, Network) and self.fingerprint() == other.fingerprint()

    def warn_if_other_source(self, provenance: dict, consequence: str, stacklevel: int = 3) -> None:
        """Warn (:class:`~rulex.RulexWarning`) when ``provenance`` names another network's fingerprint
        (rules extracted from another model), saying what that means for the caller (``consequence``)."""
        fp = (provenance or {}).get("network_fingerprint")
        if fp and fp != self.fingerprint():
            warnings.warn(f"these rules were extracted from network {fp}, not from this one ({self.fingerprint()}); "
                          f"{consequence}", RulexWarning, stacklevel=stacklevel + 1)

    __hash__ = None  # type: ignore[assignment]  # networks compare by fingerprint, are not hashable

    # -- adapters -----------------------------------------------------------------------
    @classmethod
    def from_sklearn(cls, mlp, encoder) -> "Network":
        """Read a fitted ``MLPClassifier``/``MLPRegressor`` trained on ``encoder.transform(frame)``.

        ``encoder`` is a fitted :class:`Encoder` or the training :class:`Dataset` (fitted on it).

        ``mlp`` may also be a fitted ``Pipeline([ColumnTransformer(...), MLP])`` whose transformers
        are StandardScaler, MinMaxScaler, OneHotEncoder or passthrough; then ``encoder`` is the
        training :class:`Dataset` (or frame) and the user's scaling is folded into a copy of the
        first layer, so rules come out in original units (see :mod:`rulex.network.pipeline`).
        """
        from sklearn.neural_network import MLPRegressor
        from sklearn.pipeline import Pipeline
        if isinstance(mlp, Pipeline):
            return network_from_pipeline(mlp, encoder)
        encoder = _as_encoder(encoder)
        layers = sklearn_layers(mlp)
        if isinstance(mlp, MLPRegressor):
            return cls(layers, encoder, task="regression", metadata={"source": "sklearn.MLPRegressor"})
        classes = _match_classes(list(mlp.classes_), encoder.schema.classes)
        return cls(layers, encoder, task="classification", classes=classes,
                   metadata={"source": "sklearn.MLPClassifier"})

    @classmethod
    def from_torch(cls, module, encoder, task: str | None = None, preprocessor=None) -> "Network":
        """Read a torch ``nn.Sequential`` of ``Linear`` layers and activations.

        With ``preprocessor`` (a fitted ColumnTransformer or scaler the module reads the output
        of), ``encoder`` is the training :class:`Dataset`; see :mod:`rulex.network.pipeline`.

        Accepted modules: Linear, Sigmoid, Tanh, ReLU, Identity, Dropout (ignored:
        evaluation semantics), and a final Softmax/LogSoftmax/Sigmoid. The last Linear
        gives logits (one per class, or one for a binary problem), or the value for
        regression. Inputs are ``encoder.transform(frame)``.
        """
        import torch.nn as nn
        if preprocessor is not None:
            return _with_preprocessor(module, preprocessor, encoder, task)
        encoder = _as_encoder(encoder)
        if isinstance(module, nn.Module) and not isinstance(module, nn.Sequential):
            children = list(module.children())
            if len(children) == 1 and isinstance(children[0], nn.Sequential):
                module = children[0]
        if not isinstance(module, nn.Sequential):
            raise NetworkError(f"from_torch reads an nn.Sequential of Linear layers and activations, got "
                               f"{type(module).__name__}; wrap your layers in nn.Sequential")
        acts = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.ReLU: "relu", nn.Identity: "identity"}
        pending = None
        layers = []
        mods = [m for m in module if not isinstance(m, (nn.Dropout, nn.Identity))]
        for i, m in enumerate(mods):
            last = i == len(mods) - 1
            if isinstance(m, nn.Linear):
                if pending is not None:
                    layers.append(Layer(*pending, "identity"))
                w = m.weight.detach().cpu().numpy().astype(np.float64)
                b = (m.bias.detach().cpu().numpy().astype(np.float64) if m.bias is not None
                     else np.zeros(w.shape[0]))
                pending = (w, b)
            elif type(m) in acts and pending is not None:
                layers.append(Layer(*pending, acts[type(m)]))
                pending = None
            elif last and isinstance(m, (nn.Softmax, nn.LogSoftmax)) and pending is not None:
                layers.append(Layer(*pending, "softmax"))
                pending = None
            else:
                raise NetworkError(f"module {i} ({type(m).__name__}) is not supported; rulex reads Linear, "
                                   "Sigmoid, Tanh, ReLU, Identity, Dropout and a final Softmax")
        if pending is not None:
            layers.append(Layer(*pending, "identity"))
        task = task or encoder.schema.task
        out = layers[-1]
        if task == "classification" and out.activation == "identity" and out.n_units > 1:
            layers[-1] = Layer(out.weights, out.bias, "softmax")
        return cls(layers, encoder, task=task, classes=encoder.schema.classes if task == "classification" else (),
                   metadata={"source": "torch.nn.Sequential"})

    @classmethod
    def from_skorch(cls, net, encoder, preprocessor=None) -> "Network":
        """Read a fitted skorch ``NeuralNetClassifier``/``NeuralNetRegressor`` whose module is a Sequential.

        With ``preprocessor``, ``encoder`` is the training :class:`Dataset` (as in :meth:`from_torch`).
        """
        if not getattr(net, "initialized_", False):
            raise NotFittedError("the skorch net is not initialized/fitted; call fit() first")
        if preprocessor is not None:
            return _with_preprocessor(net, preprocessor, encoder, None)
        encoder = _as_encoder(encoder)
        task = "regression" if type(net).__name__.endswith("Regressor") else "classification"
        network = cls.from_torch(net.module_, encoder, task=task)
        if task == "classification" and getattr(net, "classes_", None) is not None:
            classes = _match_classes(list(net.classes_), encoder.schema.classes)
            network = cls(network.layers, encoder, task=task, classes=classes, metadata={"source": "skorch"})
        else:
            network.metadata = {"source": "skorch"}
        return network

    # -- persistence --------------------------------------------------------------------
    def save(self, path) -> str:
        """Write a model bundle (zip of JSON metadata and a NumPy weights archive; no pickles)."""
        return save_network(self, path)


def _with_preprocessor(model, preprocessor, data, task) -> "Network":
    if not isinstance(data, Dataset):
        raise NetworkError("with a preprocessor, pass the training Dataset (not an Encoder) as the second argument")
    task = task or data.schema.task
    classes = data.schema.classes if task == "classification" else None
    return network_from_model(model, preprocessor, data, task=task, classes=classes)


def _as_encoder(encoder) -> Encoder:
    if isinstance(encoder, Dataset):
        return Encoder(encoder.schema).fit(encoder.frame)
    if isinstance(encoder, Encoder):
        if not hasattr(encoder, "input_names_"):
            raise NotFittedError("the Encoder is not fitted; call encoder.fit(train_frame)")
        return encoder
    raise NetworkError(f"expected a fitted Encoder or the training Dataset, got {type(encoder).__name__}")


def network_from_model(model, preprocessor, data, *, task: str | None = None, classes=None, target=None):
    """A :class:`Network` on rulex's encoding from a model that reads ``preprocessor``'s output.

    Parameters
    ----------
    model : fitted MLPClassifier/MLPRegressor, torch ``nn.Sequential`` or fitted skorch net
    preprocessor : fitted ColumnTransformer, StandardScaler, MinMaxScaler, OneHotEncoder or None
        What turns the user's frame into the model's inputs (None: the numeric columns as they are).
    data : Dataset or DataFrame
        Training rows in original units.
    task : {"classification", "regression"}, optional
        Needed for a bare torch module (otherwise read from the model).
    classes : sequence, optional
        Class labels in the order of a torch module's outputs (default: sorted target values).
    target : str, optional
        Name of the target column when ``data`` is a frame that holds it.

    Returns
    -------
    Network

    Raises
    ------
    NetworkError
        For an unsupported model, transformer or option.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    frame, target = _frame_and_target(data, target)
    kind = type(model).__name__
    model_classes = None
    if isinstance(model, (MLPClassifier, MLPRegressor)):
        task = "classification" if isinstance(model, MLPClassifier) else "regression"
        model_classes = getattr(model, "classes_", None)
    elif hasattr(model, "module_") and hasattr(model, "initialized_"):        # skorch
        task = "regression" if kind.endswith("Regressor") else "classification"
        model_classes = getattr(model, "classes_", None)
    if task is None:
        raise NetworkError(f"say task='classification' or 'regression' for a {kind}")
    if task == "classification" and classes is None and target is not None:
        classes = sorted(frame[target].map(to_native).unique().tolist(), key=lambda v: (str(type(v)), v))
    if task == "classification" and model_classes is not None:
        # the model's own labels, or its indices 0..K-1 mapped onto the data's labels
        classes = list(model_classes) if classes is None else list(_match_classes(list(model_classes), tuple(classes)))
    if task == "classification" and classes is None:
        raise NetworkError("a classifier needs its classes (or the training target)")
    classes = tuple(to_native(v) for v in classes) if task == "classification" else ()
    features = frame.drop(columns=[target]) if target is not None else frame
    encoder, A, c = read_preprocessor(preprocessor, features, target=target, task=task, classes=classes)
    if isinstance(model, (MLPClassifier, MLPRegressor)):
        layers = sklearn_layers(model)
        source = f"sklearn.{kind}"
    elif hasattr(model, "module_") and hasattr(model, "initialized_"):
        layers = list(Network.from_skorch(model, encoder).layers)
        source = "skorch"
    else:
        layers = list(Network.from_torch(model, encoder, task=task).layers)
        source = "torch.nn.Sequential"
    layers = fold_first_layer(layers, A, c)
    meta = {"source": source, "preprocessor": "none" if preprocessor is None else type(preprocessor).__name__}
    return Network(layers, encoder, task=task, classes=classes, metadata=meta)


def network_from_pipeline(model, data):
    """``Pipeline([preprocessor, MLP])``, or a bare MLP trained on the raw numeric columns, as a Network."""
    pre, final = split_pipeline(model)
    return network_from_model(final, pre, data)
