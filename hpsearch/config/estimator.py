"""The keys of a config that names a scikit-learn estimator: `estimator`, `cv`, `scoring`.

Checked when the config is read, like every other key: the class imports, `params` and
`space` name its parameters (an unknown one suggests the nearest), `cv` is a number of folds,
`scoring` a scorer's name. The search's metric is the scoring, greater is better (scikit-learn
negates errors: `neg_mean_squared_error`). Only such configs import scikit-learn.
"""

from __future__ import annotations

from ..errors import UserError

DEFAULT_CV = 5


def check_estimator(raw: dict, params: dict, space: dict, search: dict) -> dict:
    """The config's estimator fields (estimator, cv, scoring), checked; sets the search's
    metric and goal from the scoring. Raises UserError located at the key."""
    from ..estimators.folds import fold_pruning  # noqa: PLC0415  (scikit-learn)
    from ..estimators.named import check_config, metric_of  # noqa: PLC0415

    out = check_config(
        raw["estimator"], params, space, raw.get("cv", DEFAULT_CV), raw.get("scoring")
    )
    metric = metric_of(out["scoring"])
    given = (raw.get("search") or {}).get("metric")
    if given not in (None, metric):
        raise UserError(
            f"an estimator's search optimises its scoring ({metric}), not {given}",
            key="search.metric",
            fix="remove search.metric, or set scoring: to the metric",
        )
    if (raw.get("search") or {}).get("goal") not in (None, "maximize"):
        raise UserError(
            "scikit-learn's scores are greater-is-better (errors are negated, such as "
            "neg_mean_squared_error)",
            key="search.goal",
            fix="remove search.goal",
        )
    search.update(metric=metric, goal="maximize")
    prune = fold_pruning((raw.get("search") or {}).get("prune"))
    if isinstance(prune, dict) and prune.get("method") == "median":
        search["prune"]["warmup"] = prune["warmup"]
    return out


def estimator_keys(raw: dict, objective) -> str | None:
    """The estimator's name, with cv and scoring only beside it, and not with an objective."""
    estimator = raw.get("estimator")
    if estimator is not None and objective is not None:
        raise UserError(
            "objective and estimator are both given",
            key="estimator",
            fix="keep one: your function, or a scikit-learn estimator to cross-validate",
        )
    for key in ("cv", "scoring"):
        if key in raw and estimator is None:
            raise UserError(
                f"{key} applies to estimator:",
                key=key,
                fix="name the estimator to cross-validate, or remove it",
            )
    if estimator is not None and not isinstance(estimator, str):
        raise UserError(
            f"{estimator!r} is not a class name",
            key="estimator",
            fix="write estimator: sklearn.ensemble.HistGradientBoostingClassifier",
        )
    return estimator
