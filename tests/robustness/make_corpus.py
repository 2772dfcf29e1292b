"""Regenerate the malformed-scenario corpus in bad/ and expected.yaml (run by hand when adding a case).

Each case is the minimal valid scenario BASE with one thing broken, written out as a complete file so the
corpus reads like what users send; expected.yaml lists text each error message must contain.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

HERE = Path(__file__).parent
BASE = {
    "name": "base",
    "horizon": {"days": 1, "interval_minutes": 60},
    "arrivals": {"intraday": [0.0] * 8 + [0.1] * 10 + [0.0] * 6},
    "channels": {"phone": {"kind": "phone", "opening_hours": {"mon-sun": "08:00-18:00"}}},
    "segments": {"retail": {"share": 1.0, "channel_preference": {"phone": 1.0},
                            "patience": {"phone": {"dist": "exponential", "mean": 120}}}},
    "reasons": {"question": {"volume_per_day": 200, "handle_time": {"phone": {"dist": "exponential", "mean": 300}}}},
    "pools": {"agents": {"channels": ["phone"], "staffing": 4}},
}


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def mutate(path: str, value: object, delete: bool = False) -> dict:
    d = copy.deepcopy(BASE)
    node = d
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if delete:
        del node[parts[-1]]
    elif isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
    return d


CASES: dict[str, tuple[dict | str | bytes, list[str]]] = {
    "unknown_top_key": (mutate("colour", "blue"), ["colour", "unknown key"]),
    "typo_in_pool_key": (mutate("pools.agents.stafing", 3), ["pools.agents.stafing", "unknown key"]),
    "negative_volume": (mutate("reasons.question.volume_per_day", -5), ["reasons.question.volume_per_day", "0"]),
    "nan_volume": (mutate("reasons.question.volume_per_day", float("nan")), ["volume_per_day", "finite"]),
    "inf_patience": (mutate("segments.retail.patience.phone.mean", float("inf")), ["patience.phone.mean"]),
    "zero_patience": (mutate("segments.retail.patience.phone.mean", 0), ["patience.phone.mean", "greater than 0"]),
    "negative_staffing": (mutate("pools.agents.staffing", -2), ["pools.agents.staffing", "at least 0"]),
    "staffing_list_wrong_length": (mutate("pools.agents.staffing", [3] * 10), ["pools.agents.staffing", "24"]),
    "shares_do_not_sum": (mutate("segments.other", {"share": 0.3, "channel_preference": {"phone": 1.0},
                                                    "patience": {"phone": {"dist": "exponential", "mean": 90}}}),
                          ["segment shares", "sum to 1"]),
    "profile_wrong_length": (mutate("arrivals.intraday", [1 / 12] * 12), ["arrivals.intraday", "24"]),
    "profile_does_not_sum": (mutate("arrivals.intraday", [0.1] * 24), ["arrivals.intraday", "sum to 1"]),
    "weekly_wrong_length": (mutate("arrivals.weekly", [0.2] * 5), ["arrivals.weekly", "7"]),
    "missing_intraday": (mutate("arrivals", {}, delete=False) | {"arrivals": {}}, ["arrivals.intraday", "missing"]),
    "interval_not_allowed": (mutate("horizon.interval_minutes", 20), ["horizon.interval_minutes", "15, 30 or 60"]),
    "both_days_and_steady": (mutate("horizon.steady_state_hours", 10), ["horizon", "exactly one"]),
    "horizon_too_long": (mutate("horizon.days", 100000), ["horizon.days"]),
    "unknown_channel_in_preference": (mutate("segments.retail.channel_preference", {"fax": 1.0}),
                                      ["channel_preference", "unknown channel 'fax'"]),
    "preference_does_not_sum": (mutate("segments.retail.channel_preference", {"phone": 0.6}),
                                ["channel preferences", "sum to 1"]),
    "missing_patience_for_phone": (mutate("segments.retail.patience", {}), ["patience.phone", "missing"]),
    "missing_handle_time": (mutate("reasons.question.handle_time", {}), ["handle_time.phone", "missing"]),
    "unknown_distribution": (mutate("reasons.question.handle_time.phone", {"dist": "weibull", "mean": 3}),
                             ["handle_time.phone", "dist"]),
    "lognormal_without_cv": (mutate("reasons.question.handle_time.phone", {"dist": "lognormal", "mean": 300}),
                             ["handle_time.phone.cv", "required"]),
    "empirical_empty": (mutate("reasons.question.handle_time.phone", {"dist": "empirical", "values": []}),
                        ["handle_time.phone.values"]),
    "uniform_reversed": (mutate("reasons.question.handle_time.phone", {"dist": "uniform", "low": 50, "high": 10}),
                         ["handle_time.phone", "high is below low", "swap"]),
    "no_pool_for_reason": (mutate("pools.agents.reasons", ["complaint"]), ["unknown reason 'complaint'"]),
    "reason_served_by_no_pool": (
        mutate("reasons.complaint", {"volume_per_day": 10, "handle_time": {"phone": {"dist": "exponential",
                                                                                      "mean": 200}}})
        | {"pools": {"agents": {"channels": ["phone"], "staffing": 4, "reasons": ["question"]}}},
        ["no pool serves reason 'complaint'"]),
    "priority_unknown_segment": (mutate("pools.agents.discipline", {"type": "priority",
                                                                     "classes": [{"segments": ["gold"]}]}),
                                 ["discipline.classes[0].segments", "unknown segment 'gold'"]),
    "priority_without_classes": (mutate("pools.agents.discipline", {"type": "priority"}),
                                 ["discipline", "without classes", "type: fcfs"]),
    "bad_opening_hours": (mutate("channels.phone.opening_hours", {"mon-fri": "8-18"}),
                          ["opening_hours", "HH:MM"]),
    "bad_weekday": (mutate("channels.phone.opening_hours", {"monday": "08:00-18:00"}),
                    ["opening_hours", "not a weekday"]),
    "closing_before_opening": (mutate("channels.phone.opening_hours", {"mon-sun": "18:00-08:00"}),
                               ["opening_hours", "end must be after the start"]),
    "never_staffed_channel": (mutate("pools.agents.staffing", 0), ["channels.phone", "no pool ever staffs it"]),
    "bad_shift_time": (mutate("pools.agents", {"channels": ["phone"], "shifts": [{"start": "8h", "end": "16:00",
                                                                                    "agents": 3}]}),
                       ["pools.agents.shifts[0]", "clock time"]),
    "staffing_and_shifts": (mutate("pools.agents.shifts", [{"start": "08:00", "end": "16:00", "agents": 3}]),
                            ["pools.agents", "exactly one"]),
    "probability_above_one": (mutate("reasons.question.fcr", {"phone": 1.5}), ["fcr.phone", "at most 1"]),
    "incident_unknown_reason": (mutate("incidents", [{"reason": "outage", "extra_needs": 100}]),
                                ["incidents[0].reason", "unknown reason 'outage'"]),
    "incident_after_horizon": (mutate("incidents", [{"reason": "question", "day": 5, "extra_needs": 100}]),
                               ["incidents[0].day", "after the horizon"]),
    "premium_class_without_policy": (mutate("pools.agents.discipline", {"type": "priority",
                                                                         "classes": [{"premium": True}]}),
                                     ["premium", "policies.premium"]),
    "reserved_name_all": (mutate("segments", {"all": BASE["segments"]["retail"]}), ["segments.all", "reserved"]),
    "name_with_slash": (mutate("name", "../../etc/passwd"), ["name", "simple name"]),
    "enormous_volume": (mutate("reasons.question.volume_per_day", 4_000_000)
                        | {"horizon": {"days": 365, "interval_minutes": 60}},
                        ["needs per replication", "split the study"]),
    "string_for_number": (mutate("pools.agents.staffing", "four"), ["pools.agents.staffing"]),
    "list_for_mapping": (mutate("segments", ["retail"]), ["segments", "mapping"]),
    "per_customer_without_customers": (
        mutate("reasons.question", {"per_customer_per_year": 2, "handle_time": {"phone": {"dist": "exponential",
                                                                                          "mean": 300}}}),
        ["per_customer_per_year", "customers"]),
    "volume_twice": (mutate("reasons.question.per_customer_per_year", 2), ["reasons.question", "exactly one"]),
    "schema_version": (mutate("schema_version", 2), ["schema_version"]),
    "webcare_unknown_pool": (mutate("webcare", {"pool": "social_team"}), ["webcare.pool", "unknown pool"]),
    "nan_in_profile": (mutate("arrivals.intraday.8", float("nan")), ["arrivals.intraday[8]", "finite"]),
    "inf_staffing": (mutate("pools.agents.staffing", float("inf")), ["pools.agents.staffing", "finite"]),
    "negative_inf_handle_time": (mutate("reasons.question.handle_time.phone.mean", float("-inf")),
                                 ["reasons.question.handle_time.phone.mean", "finite"]),
    "nan_in_channel_preference": (mutate("segments.retail.channel_preference.phone", float("nan")),
                                  ["segments.retail.channel_preference.phone", "finite"]),
    "huge_float": (mutate("reasons.question.volume_per_day", 1e300), ["volume_per_day", "at most 5000000"]),
    "huge_integer": (mutate("horizon.days", 10**30), ["horizon.days", "at most 3660"]),
    "enormous_customer_base": (
        mutate("segments.retail", {"customers": 1_000_000_000, "channel_preference": {"phone": 1.0},
                                   "patience": {"phone": {"dist": "exponential", "mean": 120}}})
        | {"reasons": {"question": {"per_customer_per_year": 1000,
                                    "handle_time": {"phone": {"dist": "exponential", "mean": 300}}}}},
        ["needs per replication", "more than the 60,000,000"]),
    "weekly_does_not_sum": (mutate("arrivals.weekly", [0.2] * 7), ["arrivals.weekly", "weekly shares", "sum to 1"]),
    "reason_profile_wrong_length": (mutate("reasons.question.intraday", [1 / 12] * 12),
                                    ["reasons.question.intraday", "12 values", "24 intervals"]),
    "share_and_customers_mixed": (mutate("segments.other", {"customers": 500, "channel_preference": {"phone": 1.0},
                                                            "patience": {"phone": {"dist": "exponential",
                                                                                   "mean": 90}}}),
                                  ["segments", "some segments give 'share'"]),
    "reason_from_no_segment": (mutate("reasons.question.segment_mix", {"retail": 0}),
                               ["reasons.question.segment_mix", "no needs"]),
    "never_open_channel": (mutate("channels.phone.opening_hours", {}),
                           ["channels.phone.opening_hours", "never open"]),
    "staffed_only_while_closed": (mutate("pools.agents.staffing", [4] * 6 + [0] * 18),
                                  ["channels.phone", "has an agent on duty while it is open"]),
    "shift_only_while_closed": (mutate("pools.agents", {"channels": ["phone"], "shifts": [
                                    {"days": "mon-sun", "start": "19:00", "end": "23:00", "agents": 5}]}),
                                ["channels.phone", "has an agent on duty while it is open"]),
    "pool_unknown_channel": (mutate("pools.agents.channels", ["phone", "fax"]),
                             ["pools.agents.channels", "unknown channel 'fax'"]),
    "class_unknown_tier": (mutate("pools.agents.discipline", {"type": "priority", "classes": [{"tiers": ["gold"]}]}),
                           ["discipline.classes[0].tiers", "no segment has tier 'gold'"]),
    "weights_wrong_count": (mutate("pools.agents.discipline", {"type": "weighted", "weights": [1],
                                                                "classes": [{"segments": ["retail"]}]}),
                            ["pools.agents.discipline", "1 weights for 1 classes"]),
    "idle_overflow_pool": (mutate("pools.backup", {"channels": ["phone"], "staffing": 2,
                                                    "takes_overflow_after_s": None}),
                           ["pools.backup.takes_overflow_after_s", "never serves a contact"]),
    "shift_end_before_start": (mutate("pools.agents", {"channels": ["phone"], "shifts": [
                                   {"start": "16:00", "end": "08:00", "agents": 3}]}),
                               ["pools.agents.shifts[0]", "not after start"]),
    "no_channels": (mutate("channels", {}), ["channels", "at least 1"]),
    "missing_name": (mutate("name", None, delete=True), ["name", "Field required"]),
    "name_too_long": (mutate("name", "x" * 100), ["name", "at most 64"]),
    "zero_replications": (mutate("run", {"replications": 0}), ["run.replications", "at least 1"]),
    "cv_too_large": (mutate("reasons.question.handle_time.phone", {"dist": "lognormal", "mean": 300, "cv": 50}),
                     ["reasons.question.handle_time.phone.cv", "at most 10"]),
    "retrial_probability_two": (mutate("segments.retail.retrial", {"probability": 2, "delay": {
                                    "dist": "exponential", "mean": 60}}),
                                ["segments.retail.retrial.probability", "at most 1"]),
    "steering_unknown_channel": (mutate("policies", {"steering": [{"offered_channels": ["chat"]}]}),
                                 ["policies.steering[0].offered_channels", "unknown channel 'chat'"]),
    "premium_unknown_segment": (mutate("policies", {"premium": {"take_up": {"gold": 0.1}}}),
                                ["policies.premium.take_up", "unknown segment 'gold'"]),
    # YAML that parses but would silently mean something else
    "duplicate_key": (dump(BASE).replace("    staffing: 4\n", "    staffing: 4\n    staffing: 40\n"),
                      ["pools.agents.staffing", "appears twice", "lines"]),
    "two_documents": (dump(BASE) + "---\nname: second\n", ["second YAML document", "---"]),
    "include_tag": (dump(BASE).replace("staffing: 4", "staffing: !include staffing.yaml"),
                    ["pools.agents.staffing", "YAML tag '!include'", "not allowed"]),
    "unquoted_clock_time": (dump(BASE) + "incidents:\n- reason: question\n  start: 10:00\n  extra_needs: 50\n",
                            ["incidents[0].start", "600", "quotes"]),
    "yes_no_name": (dump(BASE).replace("\n  retail:\n", "\n  no:\n"), ["segments", "names must be text", "quotes"]),
    # not YAML mappings at all
    "empty_file": ("", ["empty"]),
    "only_comments": ("# nothing here\n", ["empty"]),
    "top_level_list": ("- name: x\n- horizon: 1\n", ["top level must be a mapping"]),
    "not_yaml": ("name: [unclosed\nhorizon: {days: 1\n", ["not valid YAML", "line"]),
    "tabs_indentation": ("name: x\nhorizon:\n\tdays: 1\n", ["not valid YAML"]),
    "python_object_tag": ("name: !!python/object/apply:os.system ['echo hacked']\n",
                          ["name", "YAML tag '!!python/object/apply:os.system'", "not allowed"]),
    "yaml_bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                  "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
                  + "".join(f"j{k}: [*i, *i, *i, *i]\n" for k in range(60)),
                  ["alias bomb"]),
    "deep_nesting": ("a: " + "[" * 60 + "]" * 60 + "\n", ["nested deeper"]),
    "binary_file": (bytes(range(256)) * 4, ["binary"]),
    "latin1_text": ("name: caf\u00e9\n".encode("latin-1"), ["not UTF-8"]),
}


def main() -> None:
    out = HERE / "bad"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.yaml"):
        old.unlink()
    expected = {}
    for name, (content, needles) in CASES.items():
        path = out / f"{name}.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content)
        else:
            path.write_text(dump(content))
        expected[path.name] = needles
    (HERE / "expected.yaml").write_text(yaml.safe_dump(expected, sort_keys=True, allow_unicode=True))
    (HERE / "base.yaml").write_text(dump(BASE))
    print(f"{len(CASES)} cases")


if __name__ == "__main__":
    main()
