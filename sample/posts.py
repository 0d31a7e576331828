"""Posts: per portal group volumes of the report's text, and for the scored portals the mandatory
categories that appendix 01's notes say they kept up, left sparse or left empty.

Lào Cai's 2022 and 2023 follow the seed (sample/data/post_targets.csv, post_activity.csv,
appendix_01_gaps.csv). In later years, each group publishes its base year's volume (Lào Cai's
2023, Yên Bái's 2024) with a yearly growth, shared by the portals as then; a portal's activity
continues in its successors after it is retired (`Lineage`), so that a merged unit publishes about
what its predecessors did together. Every
scored unit in force keeps its bloc's mandatory categories up (at least one item a month), but
where appendix_01_gaps.csv says otherwise, and a few units publish their introduction in English
(Decree 42/2022).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from functools import cache

import numpy as np
import pyarrow as pa

from ingest.contract import REFERENCE_DIR
from sample import schemas, text
from sample.clock import (
    CUTOFF_9M,
    DATA_END,
    DAY,
    HOUR,
    LOCAL_OFFSET,
    is_workday,
    local_days,
    midnight,
    ts,
)
from sample.datafiles import rows
from sample.portals import COMMUNE_LEVEL, LAO_CAI, PROVINCE_PORTAL, YEN_BAI, Portal, Registry

_NOT_POSTED = {"vp-tinh-uy": ("policy_guidance",)}  # a deduction the board assesses by hand

_CATEGORY_WEIGHTS = {
    "province": {
        "news": 50, "policy_guidance": 8, "press_review": 6, "investment_procurement": 5,
        "sector_plans": 4, "statistics": 3, "periodic_reports": 2, "directive_documents": 12,
        "administrative_procedures": 5, "draft_consultation": 3, "legal_documents": 2,
        "gazette": 1, "media": 4,
    },
    "department": {
        "news": 45, "policy_guidance": 10, "administrative_procedures": 8,
        "directive_documents": 8, "legal_documents": 4, "periodic_reports": 3, "sector_plans": 3,
        "investment_procurement": 3, "draft_consultation": 2, "statistics": 2, "media": 3,
        "introduction": 0.5, "other": 2,
    },
    "party_mass": {
        "news": 50, "policy_guidance": 12, "directive_documents": 10, "mass_mobilization": 8,
        "media": 4, "periodic_reports": 2, "introduction": 0.5, "other": 3,
    },
    "district": {
        "news": 50, "directive_documents": 8, "administrative_procedures": 6,
        "policy_guidance": 8, "periodic_reports": 3, "sector_plans": 2,
        "investment_procurement": 3, "statistics": 2, "media": 4, "introduction": 0.5,
        "other": 2,
    },
    "commune": {
        "news": 55, "policy_guidance": 12, "administrative_procedures": 8,
        "directive_documents": 6, "media": 4, "periodic_reports": 2, "statistics": 1, "other": 3,
    },
}  # fmt: skip
# "bộ thông tin CSDL": documents, procedure notices, drafts, videos; the rest are articles.
_DATA_ITEMS = frozenset(
    ("directive_documents", "legal_documents", "administrative_procedures", "draft_consultation",
     "gazette", "media")
)  # fmt: skip
_ENGLISH_PORTAL = "so-tttt"  # the only component portal with English content (report, §I.2)
_ENGLISH_SHARE = 0.03
# Portals that publish their introduction in English (Decree 42/2022), one item a quarter from.
_ENGLISH_INTRODUCTIONS = {
    PROVINCE_PORTAL: "2024-03-04",
    "so-ngoai-vu": "2024-06-03",
    "so-du-lich": "2025-04-01",
    "so-khcn-2025": "2025-05-05",
    "phuong-sa-pa-2025": "2025-09-08",
}
# Items relative to each registry's base year: Lào Cai's 2023 (the seed's), Yên Bái's 2024.
_BASE_YEAR = {LAO_CAI: 2023, YEN_BAI: 2024}
_GROWTH = {
    LAO_CAI: {2024: 1.04, 2025: 1.07, 2026: 1.10},
    YEN_BAI: {2024: 1.0, 2025: 1.03, 2026: 1.05},
}
LATER_FROM = ts("2024-01-01")  # the later simulation begins where the seed's ends


@cache
def mandatory() -> dict[str, tuple[str, ...]]:
    """The rubric's mandatory categories per bloc, the latest list (models/seeds)."""
    with open(REFERENCE_DIR / "rubric_mandatory_categories.csv", encoding="utf-8") as f:
        listed = list(csv.DictReader(f))
    latest = max(r["effective_from"] for r in listed)
    found: dict[str, list[str]] = defaultdict(list)
    for r in listed:
        if r["effective_from"] == latest:
            found[r["bloc"]].append(r["category"])
    return {bloc: tuple(categories) for bloc, categories in found.items()}


@cache
def _gaps() -> dict[int, dict[str, dict[str, str]]]:
    """year → portal → category → sparse | missing (appendix 01's notes and the sample's own)."""
    found: dict[int, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows("appendix_01_gaps.csv"):
        found[int(r["year"])][r["portal_id"]][r["category"]] = r["gap"]
    return found


def _targets(system: str) -> dict[tuple[str, int], float]:
    return {
        (r["portal_group"], int(r["year"])): float(r["items"])
        for r in rows("post_targets.csv")
        if r["system"] == system
    }


def _activity() -> dict[tuple[int, str], float]:
    return {
        (int(r["year"]), r["portal_id"]): float(r["activity"]) for r in rows("post_activity.csv")
    }


def _random_times(rng, n: int, lo: int, hi: int, days, day_weight) -> np.ndarray:
    """n moments in [lo, hi), on days weighted by day_weight, mostly in the daytime."""
    first = np.datetime64(int((lo + LOCAL_OFFSET) // DAY), "D")
    last = np.datetime64(int((hi - 1 + LOCAL_OFFSET) // DAY), "D")
    i0, i1 = int((first - days[0]).astype(int)), int((last - days[0]).astype(int)) + 1
    weights = day_weight[i0:i1] / day_weight[i0:i1].sum()
    picked = days[i0 + rng.choice(i1 - i0, size=n, p=weights)]
    moments = midnight(picked) + rng.integers(7 * HOUR, 22 * HOUR, size=n)
    return np.clip(moments, lo, hi - 1)


def _calendar(year: int):
    days = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
    return days, np.where(is_workday(days), 1.0, 0.3)


def _post_rates(rng, year: int, portals, targets, activity) -> dict[str, float]:
    """Items per day per portal, so that each group meets its 9-month target."""
    start, cutoff = ts(f"{year}-01-01"), CUTOFF_9M[year]
    weight, exposure = {}, Counter()
    for p in portals:
        weight[p.portal_id] = activity.get((year, p.portal_id), 1.0)
        weight[p.portal_id] *= rng.lognormal(0.0, 0.35)
        days = max(0, min(p.retired_ts, cutoff) - max(p.registered_ts, start)) / DAY
        exposure[p.group] += weight[p.portal_id] * days
    return {
        p.portal_id: targets[(p.group, year)] * weight[p.portal_id] / exposure[p.group]
        for p in portals
    }


def _portal_posts(rng, p: Portal, year, rate, scale, days, day_weight):
    """(times, categories) of one portal's posts in one of the seed's years."""
    start = max(p.registered_ts, ts(f"{year}-01-01"))
    end = min(p.retired_ts, ts(f"{year + 1}-01-01"))
    cutoff = CUTOFF_9M[year]
    times, categories = [], []

    def add(n, lo, hi, category):
        if n > 0 and lo < hi:
            times.append(_random_times(rng, n, lo, hi, days, day_weight))
            categories.append(np.asarray(category if np.ndim(category) else [category] * n))

    gaps = _gaps()[year].get(p.portal_id, {}) if p.scored else {}
    kept_up = [c for c in mandatory()[p.bloc] if c not in gaps] if p.scored else []
    for month in range(1, 13):
        # at least one item a month, within the 25 days the 9-month window holds of September
        lo = max(start, ts(f"{year}-{month:02d}-01"))
        hi = min(end, ts(f"{year}-{month:02d}-01") + 25 * DAY)
        for category in kept_up:
            add(1, lo, hi, category)
    for category, gap in gaps.items():
        if gap == "sparse":
            add(int(rng.integers(3, 7)), start, min(end, cutoff), category)
            add(int(rng.integers(0, 3)), max(start, cutoff), end, category)
    floor = sum(len(t) for t in times)
    weights = {
        c: w
        for c, w in _CATEGORY_WEIGHTS[p.group].items()
        if c not in gaps and c not in _NOT_POSTED.get(p.portal_id, ())
    }
    expected = rate * max(0, end - start) / DAY * scale
    n = int(rng.poisson(max(expected - floor, 0.0)))
    if n:
        probs = np.array(list(weights.values()), dtype=float)
        add(n, start, end, rng.choice(list(weights), size=n, p=probs / probs.sum()))
    if not times:
        return np.empty(0, np.int64), np.empty(0, dtype=object)
    return np.concatenate(times), np.concatenate(categories).astype(object)


def _places(portals) -> tuple[str, ...]:
    return tuple(p.name for p in portals if p.group in ("district", *COMMUNE_LEVEL))


def _post_titles(rng, portal_ids, categories, times, english, registry, places) -> list[str]:
    n = len(portal_ids)
    picks = rng.integers(0, 1_000_000, size=(n, 5))
    local = local_days(times)
    years = local.astype("datetime64[Y]").astype(int) + 1970
    months = local.astype("datetime64[M]").astype(int) % 12 + 1
    mdays = (local - local.astype("datetime64[M]")).astype(int) + 1
    abbreviations: dict[tuple[str, str], str] = {}
    titles = []
    for i in range(n):
        a, b, c, d, e = picks[i]
        if english[i]:
            pool = text.EN_INTRODUCTIONS if categories[i] == "introduction" else text.EN_TITLES
        else:
            pool = text.TITLES[categories[i]]
        portal = registry.by_id[portal_ids[i]]
        name = portal.name_at(int(times[i])) if portal.names else portal.name
        if (portal_ids[i], name) not in abbreviations:
            abbreviations[(portal_ids[i], name)] = text.abbreviation(name)
        titles.append(
            pool[a % len(pool)].format(
                topic=text.TOPICS[b % len(text.TOPICS)],
                place=places[c % len(places)],
                field=text.FIELDS[d % len(text.FIELDS)],
                item=text.ITEMS[e % len(text.ITEMS)],
                n=1 + e % 2999,
                abbr=abbreviations[(portal_ids[i], name)],
                year=years[i],
                month=months[i],
                quarter=(months[i] + 2) // 3,
                day=mdays[i],
            )
        )
    return titles


def _post_table(rng, registry: Registry, portal_id, ts_, category, english, places) -> pa.Table:
    """The `post` events of the given publications: ids, titles, and later edits, withdrawals
    and re-publications, none after its portal's retirement or the sample's end."""
    order = np.lexsort((ts_, portal_id))
    portal_id, ts_, category = portal_id[order], ts_[order], category[order]

    # post ids number a portal's posts of a year in publication order
    year = local_days(ts_).astype("datetime64[Y]").astype(int) + 1970
    group_key = np.char.add(portal_id.astype(str), year.astype(str))
    starts = np.r_[0, np.flatnonzero(group_key[1:] != group_key[:-1]) + 1]
    seq = np.arange(len(ts_)) - np.repeat(starts, np.diff(np.r_[starts, len(ts_)])) + 1
    post_id = [f"{p}-{y % 100:02d}{s:05d}" for p, y, s in zip(portal_id, year, seq, strict=True)]

    if english is None:  # the seed's years: Sở TT&TT writes a few items in English
        english = (portal_id == _ENGLISH_PORTAL) & (rng.random(len(ts_)) < _ENGLISH_SHARE)
    else:
        english = english[order]
    portal = [registry.by_id[p] for p in portal_id]
    group = np.array([p.group for p in portal], dtype=object)
    retired = np.array([p.retired_ts for p in portal], dtype=np.int64)
    language = np.where(
        english, "en", np.where(np.isin(group, ("party_mass", *COMMUNE_LEVEL)), None, "vi")
    )
    kind = np.where(np.isin(category, list(_DATA_ITEMS)), "data_item", "article")
    title = np.array(
        _post_titles(rng, portal_id, category, ts_, english, registry, places), dtype=object
    )
    yen_bai = np.array([p.registry == YEN_BAI for p in portal])
    source = np.where(
        yen_bai, "cms-yenbai", np.where(portal_id == PROVINCE_PORTAL, "cms-tinh", "cms-thanhphan")
    )

    # later in a post's life: edits, withdrawals, and a few re-publications
    n = len(ts_)
    updated = rng.random(n) < 0.05
    updated_at = ts_ + rng.integers(HOUR, 30 * DAY, size=n)
    unpublished = rng.random(n) < 0.01
    unpublished_at = ts_ + rng.integers(DAY, 60 * DAY, size=n)
    republished = unpublished & (rng.random(n) < 0.25)
    republished_at = unpublished_at + rng.integers(DAY, 10 * DAY, size=n)
    edited = title.copy()
    edited[updated] = [f"{t} ({'updated' if en else 'cập nhật'})"
                       for t, en in zip(title[updated], english[updated], strict=True)]  # fmt: skip

    post_id = np.array(post_id, dtype=object)
    none = np.full(n, None, dtype=object)
    lifecycle = (  # event id suffix, event type, which posts, when, kind/category/language, title
        ("published", "published", np.ones(n, bool), ts_, True, title),
        ("updated", "updated", updated, updated_at, False, edited),
        ("unpublished", "unpublished", unpublished, unpublished_at, False, none),
        ("published-2", "published", republished, republished_at, True, title),
    )
    columns: dict[str, list] = {name: [] for name in schemas.schema("post").names}
    for suffix, event_type, chosen, at, described, titles in lifecycle:
        mask = chosen & (at < DATA_END) & (at < retired)
        columns["event_id"].append(np.char.add(post_id[mask].astype(str), f".{suffix}"))
        columns["event_type"].append(np.full(int(mask.sum()), event_type, dtype=object))
        columns["occurred_at"].append(at[mask])
        columns["portal_id"].append(portal_id[mask])
        columns["source"].append(source[mask])
        columns["post_id"].append(post_id[mask])
        for name, values in (("kind", kind), ("category", category), ("language", language)):
            columns[name].append((values if described else none)[mask])
        columns["title"].append(titles[mask])
    table = pa.table(
        {
            name: schemas.column("post", name, np.concatenate(values))
            for name, values in columns.items()
        },
        schema=schemas.schema("post"),
    )
    return table.sort_by([("occurred_at", "ascending"), ("event_id", "ascending")])


def simulate_seed_years(rng, registry: Registry, scale: float):
    """Lào Cai's posts of 2022 and 2023 as the seed tells them; also each portal's 2023 rate."""
    portals = registry.seed_portals()
    targets, activity = _targets(LAO_CAI), _activity()
    portal_ids, times, categories = [], [], []
    rates = {}
    for year in (2022, 2023):
        days, day_weight = _calendar(year)
        rates = _post_rates(rng, year, portals, targets, activity)
        for p in portals:
            t, c = _portal_posts(rng, p, year, rates[p.portal_id], scale, days, day_weight)
            portal_ids.append(np.full(len(t), p.portal_id, dtype=object))
            times.append(t)
            categories.append(c)
    table = _post_table(
        rng,
        registry,
        np.concatenate(portal_ids),
        np.concatenate(times).astype(np.int64),
        np.concatenate(categories),
        None,
        _places(portals),
    )
    return table, rates


def _later_rates(sources, base_rates, year: int) -> dict[str, float]:
    """Items per day per portal in a later year: each registry's groups publish their base
    year's 9-month volume times the year's growth, shared as the portals' base-year rates."""
    start, cutoff = ts(f"{year}-01-01"), min(CUTOFF_9M[year], DATA_END)
    exposure: Counter = Counter()
    for p in sources:
        lo = max(p.registered_ts, start, LATER_FROM)
        exposure[(p.registry, p.group)] += base_rates[p.portal_id] * max(0, cutoff - lo) / DAY
    targets = {LAO_CAI: _targets(LAO_CAI), YEN_BAI: _targets(YEN_BAI)}
    rates = {}
    for p in sources:
        total = exposure[(p.registry, p.group)]
        growth = _GROWTH[p.registry].get(year, 0.0)
        target = targets[p.registry][(p.group, _BASE_YEAR[p.registry])] * growth
        rates[p.portal_id] = target * base_rates[p.portal_id] / total if total else 0.0
    return rates


def _one_in_each(rng, intervals: list[tuple[int, int]]) -> np.ndarray:
    """One moment in each [lo, hi), on a day drawn evenly, in the daytime."""
    lo, hi = np.array(intervals, dtype=np.int64).reshape(-1, 2).T
    first = (lo + LOCAL_OFFSET) // DAY
    n_days = (hi - 1 + LOCAL_OFFSET) // DAY - first + 1
    day = first + (rng.random(len(lo)) * n_days).astype(np.int64)
    moments = day * DAY - LOCAL_OFFSET + rng.integers(7 * HOUR, 22 * HOUR, size=len(lo))
    return np.clip(moments, lo, hi - 1)


def simulate_later_years(rng, registry: Registry, lineage, scale: float, rates_2023) -> pa.Table:
    """Lào Cai's and Yên Bái's posts from 2024, onto the units in force."""
    yen_bai = [p for p in registry.portals if p.registry == YEN_BAI]
    base_rates = dict(rates_2023)
    base_rates.update(_post_rates(rng, _BASE_YEAR[YEN_BAI], yen_bai, _targets(YEN_BAI), {}))
    # volume: every portal that published in 2023 (or Yên Bái's), carried on by its successors
    sources = [p for p in registry.seed_portals() if p.retired_ts > LATER_FROM] + yen_bai
    portal_ids, times, categories, base_english = [], [], [], []
    for year in range(2024, 2027):
        days, day_weight = _calendar(year)
        rates = _later_rates(sources, base_rates, year)
        for p in sources:
            lo = max(p.registered_ts, ts(f"{year}-01-01"), LATER_FROM)
            hi = min(ts(f"{year + 1}-01-01"), DATA_END)
            if lo >= hi:
                continue
            n = int(rng.poisson(rates[p.portal_id] * (hi - lo) / DAY * scale))
            if not n:
                continue
            weights = {
                c: w
                for c, w in _CATEGORY_WEIGHTS[p.group].items()
                if c not in _NOT_POSTED.get(p.portal_id, ())
            }
            probs = np.array(list(weights.values()), dtype=float)
            t = _random_times(rng, n, lo, hi, days, day_weight)
            portal_ids.append(np.full(n, p.portal_id, dtype=object))
            times.append(t)
            categories.append(rng.choice(list(weights), size=n, p=probs / probs.sum()))
            english = p.portal_id == _ENGLISH_PORTAL
            base_english.append((rng.random(n) < _ENGLISH_SHARE) & english & (t < p.retired_ts))
    ts_ = np.concatenate(times).astype(np.int64)
    source_ids = np.concatenate(portal_ids)
    unit = lineage.remap(np.array([lineage.index[p] for p in source_ids]), ts_, rng=rng)
    portal_id = lineage.ids[unit]
    category = np.concatenate(categories).astype(object)
    english = np.concatenate(base_english)
    portal_id, ts_, category, english = _apply_gaps(rng, portal_id, ts_, category, english)

    # the mandatory categories of every scored unit in force, and the English introductions
    extra_ids, intervals, extra_categories, extra_english = [], [], [], []
    for year in range(2024, 2027):
        for p in registry.portals:
            start = max(p.registered_ts, ts(f"{year}-01-01"), LATER_FROM)
            end = min(p.retired_ts, ts(f"{year + 1}-01-01"), DATA_END)
            if start >= end:
                continue
            gaps = _gaps()[year].get(p.portal_id, {})
            scored = p.scored_from is not None
            kept_up = [c for c in mandatory()[p.bloc] if c not in gaps] if scored else []
            for month in range(1, 13):
                # at least one item a month, within the 25 days the 9-month window holds of Sept.
                lo = max(start, ts(f"{year}-{month:02d}-01"), p.scored_from or 0)
                hi = min(end, ts(f"{year}-{month:02d}-01") + 25 * DAY)
                if lo < hi:
                    extra_ids += [p.portal_id] * len(kept_up)
                    intervals += [(lo, hi)] * len(kept_up)
                    extra_categories += kept_up
                    extra_english += [False] * len(kept_up)
            since = _ENGLISH_INTRODUCTIONS.get(p.portal_id)
            for quarter in range(4) if since else ():
                lo = max(start, ts(since), ts(f"{year}-{3 * quarter + 1:02d}-01"))
                hi = min(end, ts(f"{year}-{3 * quarter + 1:02d}-01") + 80 * DAY)
                if lo < hi:
                    extra_ids.append(p.portal_id)
                    intervals.append((lo, hi))
                    extra_categories.append("introduction")
                    extra_english.append(True)
    return _post_table(
        rng,
        registry,
        np.concatenate([portal_id, np.array(extra_ids, dtype=object)]),
        np.concatenate([ts_, _one_in_each(rng, intervals)]).astype(np.int64),
        np.concatenate([category, np.array(extra_categories, dtype=object)]),
        np.concatenate([english, np.array(extra_english, dtype=bool)]),
        _places(registry.portals),
    )


def _apply_gaps(rng, portal_id, ts_, category, english):
    """Where appendix_01_gaps.csv says a unit left a category sparse (a few items in the 9-month
    window, and up to two after it) or missing (none in the window) in a later year."""
    year = local_days(ts_).astype("datetime64[Y]").astype(int) + 1970
    keep = np.ones(len(ts_), bool)
    for y, portals in sorted(_gaps().items()):
        if y < 2024:
            continue
        window = (year == y) & (ts_ < CUTOFF_9M[y])
        for portal, gaps in portals.items():
            for category_, gap in gaps.items():
                chosen = (portal_id == portal) & (category == category_) & (year == y)
                inside = np.flatnonzero(chosen & window)
                after = np.flatnonzero(chosen & ~window)
                keep[inside] = False
                keep[after] = False
                if gap == "sparse":
                    keep[rng.permutation(inside)[: int(rng.integers(3, 7))]] = True
                keep[rng.permutation(after)[: int(rng.integers(0, 3))]] = True
    return portal_id[keep], ts_[keep], category[keep], english[keep]
