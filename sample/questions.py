"""Questions: appendix 02 row by row for 01/01–25/09/2023 (sample/data/appendix_02.csv), with the
dates its notes give (appendix_02_dates.csv); the rest of 2023 and 2022 drawn with the same
agencies' weights. From 2024 Lào Cai's questions are drawn the same way and Yên Bái's with its
own agencies' yearly figures (yen_bai_figures.csv), each addressed to the unit in force when it is
sent; an answer given after a reorganisation comes from the unit that took the question over.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from sample import text
from sample.clock import DATA_END, DAY, HOUR, local_days, local_year, midnight, ts, workdays_later
from sample.datafiles import rows
from sample.portals import YEN_BAI, Lineage, Registry, stable_uniform

_QA_REASONS = {
    "so-tnmt": ("duplicate",),
    "cong-an-tinh": ("duplicate", "invalid_asker"),
    "so-y-te": ("duplicate",),
    "tx-sa-pa": ("duplicate",),
    "vp-ubnd-tinh": ("duplicate", "forwarded"),
    "huyen-bao-thang": ("violation",),
}
_QA_YEAR_TOTALS = {2022: 710, "2023-Q4": 134}  # 521 in 9M 2022 (report: 371 = 521 − 150)
# Later years, Lào Cai's agencies (and from 1 July 2025 the merged province's), and Yên Bái's.
_LATER_TOTALS = {2024: 760, 2025: 800, 2026: 690}
_QA_SLOW = {"huyen-bao-thang": 0.5, "huyen-van-ban": 0.2, "tp-lao-cai": 0.2}
_QA_TOPICS = {
    "so-gddt": ("education",),
    "so-tnmt": ("land", "environment"),
    "cong-an-tinh": ("security",),
    "so-y-te": ("health",),
    "cuc-thue": ("tax",),
    "so-ldtbxh": ("labour_policy",),
    "so-tai-chinh": ("finance",),
    "cuc-hai-quan": ("customs",),
    "so-tu-phap": ("justice",),
    "so-nnptnt": ("agriculture",),
    "so-vhtt": ("culture_sports",),
    "so-gtvt-xd": ("transport",),
    "so-gtvt": ("transport",),
    "so-xay-dung": ("land",),
    "so-noi-vu": ("personnel",),
    "vp-ubnd-tinh": ("land", "environment", "other"),
}
_RATINGS = np.array([0.04, 0.06, 0.15, 0.35, 0.40])
_RATED_FROM = ts("2023-04-01")  # the satisfaction rating exists since the portal's 2023 upgrade


def _office_time(rng, moment: int, workdays: int) -> int:
    """A moment in office hours `workdays` working days after the moment's local date, after it."""
    day = workdays_later(local_days(np.array([moment]))[0], workdays)
    at = int(midnight(np.array([day]))[0]) + int(rng.integers(7 * HOUR + 1800, 17 * HOUR))
    return at if at > moment else moment + int(rng.integers(600, 2 * HOUR))


def _day_time(rng, lo: str, hi: str) -> int:
    """A moment between 06:00 and 23:00 on a local date drawn from [lo, hi]."""
    day = np.datetime64(lo) + int(
        rng.integers(0, (np.datetime64(hi) - np.datetime64(lo)).astype(int) + 1)
    )
    return int(midnight(np.array([day]))[0]) + int(rng.integers(6 * HOUR, 23 * HOUR))


@dataclass
class _Question:
    portal_id: str
    submitted: int
    accepted: int | None = None
    answered: int | None = None
    deleted: int | None = None
    reason: str | None = None
    authorized: bool | None = True
    asked: str = ""  # the agency whose questions it was drawn with (its topics)

    def __post_init__(self):
        self.asked = self.asked or self.portal_id


def _on_time(rng, q: _Question, authorized: bool | None = True) -> _Question:
    q.accepted = _office_time(rng, q.submitted, int(rng.integers(0, 2)))
    q.answered = _office_time(rng, q.accepted, int(rng.integers(1, 5)))
    q.authorized = authorized
    return q


def _late(rng, q: _Question) -> _Question:
    q.accepted = _office_time(rng, q.submitted, int(rng.integers(8, 15)))
    q.answered = _office_time(rng, q.accepted, int(rng.integers(2, 7)))
    return q


def _deleted(rng, q: _Question, reasons) -> _Question:
    if rng.random() < 0.4:
        q.accepted = _office_time(rng, q.submitted, 0)
    q.deleted = max(q.submitted, q.accepted or 0) + int(rng.integers(2 * HOUR, 3 * DAY))
    q.reason = str(rng.choice(reasons))
    return q


def _scaled(n: int, scale: float) -> int:
    return int(round(n * scale))


def _appendix_02() -> list[dict]:
    return [
        {k: v if k == "portal_id" else int(v) for k, v in r.items()}
        for r in rows("appendix_02.csv")
    ]


def _questions_9m_2023(rng, scale: float) -> list[_Question]:
    """Appendix 02 as it stood on 25/09/2023: answered, waiting, deleted, late per agency."""
    dates: dict[str, tuple[list, list]] = {}
    for r in rows("appendix_02_dates.csv"):
        late_dates, waiting_dates = dates.setdefault(r["portal_id"], ([], []))
        if r["kind"] == "late":
            late_dates.append((r["submitted"], r["answered"]))
        else:
            waiting_dates.append(r["submitted"])
    questions = []
    for row in _appendix_02():
        portal = row["portal_id"]
        late_dates, waiting_dates = dates.get(portal, ((), ()))
        n_late = _scaled(row["late"], scale)
        n_unauthorized = _scaled(row["unauthorized"], scale)
        n_answered = _scaled(row["answered"], scale)
        for i in range(n_late):
            if i < len(late_dates):
                submitted_day, answered_day = late_dates[i]
                q = _Question(portal, ts(submitted_day, "09:40"))
                q.answered = ts(answered_day, "15:20")
                q.accepted = q.answered - int(rng.integers(DAY, 3 * DAY))
            else:  # TP Lào Cai's were in the first half of the year
                q = _late(rng, _Question(portal, _day_time(rng, "2023-01-03", "2023-05-31")))
            questions.append(q)
        for i in range(max(0, n_answered - n_late)):
            q = _Question(portal, _day_time(rng, "2023-01-02", "2023-09-12"))
            questions.append(_on_time(rng, q, authorized=i >= n_unauthorized))
        for _ in range(_scaled(row["waiting_answer"], scale)):  # sent in the last days, in time
            q = _Question(portal, _day_time(rng, "2023-09-19", "2023-09-21"))
            q.accepted = _office_time(rng, q.submitted, 1)
            q.answered = ts("2023-09-27", "09:00") + int(rng.integers(0, 7 * DAY))
            questions.append(q)
        for i in range(_scaled(row["waiting_acceptance"], scale)):
            day = waiting_dates[i] if i < len(waiting_dates) else None
            submitted = ts(day, "20:15") if day else _day_time(rng, "2023-01-03", "2023-09-20")
            q = _Question(portal, submitted)
            q.accepted = _office_time(rng, ts("2023-10-02"), int(rng.integers(0, 10)))
            q.answered = _office_time(rng, q.accepted, int(rng.integers(1, 6)))
            questions.append(q)
        for _ in range(_scaled(row["deleted"], scale)):
            q = _Question(portal, _day_time(rng, "2023-01-02", "2023-09-20"))
            questions.append(
                _deleted(rng, q, _QA_REASONS.get(portal, ("duplicate", "violation", "other")))
            )
    return questions


def _questions_generic(rng, scale, lo, hi, total, late, portals, weights, split=None):
    """Questions of a period outside the seed's window, spread with the agencies' weights; one
    sent to `split`'s retired agency after its day goes to one of its successors."""
    questions = []
    for _ in range(_scaled(total, scale)):
        portal = str(rng.choice(portals, p=weights / weights.sum()))
        q = _Question(portal, _day_time(rng, lo, hi))
        if split and portal == split[0] and q.submitted >= split[1]:
            q.portal_id = str(rng.choice(split[2]))
        u = rng.random()
        if u < 0.15:
            _deleted(rng, q, ("duplicate", "duplicate", "violation", "forwarded", "invalid_asker"))
        elif u < 0.15 + _QA_SLOW.get(portal, late):
            _late(rng, q)
        else:
            _on_time(rng, q, authorized=None if rng.random() < 0.15 else bool(rng.random() > 0.03))
        questions.append(q)
    return questions


def _asker(rng) -> tuple[str, str, str]:
    pools = (text.SURNAMES, text.MIDDLE, text.GIVEN)
    surname, middle, given = (str(rng.choice(pool)) for pool in pools)
    name = f"{surname} {middle} {given}"
    email = f"{text.slug(given)}.{text.slug(surname)}{int(rng.integers(10, 999))}@gmail.com"
    phone = f"0{rng.choice(('9', '8', '3'))}{int(rng.integers(10_000_000, 99_999_999))}"
    return name, email, phone


def _topics(registry: Registry, q: _Question) -> tuple[str, ...]:
    """What the unit is asked about, or else the agency the question was drawn with."""
    for pid in (q.portal_id, q.asked):
        # Yên Bái's departments are asked what their Lào Cai counterparts are (same id after yb-)
        found = _QA_TOPICS.get(pid) or _QA_TOPICS.get(pid.removeprefix("yb-"))
        if found:
            return found
        if registry.by_id[pid].group == "district":
            return text.DISTRICT_TOPICS
    return ("other",)


def _rows(rng, registry: Registry, questions: list[_Question], places, first: int) -> list[dict]:
    """Each question's events, numbered per system and year of sending."""
    questions.sort(key=lambda q: (q.submitted, q.portal_id))
    rows_, seq, askers = [], Counter(), {}
    for number, q in enumerate(questions, start=first):
        year = local_year(q.submitted)
        portal = registry.by_id[q.portal_id]
        prefix = "YB-HD" if portal.registry == YEN_BAI else "HD"
        seq[(prefix, year)] += 1
        qid = f"{prefix}{year}-{seq[(prefix, year)]:05d}"
        topic = str(rng.choice(_topics(registry, q)))
        if q.reason == "duplicate" and q.portal_id in askers:  # the same asker asking again
            name, email, phone = askers[q.portal_id]
        else:
            name, email, phone = _asker(rng)
        askers[q.portal_id] = (name, email, phone)
        body = (
            f"Kính gửi {portal.name_at(q.submitted)}. Tôi là {name}, trú tại {rng.choice(places)}."
            f" Tôi xin hỏi về {rng.choice(text.QA_SUBJECTS[topic])}. {rng.choice(text.QA_ENDINGS)}"
            " Xin trân trọng cảm ơn!"
        )
        base = {"portal_id": q.portal_id, "question_id": qid, "number": number}
        events = [
            {"event_type": "submitted", "occurred_at": q.submitted, "topic": topic,
             "asker_name": name, "asker_email": email, "asker_phone": phone, "body": body},
        ]  # fmt: skip
        if q.accepted is not None:
            events.append({"event_type": "accepted", "occurred_at": q.accepted})
        if q.deleted is not None:
            events.append(
                {"event_type": "deleted", "occurred_at": q.deleted, "deletion_reason": q.reason}
            )
        elif q.answered is not None:
            events.append(
                {"event_type": "answered", "occurred_at": q.answered,
                 "responder_authorized": q.authorized}
            )  # fmt: skip
            if q.answered >= _RATED_FROM and rng.random() < 0.35:
                events.append(
                    {"event_type": "rated",
                     "occurred_at": q.answered + int(rng.integers(2 * HOUR, 7 * DAY)),
                     "rating": int(rng.choice(5, p=_RATINGS)) + 1}
                )  # fmt: skip
        rows_ += [
            {**base, **e, "event_id": f"{qid}.{e['event_type']}"}
            for e in events
            if e["occurred_at"] < DATA_END
        ]
    return rows_


def simulate_seed_years(rng, registry: Registry, scale: float) -> list[dict]:
    """Lào Cai's questions of 2022 and 2023, and a few orphans of December 2021."""
    appendix = _appendix_02()
    portals = [r["portal_id"] for r in appendix]
    weights = np.array([r["total"] + 1.0 for r in appendix])
    split = next(m for m in registry.moves if m.portal_id == "so-gtvt-xd")
    split_ = (split.portal_id, split.at, split.successors)
    generic = (portals, weights, split_)
    questions = (
        _questions_generic(rng, scale, "2022-01-01", "2022-12-31", _QA_YEAR_TOTALS[2022], 0.08,
                           *generic)
        + _questions_9m_2023(rng, scale)
        + _questions_generic(rng, scale, "2023-09-26", "2023-12-31", _QA_YEAR_TOTALS["2023-Q4"],
                             0.03, *generic)
    )  # fmt: skip
    places = tuple(p.name for p in registry.seed_portals() if p.group in ("commune", "district"))
    out = _rows(rng, registry, questions, places, first=0)
    # questions sent in December 2021 whose `submitted` the export does not hold: orphans
    for i, (portal, day) in enumerate(
        (("so-gddt", "2022-01-04"), ("so-tnmt", "2022-01-05"), ("tp-lao-cai", "2022-01-06"))
    ):
        qid = f"HD2021-{1490 + i:05d}"
        base = {"portal_id": portal, "question_id": qid, "number": -1 - i}
        out.append({**base, "event_id": f"{qid}.accepted", "event_type": "accepted",
                    "occurred_at": ts(day, "08:10")})  # fmt: skip
        out.append({**base, "event_id": f"{qid}.answered", "event_type": "answered",
                    "occurred_at": ts(day, "15:45"), "responder_authorized": True})  # fmt: skip
    return out


def simulate_later_years(rng, registry: Registry, lineage: Lineage, scale: float) -> list[dict]:
    """Lào Cai's and Yên Bái's questions from 2024, to the units in force."""
    appendix = _appendix_02()
    lao_cai = ([r["portal_id"] for r in appendix], np.array([r["total"] + 1.0 for r in appendix]))
    figures = rows("yen_bai_figures.csv")
    yen_bai = (
        [r["portal_id"] for r in figures],
        np.array([float(r["questions"]) for r in figures]),
    )
    questions = []
    for year in range(2024, 2027):
        first, last = f"{year}-01-02", f"{year}-12-31" if year < 2026 else "2026-10-31"
        questions += _questions_generic(
            rng, scale, first, last, _LATER_TOTALS[year], 0.04, *lao_cai
        )
        span = (np.datetime64(last) - np.datetime64(first)).astype(int) + 1
        total = yen_bai[1].sum() * span / 365
        questions += _questions_generic(rng, scale, first, last, total, 0.06, *yen_bai)
    asked = np.array([lineage.index[q.portal_id] for q in questions], dtype=np.int64)
    submitted = np.array([q.submitted for q in questions], dtype=np.int64)
    for q, unit in zip(questions, lineage.remap(asked, submitted, rng=rng), strict=True):
        q.portal_id = str(lineage.ids[unit])
    return _rows(rng, registry, questions, _places(registry), first=1_000_000)


def _places(registry: Registry) -> tuple[str, ...]:
    return tuple(p.name for p in registry.portals if p.group in ("commune", "ward", "district"))


def onto_units_in_force(rows_: list[dict], registry: Registry, lineage: Lineage) -> list[dict]:
    """A question's later events (accepted, answered, ...) come from the unit in force then."""
    later = [r for r in rows_ if r["event_type"] != "submitted"]
    if later:
        unit = np.array([lineage.index[r["portal_id"]] for r in later], dtype=np.int64)
        at = np.array([r["occurred_at"] for r in later], dtype=np.int64)
        number = np.array([r["number"] for r in later], dtype=np.int64) + 10
        moved = lineage.remap(unit, at, u=stable_uniform(number))
        for r, m in zip(later, moved, strict=True):
            r["portal_id"] = str(lineage.ids[m])
    for r in rows_:
        del r["number"]
        yen_bai = registry.by_id[r["portal_id"]].registry == YEN_BAI
        r["source"] = "hoidap-yenbai" if yen_bai else "hoidap"
    return sorted(rows_, key=lambda r: (r["occurred_at"], r["event_id"]))
