"""Simulated battles with known strengths, for tests, benchmarks and sanity checks.

Battles pair two different models uniformly at random. With ``tie_rate`` 0 the outcome follows
Bradley-Terry exactly, so the fit should recover ``ratings``; ties are drawn independently of
strength and shrink fitted rating differences, which changes the scale but not the order.
"""

from dataclasses import dataclass

import numpy as np

from evaluators.ratings_battle import ELO_PER_LOG_ODDS, INIT_RATING, TIE, WIN_A, WIN_B, WINNERS, Battle, EncodedBattles


@dataclass(frozen=True)
class Simulation:
    battles: EncodedBattles
    strengths: np.ndarray  # log-odds, mean zero

    @property
    def ratings(self) -> np.ndarray:
        """True ratings on the leaderboard's scale (mean 1000)."""
        return INIT_RATING + ELO_PER_LOG_ODDS * self.strengths

    def rows(self, start_time: float = 1.7e9) -> list[Battle]:
        """The battles as `Battle` rows, one second apart."""
        names, winners = self.battles.models, WINNERS
        return [
            Battle(names[a], names[b], winners[o], start_time + i)
            for i, (a, b, o) in enumerate(
                zip(
                    self.battles.model_a.tolist(),
                    self.battles.model_b.tolist(),
                    self.battles.outcome.tolist(),
                    strict=True,
                )
            )
        ]


def simulate(
    n_battles: int,
    n_models: int,
    seed: int = 0,
    spread: float = 1.0,
    tie_rate: float = 0.0,
    strengths: np.ndarray | None = None,
) -> Simulation:
    """``n_battles`` battles among models whose log-odds strengths are N(0, ``spread``)."""
    rng = np.random.default_rng(seed)
    if strengths is None:
        strengths = rng.normal(0.0, spread, n_models)
    strengths = np.asarray(strengths, dtype=float) - np.mean(strengths)
    first = rng.integers(0, n_models, n_battles)
    second = rng.integers(0, n_models - 1, n_battles)
    second += second >= first
    a_wins = rng.random(n_battles) < 1.0 / (1.0 + np.exp(strengths[second] - strengths[first]))
    outcome = np.where(a_wins, WIN_A, WIN_B)
    outcome[rng.random(n_battles) < tie_rate] = TIE
    names = tuple(f"model-{i:03d}" for i in range(n_models))
    encoded = EncodedBattles(names, first.astype(np.int32), second.astype(np.int32), outcome.astype(np.int8))
    return Simulation(encoded, strengths)
