"""The demo sanity check's verdict: it passes only when the real run beats chance and the controls do not."""
import pytest

from experiments.demo_controls import chance_band, verdict


def test_chance_band_is_two_binomial_standard_deviations():
    low, high = chance_band(48, 3)
    assert (low, high) == pytest.approx((1 / 3 - 2 * (2 / 9 / 48) ** 0.5, 1 / 3 + 2 * (2 / 9 / 48) ** 0.5))


@pytest.mark.parametrize("main, shuffled, still, passed", [
    (0.80, 0.35, 0.30, True),
    (0.40, 0.35, 0.30, False),    # main within the chance band
    (0.80, 0.75, 0.30, False),    # a control learned something: leakage or a bug
    (0.80, 0.33, 0.70, False),
])
def test_verdict(main, shuffled, still, passed):
    scores = {name: {"accuracy": acc, "n_samples": 48} for name, acc in
              (("main", main), ("shuffled", shuffled), ("still", still))}
    judged, ok = verdict(scores, 3)
    assert ok is passed
    assert judged["main"] == ("above chance" if main > 0.47 else "near chance")
