"""How honest the release-day verdicts are, and how fast: simulated fortnights, no Spark.

For each scenario (crashes in bursts per client, now and then one machine crashing 100
times in an hour), equal releases are monitored every hour for 14 days, and the share
of seeds ever called different is printed for the always-valid interval
(:mod:`lib.analysis.sequential`) and for the nightly's fixed 95% interval recomputed
every hour; then how many hours after release a true 1.5x regression is established,
at the demo's Mac volume and at ten times it. ``make bench`` runs it.

    python -m jobs.calibrate_release_day [--seeds 300]
"""

from __future__ import annotations

import argparse
import statistics
import time

from lib.analysis.compare import thresholds
from lib.analysis.sequential import confidence_sequence, fixed_interval_lower_bounds
from lib.synthetic.release_days import Scenario, release_fortnight

EQUAL = {
    "poisson crashes": Scenario(burst_mean=1.0, storm_probability=0.0),
    "bursts": Scenario(storm_probability=0.0),
    "bursts and storms": Scenario(),
}


def false_alarms(scenario: Scenario, seeds: int, bound: float) -> tuple[float, float]:
    """Share of seeds whose lower bound ever passes ``bound``: the sequence's, the fixed interval's."""
    sequence = fixed = 0
    for seed in range(seeds):
        hours = release_fortnight(scenario, seed)
        sequence += any(look.low > bound for look in confidence_sequence(hours))
        fixed += any(low > bound for low in fixed_interval_lower_bounds(hours))
    return sequence / seeds, fixed / seeds


def hours_to_establish(scenario: Scenario, seeds: int) -> list[int | None]:
    materiality = thresholds().materiality
    return [
        next(
            (look.hour for look in confidence_sequence(release_fortnight(scenario, seed)) if look.low > materiality),
            None,
        )
        for seed in range(seeds)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.calibrate_release_day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=300)
    args = parser.parse_args(argv)
    started, materiality = time.monotonic(), thresholds().materiality
    print(f"equal releases, monitored every hour for 14 days ({args.seeds} seeds each): share ever called worse")
    print(f"  {'scenario':<20} {'bound':>6} {'always-valid':>13} {'fixed 95% hourly':>17}")
    for name, scenario in EQUAL.items():
        for bound in (1.0, materiality):
            sequence, fixed = false_alarms(scenario, args.seeds, bound)
            print(f"  {name:<20} {bound:>6g} {sequence:>13.1%} {fixed:>17.1%}")
    print(f"a true 1.5x regression: hours since release until its lower bound passes {materiality:g}")
    for label, volume in (("demo's Mac volume", 500.0), ("10x the demo's Mac", 5000.0)):
        found = hours_to_establish(Scenario(ratio=1.5, hours_per_hour=volume), args.seeds // 3)
        hit = sorted(h for h in found if h is not None)
        median = f"{statistics.median(hit):.0f} h" if hit else "never"
        print(
            f"  {label:<20} ({volume:,.0f} usage hours an hour once adopted, 3 crashes per 1,000 h): "
            f"established in {len(hit) / len(found):.0%} of fortnights, median {median}"
        )
    print(f"({time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
