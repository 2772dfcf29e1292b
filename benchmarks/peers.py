"""Reference ("peer") implementations of an M/M/c+M phone queue.

Used to benchmark contactsim against other Python DES tools on the *same*
system:

* Poisson arrivals, rate ``lam`` per second;
* exponential handle time with mean ``aht_s`` seconds;
* ``c`` identical agents, FCFS;
* exponential patience with mean ``patience_s`` seconds; a waiting contact
  abandons when its patience runs out (a contact that reaches an agent
  never abandons);
* horizon of ``hours`` hours, starting empty, seeded.

All times are in seconds.  Both peers return the same dict::

    contacts    arrivals during the horizon
    handled     contacts answered (reached an agent) by the horizon
    abandoned   contacts that abandoned by the horizon
    mean_wait_s mean time in queue over resolved contacts (handled +
                abandoned); for an abandoned contact this is its time to
                abandon
    p_abandon   abandoned / (handled + abandoned)
    wall_s      wall-clock seconds of model build + run + tally
                (time.perf_counter, excludes imports)

plus two diagnostics: ``asa_s`` (mean wait of handled contacts only) and
``unresolved`` (contacts still queued at the horizon).

Contacts still queueing at the horizon are counted in ``contacts`` but not in
the ratios, in both peers, so the two are directly comparable.

``erlang_a`` gives the exact steady-state values (birth-death chain) as a
third, analytic reference.

Run ``python benchmarks/peers.py`` for the throughput benchmark and
``python benchmarks/peers.py --check`` for the agreement check.
"""

from __future__ import annotations

import math
import sys
import time

__all__ = ["ciw_model", "erlang_a", "simpy_idiomatic"]


def _summary(contacts, handled, abandoned, waits, answered_waits, wall_s):
    resolved = handled + abandoned
    return dict(
        contacts=contacts,
        handled=handled,
        abandoned=abandoned,
        mean_wait_s=(sum(waits) / len(waits)) if waits else float("nan"),
        p_abandon=(abandoned / resolved) if resolved else float("nan"),
        wall_s=wall_s,
        asa_s=(sum(answered_waits) / len(answered_waits))
        if answered_waits
        else float("nan"),
        unresolved=contacts - resolved,
    )


# --------------------------------------------------------------------------
# SimPy: the idiomatic, hand-written model (as in the SimPy docs' bank example)
# --------------------------------------------------------------------------
def simpy_idiomatic(lam, aht_s, c, patience_s, hours, seed) -> dict:
    """Idiomatic SimPy M/M/c+M model: one process per customer."""
    import numpy as np
    import simpy

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=c)
    horizon = hours * 3600.0

    arrivals = []  # arrival times
    waits = []  # per resolved contact: time in queue
    outcomes = []  # per resolved contact: "handled" / "abandoned"

    def customer(env, agents):
        arrive = env.now
        arrivals.append(arrive)
        patience = rng.exponential(patience_s)
        with agents.request() as req:
            result = yield req | env.timeout(patience)
            waits.append(env.now - arrive)
            if req in result:
                outcomes.append("handled")
                yield env.timeout(rng.exponential(aht_s))
            else:
                outcomes.append("abandoned")

    def source(env, agents):
        while True:
            yield env.timeout(rng.exponential(1.0 / lam))
            env.process(customer(env, agents))

    env.process(source(env, agents))
    env.run(until=horizon)

    handled = outcomes.count("handled")
    abandoned = len(outcomes) - handled
    answered_waits = [w for w, o in zip(waits, outcomes, strict=True) if o == "handled"]
    wall = time.perf_counter() - t0
    return _summary(len(arrivals), handled, abandoned, waits, answered_waits, wall)


# --------------------------------------------------------------------------
# Ciw 3.x
# --------------------------------------------------------------------------
def ciw_model(lam, aht_s, c, patience_s, hours, seed) -> dict:
    """The same M/M/c+M system in Ciw 3.x (reneging_time_distributions)."""
    import ciw

    t0 = time.perf_counter()
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / aht_s)],
        number_of_servers=[c],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / patience_s)],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(hours * 3600.0)
    # include_incomplete: contacts still in service (answered, waiting_time
    # set) or still queued (waiting_time None) at the horizon.
    records = sim.get_all_records(include_incomplete=True)

    handled = abandoned = 0
    waits = []
    answered_waits = []
    for r in records:
        rt = r.record_type
        if rt == "renege":
            abandoned += 1
            waits.append(r.waiting_time)
        elif rt == "service" or (rt == "incomplete" and r.waiting_time is not None):
            handled += 1
            waits.append(r.waiting_time)
            answered_waits.append(r.waiting_time)
    wall = time.perf_counter() - t0
    return _summary(len(records), handled, abandoned, waits, answered_waits, wall)


# --------------------------------------------------------------------------
# Analytic Erlang-A (M/M/c+M) steady state, for reference
# --------------------------------------------------------------------------
def erlang_a(lam, aht_s, c, patience_s, tol=1e-14) -> dict:
    """Exact steady-state p_abandon and mean queue wait of M/M/c+M.

    Birth-death chain on the number in system, truncated once the tail
    probability is negligible.  By Little's law the mean time in queue over
    all arrivals is E[Q]/lam and P(abandon) = theta*E[Q]/lam.
    """
    mu, theta = 1.0 / aht_s, 1.0 / patience_s
    # unnormalised log-probabilities to avoid overflow at large c
    logp = [0.0]
    n = 0
    while True:
        n += 1
        death = min(n, c) * mu + max(n - c, 0) * theta
        logp.append(logp[-1] + math.log(lam) - math.log(death))
        if n > c and logp[-1] - max(logp) < math.log(tol):
            break
    m = max(logp)
    p = [math.exp(x - m) for x in logp]
    z = sum(p)
    eq = sum(max(k - c, 0) * pk for k, pk in enumerate(p)) / z
    return dict(p_abandon=theta * eq / lam, mean_wait_s=eq / lam)


# --------------------------------------------------------------------------
def _params(c, aht_s=300.0, patience_s=600.0, load=0.95, target_arrivals=30_000):
    lam = load * c / aht_s
    hours = target_arrivals / (lam * 3600.0)
    return lam, aht_s, c, patience_s, hours


def _bench():
    print(f"{'peer':<16}{'agents':>7}{'hours':>8}{'contacts':>10}"
          f"{'wall_s':>9}{'contacts/s':>12}{'p_abandon':>11}{'mean_wait_s':>13}")
    for c in (50, 500):
        lam, aht, cc, pat, hours = _params(c)
        for name, fn in (("simpy_idiomatic", simpy_idiomatic), ("ciw", ciw_model)):
            r = fn(lam, aht, cc, pat, hours, seed=1)
            print(f"{name:<16}{c:>7}{hours:>8.2f}{r['contacts']:>10}"
                  f"{r['wall_s']:>9.2f}{r['contacts'] / r['wall_s']:>12.0f}"
                  f"{r['p_abandon']:>11.4f}{r['mean_wait_s']:>13.2f}")


def _check(seeds=range(1, 9), target_arrivals=100_000):
    """Pooled over seeds: both peers vs each other and vs Erlang-A."""
    for c in (50, 500):
        lam, aht, cc, pat, hours = _params(c, target_arrivals=target_arrivals)
        ref = erlang_a(lam, aht, cc, pat)
        print(f"c={c} lam={lam:.4f}/s hours={hours:.2f} x {len(seeds)} seeds; "
              f"Erlang-A: p_abandon={ref['p_abandon']:.5f} "
              f"mean_wait_s={ref['mean_wait_s']:.3f}")
        for name, fn in (("simpy_idiomatic", simpy_idiomatic), ("ciw", ciw_model)):
            ab = res = 0
            wsum = 0.0
            n = 0
            for s in seeds:
                r = fn(lam, aht, cc, pat, hours, seed=s)
                k = r["handled"] + r["abandoned"]
                ab += r["abandoned"]
                res += k
                wsum += r["mean_wait_s"] * k
                n += r["contacts"]
            pa, mw = ab / res, wsum / res
            print(f"  {name:<16} contacts={n:>8} p_abandon={pa:.5f} "
                  f"({100 * (pa / ref['p_abandon'] - 1):+.1f}% vs Erlang-A)  "
                  f"mean_wait_s={mw:.3f} "
                  f"({100 * (mw / ref['mean_wait_s'] - 1):+.1f}%)")


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        _check()
    else:
        _bench()
