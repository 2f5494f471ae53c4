"""The M/M/4/20 of benches/core.rs (λ = 3.6/s, μ = 1/s, 4 servers, at most
20 in system) in SimPy, counting the same events: one per arrival and one
per departure. Prints events per second, median of 5 runs.

    pip install simpy && python3 benches/simpy_mm4_20.py [HORIZON_S]
"""

import random
import statistics
import sys
import time

import simpy

LAMBDA, MU, C, K = 3.6, 1.0, 4, 20


def run(horizon, seed):
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=C)
    counts = {"events": 0, "arrivals": 0, "blocked": 0}
    in_system = [0]

    def customer():
        with servers.request() as req:
            yield req
            yield env.timeout(rng.expovariate(MU))
        in_system[0] -= 1
        counts["events"] += 1  # departure

    def source():
        while True:
            yield env.timeout(rng.expovariate(LAMBDA))
            counts["events"] += 1  # arrival
            counts["arrivals"] += 1
            if in_system[0] >= K:
                counts["blocked"] += 1
            else:
                in_system[0] += 1
                env.process(customer())

    env.process(source())
    env.run(until=horizon)
    return counts


def main():
    horizon = float(sys.argv[1]) if len(sys.argv) > 1 else 100_000.0
    rates = []
    for seed in range(1, 6):
        t = time.perf_counter()
        c = run(horizon, seed)
        dt = time.perf_counter() - t
        rates.append(c["events"] / dt)
    print(
        f"SimPy {simpy.__version__} M/M/4/20: {statistics.median(rates) / 1e6:.3f} M events/s "
        f"(median of 5; {c['events']} events/run, P(block) {c['blocked'] / c['arrivals']:.5f})"
    )


if __name__ == "__main__":
    main()
