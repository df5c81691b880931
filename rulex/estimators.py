"""scikit-learn estimators: rule extraction as ``fit(X, y)`` / ``predict(X)``.

:class:`RuleExtractorClassifier` and :class:`RuleExtractorRegressor` wrap the whole rulex flow
(wrap or train a network, extract rules with any registered method) behind the scikit-learn
estimator API, so rule extraction sits in a ``Pipeline``, a ``GridSearchCV`` over method
parameters, ``cross_val_score`` and ``clone``. The fitted rules are ``rules_`` (a
:class:`~rulex.rules.RuleSet` in the user's units), the network they explain ``model_``.

>>> import rulex
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True, as_frame=True)
>>> clf = rulex.RuleExtractorClassifier(max_epochs=40, method_params={"max_leaf_nodes": 4}).fit(X, y)
>>> len(clf.rules_) <= 4 and clf.score(X, y) > 0.8
True
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError as _SkNotFitted
from sklearn.metrics import r2_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_consistent_length, check_is_fitted, column_or_1d, validate_data

from .data.dataset import Dataset
from .exceptions import DataError, NetworkError, UnknownNameError
from .extractors.base import EXTRACTORS, BaseExtractor, extractor_class, seeded_extractor
from .network.adapter import Network
from .network.pipeline import network_from_model, split_pipeline
from .network.train import train_network
from .schema.features import Schema, to_native

__all__ = ["RuleExtractorClassifier", "RuleExtractorRegressor"]

_COMMON_PARAMS = """
    Parameters
    ----------
    model : Network, scikit-learn MLP or Pipeline, torch module, skorch net, or None, default None
        The model whose behaviour the rules describe.

        * ``None``: a network is trained on ``(X, y)`` with :func:`rulex.train_network`
          (``hidden_layer_sizes``, ``activation``, ``max_epochs``, ``random_state``).
        * a rulex :class:`~rulex.Network`: used as it is; ``X`` must hold its schema's columns.
        * a fitted ``MLPClassifier``/``MLPRegressor`` (trained on the numeric columns of ``X`` as
          they are) or a fitted ``Pipeline([ColumnTransformer(...), MLP])`` whose transformers are
          StandardScaler, MinMaxScaler, OneHotEncoder or passthrough: read exactly, the user's
          scaling folded into rulex's encoding (see :mod:`rulex.network.pipeline`). An UNFITTED
          MLP or Pipeline is cloned and fitted on ``(X, y)`` first. Note that ``clone`` (hence
          ``GridSearchCV`` and ``cross_val_score``) unfits a fitted scikit-learn model given as a
          parameter; wrap it in ``sklearn.frozen.FrozenEstimator`` (or pass
          ``rulex.Network.from_sklearn(pipeline, train)``) to keep it fitted.
        * a torch ``nn.Sequential`` or a fitted skorch net: reads ``preprocessor.transform(X)``
          (or the numeric columns of ``X`` when ``preprocessor`` is None); for a classifier the
          outputs follow the sorted class labels.
    method : str or extractor, default "surrogate_tree"
        A registered method name (``rulex.available_methods()``) or an extractor instance such
        as ``rulex.extractors.SurrogateTree(max_leaf_nodes=8)`` (then ``GridSearchCV`` can tune
        ``method__max_leaf_nodes``).
    method_params : dict or None, default None
        Parameters of the method (they override those of an extractor instance). Its
        ``random_state`` defaults to this estimator's.
    preprocessor : fitted ColumnTransformer or scaler, or None, default None
        What turns ``X`` into a torch or skorch model's inputs (ignored for the other models).
    feature_names : sequence of str or None, default None
        Column names when ``X`` is an array (default ``x0, x1, ...``); ignored for a frame.
    hidden_layer_sizes : tuple of int, default (16,)
        Hidden layers of the network trained when ``model`` is None.
    activation : {"sigmoid", "tanh", "relu"}, default "sigmoid"
        Hidden activation of that network.
    max_epochs : int or None, default None
        Training epochs of that network (None: about 4000 gradient steps).
    random_state : int, default 0
        Seed of the network training and of the extraction method.
    score_against : {"model", "truth"}, default "model"
        What :meth:`score` compares the rules' predictions with: the model's predictions
        (fidelity, the default) or ``y`` (accuracy, or R² for the regressor).
"""


class _RuleExtractor(BaseEstimator):
    _task = ""
    _columns: list
    _names_given: bool

    def __init__(self, model=None, method="surrogate_tree", method_params=None, *, preprocessor=None,
                 feature_names=None, hidden_layer_sizes=(16,), activation="sigmoid", max_epochs=None,
                 random_state=0, score_against="model"):
        self.model = model
        self.method = method
        self.method_params = method_params
        self.preprocessor = preprocessor
        self.feature_names = feature_names
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.max_epochs = max_epochs
        self.random_state = random_state
        self.score_against = score_against

    # -- inputs ---------------------------------------------------------------------------
    def _frame(self, X, y=None, *, reset: bool):
        """Validate ``X`` (and ``y`` when fitting) and return a frame with the fitted column names."""
        fitting = y is not None or reset
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1 or X.shape[1] < 1:
                raise ValueError(f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
                                 f"(shape={X.shape}) while a minimum of 1 is required.")
            frame = X.copy()
            frame.columns = [str(c) for c in X.columns] if reset else self._columns
            for col in frame.columns:
                s = frame[col]
                if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                    v = s.to_numpy(dtype=np.float64, na_value=np.nan)
                    if not np.isfinite(v).all():
                        raise ValueError(f"Input X contains NaN or infinity in column {col!r}.")
            if fitting:
                y = self._check_y(y)
                check_consistent_length(frame, y)
            if reset:
                self._columns = list(frame.columns)
                self._names_given = False
            return frame, y
        kw = dict(dtype=np.float64, ensure_min_samples=1)
        if fitting:
            X, y = validate_data(self, X, y, reset=True, y_numeric=self._task == "regression", **kw)
            y = self._check_y(y)
        elif getattr(self, "_names_given", False):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="X does not have valid feature names")
                X = validate_data(self, X, reset=False, **kw)
        else:
            X = validate_data(self, X, reset=False, **kw)
        if reset:
            names = self.feature_names
            if names is None:
                self._columns = [f"x{j}" for j in range(X.shape[1])]
                self._names_given = False
            else:
                names = [str(n) for n in names]
                if len(names) != X.shape[1] or len(set(names)) != len(names):
                    raise DataError(f"feature_names must be {X.shape[1]} distinct names (one per column of X), "
                                    f"got {len(names)}")
                self._columns = names
                self._names_given = True
                self.feature_names_in_ = np.asarray(names, dtype=object)
        return pd.DataFrame(X, columns=self._columns), y

    def _check_y(self, y):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        y = check_array(y, ensure_2d=False, dtype="numeric" if self._task == "regression" else None,
                        input_name="y")
        y = column_or_1d(y, warn=True)
        if self._task == "classification":
            check_classification_targets(y)
        return y

    # -- fitting --------------------------------------------------------------------------
    def _check_params(self):
        if self.score_against not in ("model", "truth"):
            raise DataError(f"score_against must be 'model' or 'truth', got {self.score_against!r}")
        if self.method_params is not None and not isinstance(self.method_params, dict):
            raise DataError(f"method_params must be a dict or None, got {type(self.method_params).__name__}")
        if isinstance(self.method, str):
            try:
                extractor_class(self.method)
            except UnknownNameError as exc:
                raise DataError(f"method: {exc}") from None
        if not isinstance(self.method, (str, BaseExtractor)):
            raise DataError(f"method must be a method name ({', '.join(sorted(EXTRACTORS))}) or an extractor, "
                            f"got {type(self.method).__name__}")

    def _extractor(self) -> BaseExtractor:
        params = dict(self.method_params or {})
        if isinstance(self.method, BaseExtractor):
            ex = clone(self.method)
            if params:
                ex.set_params(**params)
        else:
            ex = seeded_extractor(self.method, params, self.random_state)
        return ex

    def _target_name(self, columns) -> str:
        name = "target"
        while name in columns:
            name += "_"
        return name

    def _network(self, frame: pd.DataFrame, y: np.ndarray) -> tuple:
        """The network to explain and the Dataset to extract from."""
        model = self.model
        task = self._task
        if isinstance(model, Network):
            if model.task != task:
                raise NetworkError(f"{type(self).__name__} explains a {task} model; the Network is a {model.task} "
                                   "network")
            target = model.schema.target or self._target_name(frame.columns)
            if target in frame.columns:
                target = self._target_name(frame.columns)
            data = frame.assign(**{target: y})
            schema = model.schema
            if schema.target != target:
                schema = Schema(schema.features, target=target, task=schema.task, classes=schema.classes)
            return model, Dataset(data, target, schema)
        target = self._target_name(frame.columns)
        data = frame.assign(**{target: [to_native(v) for v in y]} if task == "classification" else {target: y})
        if model is None:
            ds = Dataset.from_frame(data, target, task=task)
            net = train_network(ds, self.hidden_layer_sizes, self.activation, max_epochs=self.max_epochs,
                                random_state=self.random_state)
            return net, ds
        if type(model).__name__ == "FrozenEstimator":
            model = model.estimator
        from sklearn.base import BaseEstimator as _Est
        pre = self.preprocessor
        if isinstance(model, _Est) and not hasattr(model, "module_"):   # scikit-learn model or Pipeline
            try:
                check_is_fitted(model)
            except _SkNotFitted:
                if type(model).__name__ != "Pipeline":
                    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
                    if text:
                        raise NetworkError(f"a bare {type(model).__name__} reads numeric columns only, and {text} "
                                           "are not; give a Pipeline with a OneHotEncoder") from None
                model = clone(model)
                if "random_state" in model.get_params() and model.get_params()["random_state"] is None:
                    model.set_params(random_state=self.random_state)
                model.fit(frame, y)
            pre, model = split_pipeline(model)
        try:
            net = network_from_model(model, pre, data, task=task, target=target)
        except ImportError:   # pragma: no cover - torch missing
            raise NetworkError(f"cannot read a {type(model).__name__}") from None
        if net.task != task:
            raise NetworkError(f"{type(self).__name__} explains a {task} model; the model is a {net.task} model")
        return net, Dataset(data, target, net.schema)

    def fit(self, X, y):
        """Wrap (or train) the model on ``(X, y)`` and extract rules from it.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            The rows to extract from, in original units (frames may hold categorical columns).
        y : array-like of shape (n_samples,)
            The true targets (used to train a model when ``model`` is None or unfitted).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For invalid data or parameters (rulex's errors subclass ValueError).
        """
        self._check_params()
        frame, y = self._frame(X, y, reset=True)
        if self._task == "classification" and len(np.unique(y)) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in the data, but the data "
                             f"contains only one class: {np.unique(y)[0]!r}")
        net, ds = self._network(frame, y)
        extractor = self._extractor().fit(net, ds)
        self.model_ = net
        self.extractor_ = extractor
        self.rules_ = extractor.rules_
        if self._task == "classification":
            labels = np.unique(y)
            same = set(to_native(v) for v in labels) == set(net.classes)
            self.classes_ = labels if same else np.asarray(net.classes)
            self._fit_proba(frame, net.predict(frame))
        return self

    def _check_fitted(self):
        check_is_fitted(self, "rules_")

    def predict(self, X):
        """The rules' prediction for each row of ``X``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        self._check_fitted()
        frame, _ = self._frame(X, reset=False)
        return self.rules_.predict(frame)

    def _reference(self, frame, y):
        return self.model_.predict(frame) if self.score_against == "model" else y


class RuleExtractorClassifier(ClassifierMixin, _RuleExtractor):
    __doc__ = """Rules that explain a classifier network, as a scikit-learn classifier.
""" + _COMMON_PARAMS + """
    Attributes
    ----------
    rules_ : RuleSet
        The extracted rules, in the units and category names of ``X``.
    model_ : Network
        The network the rules describe.
    extractor_ : BaseExtractor
        The fitted extractor.
    classes_ : numpy.ndarray
        The class labels (the columns of :meth:`predict_proba`).
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
        Column names of ``X`` (for a frame with string names, or given as ``feature_names``).

    Notes
    -----
    :meth:`predict_proba` is read from the rule that decides a row (the first firing rule of an
    ordered list; the earliest firing rule of the winning class of an unordered set; the default
    rule when none fires): the shares of the model's predicted classes among the training rows
    that rule decided, with the rule's conclusion counted as many extra times as needed (at least
    once) to be the strict favourite, so ``predict_proba(X).argmax(1)`` always gives
    :meth:`predict`. A rule that decided no training row gives its conclusion probability 1.
    """

    _task = "classification"

    def _fit_proba(self, frame, y_net):
        classes = [to_native(c) for c in self.classes_]
        index = {c: k for k, c in enumerate(classes)}
        decided = self.rules_.decide(frame)
        R, K = len(self.rules_), len(classes)
        counts = np.zeros((R + 1, K))
        for r, label in zip(decided, y_net):
            k = index.get(to_native(label))
            if k is not None:
                counts[r if r >= 0 else R, k] += 1
        conclusions = [r.conclusion for r in self.rules_.rules] + [self.rules_.default]
        for r, concl in enumerate(conclusions):
            k = index[concl]
            others = np.delete(counts[r], k)
            counts[r, k] += max(1.0, (others.max() if len(others) else 0.0) - counts[r, k] + 1.0)
        self.rule_proba_ = counts / counts.sum(axis=1, keepdims=True)

    def predict_proba(self, X):
        """Class probabilities read from the deciding rule (see the class Notes).

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        self._check_fitted()
        frame, _ = self._frame(X, reset=False)
        decided = self.rules_.decide(frame)
        return self.rule_proba_[np.where(decided >= 0, decided, len(self.rules_))]

    def score(self, X, y, sample_weight=None):
        """Share of rows where the rules agree with the model (``score_against="model"``) or with ``y``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
        """
        self._check_fitted()
        frame, _ = self._frame(X, reset=False)
        ref = self._reference(frame, column_or_1d(np.asarray(y, dtype=object)))
        pred = self.rules_.predict(frame)
        check_consistent_length(ref, pred)
        agree = np.fromiter((to_native(a) == to_native(b) for a, b in zip(ref, pred)), dtype=bool, count=len(pred))
        return float(np.average(agree, weights=sample_weight))


class RuleExtractorRegressor(RegressorMixin, _RuleExtractor):
    __doc__ = """Rules that explain a regression network, as a scikit-learn regressor.
""" + _COMMON_PARAMS + """
    Attributes
    ----------
    rules_ : RuleSet
        The extracted rules (constant or linear conclusions), in the units of ``X``.
    model_ : Network
        The network the rules describe.
    extractor_ : BaseExtractor
        The fitted extractor.
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
    """

    _task = "regression"

    def score(self, X, y, sample_weight=None):
        """R² of the rules against the model (``score_against="model"``) or against ``y``.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
        """
        self._check_fitted()
        frame, _ = self._frame(X, reset=False)
        ref = np.asarray(self._reference(frame, np.asarray(y, dtype=np.float64)), dtype=np.float64)
        return float(r2_score(ref, self.rules_.predict(frame), sample_weight=sample_weight))
