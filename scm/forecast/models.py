"""The registry of forecasting models by name."""

from __future__ import annotations

from scm.errors import InputError
from scm.forecast.base import DEFAULT_QUANTILES, Forecaster
from scm.forecast.baselines import TSB, Croston, MovingAverage, Naive, SeasonalNaive
from scm.forecast.lgbm import LGBMForecaster

MODELS: dict[str, type] = {
    "lgbm": LGBMForecaster,
    "seasonal_naive": SeasonalNaive,
    "naive": Naive,
    "moving_average": MovingAverage,
    "croston": Croston,
    "tsb": TSB,
}


def make_forecaster(
    name: str,
    *,
    freq: str,
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
    seed: int = 0,
    progress: bool = False,
) -> Forecaster:
    """A new, unfitted model by name (see `MODELS`).

    Raises:
        InputError: the name is not a known model.
    """
    if name not in MODELS:
        raise InputError(f"unknown model '{name}'", source="--model", fix=f"choose one of {', '.join(MODELS)}")
    if name == "lgbm":
        return LGBMForecaster(freq, quantiles, seed, progress=progress)
    return MODELS[name](freq, quantiles, seed)
