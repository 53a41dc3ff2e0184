"""Fitting, reading labelled data, evaluation and the model card: not on the scoring path
(``import shitstorm`` never imports this package).

    fit          train_and_save: labelled CSVs (+ real background) → a model directory
    dataset      read_table, the one reader of data CSVs; labelled CSVs validated
    background   real unlabelled posts, the held-out split
    datacheck    small or skewed data; retrain: on top of the shipped corpus (train --base)
    metrics, baseline, evaluation, evaluate, team_rates, report, review   measuring a model
    card, own_card   the model cards; pii_eval   the personal-data corpus figures
"""

__all__ = ["train_and_save"]


def __getattr__(name: str):
    # imported on first use: ``shitstorm.train.dataset`` (the CLI's error types) must not pull in
    # ``fit`` and with it scikit-learn
    if name == "train_and_save":
        from .fit import train_and_save

        return train_and_save
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
