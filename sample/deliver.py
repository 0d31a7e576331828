"""The deliveries: each stream cut into the files its source systems sent, when they sent them.

Each stream comes in several files and formats, re-delivered files and overlapping re-exports
(exact duplicates), modification times out of content order, every timestamp style, a CSV in
windows-1258, orphans, and a few tens of bad records (sample/planted.py). Yên Bái's systems hand
over their history from 2024, in their own files and with their own `source`, when its portals
join Lào Cai's on 1 July 2025; from then on the merged province's units are in Lào Cai's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sample import assessments, channels, dossiers, planted, portals, posts, questions, schemas
from sample.clock import DAY, TODAY, local_days, ts
from sample.files import Landing, Out, between, conflicts, cp1258, csv_bytes
from sample.portals import LAO_CAI, PROVINCE_PORTAL, YEN_BAI, Registry

DEFAULT_SEED = 2023
SPLIT_DAY = "2023-12-27"  # Sở GTVT - Xây dựng splits into Sở GTVT and Sở Xây dựng
HANDOVER = "2025-07-0{} {}"  # Yên Bái's systems hand their history over in the first days


def _of(table: pa.Table, registry: Registry, which: str) -> pa.Table:
    """The rows of the portals registered by `which` registry (Lào Cai's or Yên Bái's)."""
    mine = [p.portal_id for p in registry.portals if p.registry == which]
    return table.filter(pc.is_in(table["portal_id"], pa.array(mine)))


# ---- the registry


def _deliver_portals(landing: Landing, registry: Registry) -> int:
    rows_ = registry.events
    lao_cai = schemas.table("portal", [r for r in rows_ if r["registry"] == LAO_CAI])
    seconds = pc.cast(lao_cai["occurred_at"], pa.int64())
    before_split = lao_cai.filter(pc.less(seconds, ts(SPLIT_DAY)))
    for name, times, lo, hi, delivered in (
        ("registry-2019-2021.csv", "naive", "2018-01-01", "2022-01-01", "2022-01-04 08:00"),
        ("registry-2022.jsonl", "+07:00", "2022-01-01", "2023-01-01", "2023-01-03 08:00"),
        # the 2023 export came after the split's own file: delivery order is not content order
        ("registry-2023.parquet", "typed", "2023-01-01", "2024-01-01", "2024-01-02 08:00"),
    ):
        out = Out(name, times, bom=name.endswith(".csv"))
        landing.write("portal", out, between(before_split, lo, hi), delivered, planted.portal(name))
    split = between(lao_cai, SPLIT_DAY, "2024-01-01")
    landing.write(
        "portal", Out("registry-2023-12-tach-so.jsonl.gz", "Z"), split, "2023-12-28 08:00"
    )
    landing.write("portal", Out("registry-2023-12-tach-so.jsonl", "Z"), split, "2024-01-05 08:00")
    # 1 March 2025: the departments merge
    march = between(lao_cai, "2024-01-01", portals.MERGER_DAY)
    landing.write("portal", Out("registry-2025-03-sap-xep-so.parquet", "typed"), march,
                  "2025-03-03 08:00")  # fmt: skip
    # Yên Bái's registry, handed over the day before its portals join Lào Cai's
    yen_bai = schemas.table("portal", [r for r in rows_ if r["registry"] == YEN_BAI])
    landing.write("portal", Out("yenbai-registry-2024-2025.csv", "naive", bom=True), yen_bai,
                  "2025-06-30 16:00")  # fmt: skip
    # 1 July 2025: Yên Bái's units, the districts and the communes into the merged province's
    name = "registry-2025-07-hop-nhat.jsonl.gz"
    landing.write("portal", Out(name, "Z"), between(lao_cai, portals.MERGER_DAY, "2027-01-01"),
                  "2025-07-01 07:30", planted.portal(name))  # fmt: skip
    return lao_cai.num_rows + yen_bai.num_rows


# ---- posts


def _deliver_posts(landing: Landing, registry: Registry, table: pa.Table) -> None:
    lao_cai = _of(table, registry, LAO_CAI)
    province = lao_cai.filter(pc.equal(lao_cai["portal_id"], PROVINCE_PORTAL))
    components = lao_cai.filter(pc.not_equal(lao_cai["portal_id"], PROVINCE_PORTAL))
    for year in range(2022, 2027):
        name = f"cong-tinh-{year}.jsonl.gz"
        part = between(province, f"{year}-01-01", f"{year + 1}-01-01")
        url = pc.binary_join_element_wise("https://laocai.gov.vn/tin-tuc/", part["post_id"], "")
        delivered = f"{year + 1}-01-02 09:00" if year < 2026 else "2026-11-02 09:00"
        landing.write("post", Out(name, "Z"), part.append_column("url", url), delivered,
                      planted.post(name))  # fmt: skip
    for quarter in range(1, 5):
        name = f"thanhphan-2022-Q{quarter}.csv.gz"
        lo = f"2022-{3 * quarter - 2:02d}-01"
        hi = f"2022-{3 * quarter + 1:02d}-01" if quarter < 4 else "2023-01-01"
        # Q2 came late, after Q3 had been delivered
        delivered = "2022-11-15 14:00" if quarter == 2 else f"{np.datetime64(hi) + 4} 09:30"
        landing.write(
            "post", Out(name, "naive"), between(components, lo, hi), delivered, planted.post(name)
        )
    for month in range(1, 13):
        # the component CMS moved to version 4.0 in July 2023: typed timestamps from then on
        name = f"thanhphan-2023-{month:02d}.parquet"
        hi = f"2023-{month + 1:02d}-01" if month < 12 else "2024-01-01"
        part = between(components, f"2023-{month:02d}-01", hi)
        landing.write("post", Out(name, "+07:00" if month <= 6 else "typed"), part,
                      f"{np.datetime64(hi) + 2} 07:45")  # fmt: skip
    landing.copy("post", "thanhphan-2023-03.parquet", "thanhphan-2023-03-gui-lai.parquet",
                 "2023-05-10 10:00")  # fmt: skip
    april = between(components, "2023-04-01", "2023-05-01")
    published = april.filter(pc.equal(april["event_type"], "published"))
    first = published["category"][0].as_py() if published.num_rows else None
    name = "thanhphan-2024-01-bo-sung.jsonl"
    landing.write(
        "post",
        Out(name, "+07:00"),
        components.slice(0, 0),
        "2024-01-15 11:30",
        planted.post(name)
        + conflicts(published, "+07:00", category="other" if first == "news" else "news"),
    )
    # from 2024 a quarter a file: JSON Lines, then Parquet (2025), then CSV (2026)
    for year in (2024, 2025, 2026):
        for quarter in range(1, 5):
            lo = f"{year}-{3 * quarter - 2:02d}-01"
            hi = f"{year}-{3 * quarter + 1:02d}-01" if quarter < 4 else f"{year + 1}-01-01"
            name = f"thanhphan-{year}-Q{quarter}"
            out = {
                2024: Out(f"{name}.jsonl.gz", "+07:00"),
                2025: Out(f"{name}.parquet", "typed"),
                2026: Out(f"{name}.csv", "+07:00", bom=True),
            }[year]
            delivered = min(f"{np.datetime64(hi) + 3} 08:15", "2026-11-03 08:15")
            landing.write("post", out, between(components, lo, hi), delivered)
    # Yên Bái's CMS: its history, a file a year
    yen_bai = _of(table, registry, YEN_BAI)
    for year in (2024, 2025):
        part = between(yen_bai, f"{year}-01-01", f"{year + 1}-01-01")
        landing.write("post", Out(f"yenbai-tintuc-{year}.csv.gz", "naive", bom=True), part,
                      HANDOVER.format(3, "10:00"))  # fmt: skip


# ---- questions


def _deliver_questions(landing: Landing, registry: Registry, table: pa.Table) -> None:
    lao_cai = _of(table, registry, LAO_CAI)
    landing.write("question", Out("hoidap-2022.jsonl", "mixed"),
                  between(lao_cai, "2021-01-01", "2023-01-01"), "2023-01-04 08:00",
                  planted.question("hoidap-2022.jsonl"))  # fmt: skip
    first_half = Out("hoidap-2023-H1.csv", "naive", bom=True)
    landing.write("question", first_half, between(lao_cai, "2023-01-01", "2023-07-01"),
                  "2023-07-03 08:00", planted.question(first_half.name))  # fmt: skip
    # June exported again on request: the same rows, the same way
    landing.write(
        "question",
        Out("hoidap-2023-06-xuat-lai.csv", "naive", bom=True),
        between(lao_cai, "2023-06-01", "2023-07-01"),
        "2023-07-20 15:00",
    )
    landing.write(
        "question",
        Out("hoidap-2023-H2.parquet", "typed"),
        between(lao_cai, "2023-07-01", "2024-01-01"),
        "2024-01-03 08:00",
    )
    spring = between(lao_cai, "2023-01-01", "2023-06-01")
    answered = spring.filter(pc.equal(spring["event_type"], "answered"))
    flipped = bool(answered.num_rows) and answered["responder_authorized"][0].as_py() is False
    landing.write(
        "question",
        Out("hoidap-2024-01-bo-sung.jsonl", "+07:00"),
        lao_cai.slice(0, 0),
        "2024-01-15 11:40",
        conflicts(answered, "+07:00", responder_authorized=flipped),
    )
    for out, lo, hi, delivered in (
        (Out("hoidap-2024.jsonl.gz", "+07:00"), "2024-01-01", "2025-01-01", "2025-01-03 08:00"),
        (Out("hoidap-2025.parquet", "typed"), "2025-01-01", "2026-01-01", "2026-01-05 08:00"),
        (Out("hoidap-2026-01-10.csv", "naive", bom=True), "2026-01-01", "2027-01-01",
         "2026-11-02 08:00"),
    ):  # fmt: skip
        landing.write("question", out, between(lao_cai, lo, hi), delivered)
    name = "yenbai-hoidap-2024-2025.jsonl"
    landing.write("question", Out(name, "Z"), _of(table, registry, YEN_BAI),
                  HANDOVER.format(3, "14:00"), planted.question(name))  # fmt: skip


# ---- dossiers


def _month_files(year: int, month: int) -> tuple[str, str]:
    """(dvc file, motcua file) holding Lào Cai's events of a local month."""
    if year == 2021:
        return "dvc-2021-12.jsonl.gz", "motcua-2021-Q4.csv.gz"
    quarter = (month + 2) // 3
    if year == 2022:
        return f"dvc-2022-{month:02d}.jsonl.gz", f"motcua-2022-Q{quarter}.csv.gz"
    if year == 2023:
        dvc = f"dvc-2023-{month:02d}" + (".jsonl.gz" if month <= 6 else ".parquet")
        return dvc, f"motcua-2023-Q{quarter}.csv"
    # from 2024 the online system exports a quarter at a time
    dvc = f"dvc-{year}-Q{quarter}" + (".jsonl.gz" if year == 2025 else ".parquet")
    return dvc, f"motcua-{year}-Q{quarter}.csv" + (".gz" if year == 2026 else "")


_DVC_EXTRA = (("he_thong", "DVC Lào Cai"),)
_MOTCUA_COLUMNS = ("dossier_id", "event_id", "event_type", "occurred_at", "portal_id", "channel",
                   "service_level", "procedure_code", "due_at", "source")  # fmt: skip


def _dossier_out(name: str) -> Out:
    if name.startswith("yenbai-"):
        return Out(name, "typed") if name.endswith(".parquet") else Out(name, "naive", bom=True)
    if name.startswith("motcua-2023"):
        return Out(name, "+07:00", bom=True, columns=_MOTCUA_COLUMNS)
    if name.startswith("motcua"):
        return Out(name, "naive", columns=_MOTCUA_COLUMNS)
    if name.endswith(".parquet"):
        return Out(name, "typed")
    return Out(name, "Z" if name.startswith("dvc-2023") else "+07:00", extra=_DVC_EXTRA)


def _dossier_delivery(name: str) -> str:
    """When a dossier file reached the landing folder (local time)."""
    late = {
        "dvc-2021-12.jsonl.gz": "2023-02-20 10:05",  # backfilled after the 2023 migration
        "motcua-2021-Q4.csv.gz": "2023-02-20 10:07",
        "motcua-2022-Q1.csv.gz": "2022-10-20 16:40",  # after Q2 and Q3
        "dvc-2026-Q4.parquet": "2026-11-05 16:10",  # October's, sent before the quarter ends
        "motcua-2026-Q4.csv.gz": "2026-11-05 16:30",
    }
    if name in late:
        return late[name]
    if name.startswith("yenbai-"):
        return HANDOVER.format(4, "09:00" if "-dvc-" in name else "09:10")
    year, period = name.split("-")[1:3]
    period = period.split(".")[0]
    if period.startswith("Q"):
        end = np.datetime64(f"{year}-{3 * int(period[1]):02d}") + 1
        return f"{np.datetime64(end, 'D') + 6} 16:30"
    return f"{np.datetime64(f'{year}-{period}') + 1}-03 07:15"


def _dossier_files(registry: Registry, d: dossiers.Dossiers) -> tuple[list[str], np.ndarray]:
    """The names of the dossier files, and which of them holds each event."""
    first_month = (2021 - 1970) * 12 + 11
    last_month = (2026 - 1970) * 12 + 9
    names = [_month_files(1970 + m // 12, m % 12 + 1) for m in range(first_month, last_month + 1)]
    dvc_names = list(dict.fromkeys(dvc for dvc, _ in names))
    motcua_names = list(dict.fromkeys(motcua for _, motcua in names))
    yen_bai_years = [2024, 2025]
    yen_bai_names = [f"yenbai-dvc-{y}.parquet" for y in yen_bai_years]
    yen_bai_names += [f"yenbai-motcua-{y}.csv" for y in yen_bai_years]

    table, _ = dossiers.agencies(registry)
    in_yen_bai = np.array([a.registry == YEN_BAI for a in table])[d.event_unit]
    online = d.online[d.event_dossier]
    months = local_days(d.event_ts).astype("datetime64[M]").astype(np.int64)
    month_index = months - first_month
    dvc_of_month = np.array([dvc_names.index(dvc) for dvc, _ in names])
    quarter_of_month = np.array([motcua_names.index(motcua) for _, motcua in names])
    year_index = np.clip(months // 12 + 1970 - yen_bai_years[0], 0, len(yen_bai_years) - 1)
    month_index = np.clip(month_index, 0, len(names) - 1)
    lao_cai_file = np.where(
        online, dvc_of_month[month_index], len(dvc_names) + quarter_of_month[month_index]
    )
    yen_bai_file = (
        len(dvc_names) + len(motcua_names) + np.where(online, 0, len(yen_bai_years)) + year_index
    )
    return dvc_names + motcua_names + yen_bai_names, np.where(
        in_yen_bai, yen_bai_file, lao_cai_file
    )


def _deliver_dossiers(landing: Landing, registry: Registry, d: dossiers.Dossiers) -> None:
    names, file_id = _dossier_files(registry, d)
    order = np.lexsort((d.event_kind, d.event_dossier, d.event_ts, file_id))
    bounds = np.searchsorted(file_id[order], np.arange(len(names) + 1))
    kept: dict[str, pa.Table] = {}
    for i, name in enumerate(names):
        part = dossiers.table(registry, d, order[bounds[i] : bounds[i + 1]])
        if name in ("dvc-2023-02.jsonl.gz", "dvc-2023-03.jsonl.gz", "dvc-2023-05.jsonl.gz",
                    "dvc-2023-06.jsonl.gz"):  # fmt: skip
            kept[name] = part
        landing.write("dossier", _dossier_out(name), part, _dossier_delivery(name),
                      planted.dossier(name))  # fmt: skip

    # exact duplicates: a quarter delivered twice, part of a month exported again
    landing.copy("dossier", "motcua-2022-Q3.csv.gz", "motcua-2022-Q3-gui-lai.csv.gz",
                 "2023-01-16 09:00")  # fmt: skip
    landing.copy("dossier", "yenbai-motcua-2024.csv", "yenbai-motcua-2024-gui-lai.csv",
                 HANDOVER.format(8, "15:20"))  # fmt: skip
    march = kept["dvc-2023-03.jsonl.gz"]
    again = march.take(np.unique(np.linspace(0, max(march.num_rows - 1, 0), 40).astype(int)))
    landing.write("dossier", Out("dvc-2023-03-gui-lai.jsonl", "Z", extra=_DVC_EXTRA),
                  again if march.num_rows else march, "2023-04-20 08:30")  # fmt: skip

    # a late supplement: more duplicates, and ids re-used with another payload (conflicts)
    february, may = kept["dvc-2023-02.jsonl.gz"], kept["dvc-2023-05.jsonl.gz"]
    received = february.filter(pc.equal(february["event_type"], "received"))
    resolved = may.filter(pc.equal(may["event_type"], "resolved"))
    moved = resolved["occurred_at"][0].value + DAY if resolved.num_rows else None
    landing.write(
        "dossier",
        Out("dvc-2024-01-bo-sung.jsonl", "Z", extra=_DVC_EXTRA),
        kept["dvc-2023-06.jsonl.gz"].slice(0, 5),
        "2024-01-15 11:20",
        conflicts(received, "Z", _DVC_EXTRA, channel="counter")
        + conflicts(resolved, "Z", _DVC_EXTRA, occurred_at=moved),
    )


# ---- assessments


def _deliver_assessments(landing: Landing, registry: Registry, table: pa.Table) -> None:
    year_2022 = between(table, "2022-01-01", "2023-01-01")
    # the board first sent the districts' rows from a Windows machine, then the whole sheet
    districts = [p.portal_id for p in registry.seed_portals() if p.group == "district"]
    legacy = year_2022.filter(pc.is_in(year_2022["portal_id"], pa.array(districts)))
    text = csv_bytes(legacy, Out("", "+07:00"), []).decode("utf-8")
    landing.write_bytes("assessment", "bbt-2022-9M-win1258.csv", cp1258(text), "2022-10-06 17:10")
    landing.planted["non_utf8_file"] += 1
    landing.write("assessment", Out("bbt-2022-9M.csv", "+07:00", bom=True), year_2022,
                  "2022-10-07 09:00", planted.assessment("bbt-2022-9M.csv"))  # fmt: skip
    for period, first, review, out in (
        ("2023-9M", "2023-10-04 16:00", "2023-10-12 10:00", Out("bbt-2023-9M.jsonl", "+07:00")),
        ("2025-9M", "2025-10-09 08:00", None, Out("bbt-2025-9M.csv", "+07:00", bom=True)),
        ("2026-9M", "2026-10-05 16:00", "2026-10-12 10:00", Out("bbt-2026-9M.jsonl", "Z")),
    ):
        rows_ = table.filter(pc.equal(table["period_id"], period))
        revised = pc.match_substring(rows_["event_id"], "-phuc-khao")
        landing.write("assessment", out, rows_.filter(pc.invert(revised)), first,
                      planted.assessment(out.name))  # fmt: skip
        if review:
            landing.write("assessment", Out(f"bbt-{period}-phuc-khao.parquet", "typed"),
                          rows_.filter(revised), review)  # fmt: skip


@dataclass(frozen=True)
class GenerateSummary:
    files: tuple[Path, ...]  # every file written
    events: dict[str, int]  # distinct valid events per stream (what a correct ingest accepts)
    planted: dict[str, int]  # bad records planted, by kind; non_utf8_file counts files


def generate(landing: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0) -> GenerateSummary:
    """Write sample event files under <landing>/<stream>/, for 2022 to October 2026.

    Deterministic for a seed: the same seed and scale give byte-identical files and mtimes.

    `scale` multiplies the volumes of posts, questions and dossiers (1.0 ≈ the seed's province);
    the registry, the assessments and the planted bad records do not scale. Each stream draws
    from its own random streams, the seed's years from one and the later years from another, so
    a change in one leaves the others' files as they were.
    """
    registry = portals.build()
    everyone = portals.lineage(registry, [p.portal_id for p in registry.portals])
    handlers = portals.lineage(registry, [a.portal_id for a in dossiers.agencies(registry)[0]])
    out = Landing(Path(landing))

    rng = np.random.default_rng([seed, 1])
    seed_posts, rates_2023 = posts.simulate_seed_years(rng, registry, scale)
    later = np.random.default_rng([seed, 1, 2024])
    later_posts = posts.simulate_later_years(later, registry, everyone, scale, rates_2023)
    post_table = pa.concat_tables([seed_posts, later_posts]).sort_by(
        [("occurred_at", "ascending"), ("event_id", "ascending")]
    )

    rng, later = np.random.default_rng([seed, 2]), np.random.default_rng([seed, 2, 2024])
    question_rows = questions.simulate_seed_years(rng, registry, scale)
    question_rows += questions.simulate_later_years(later, registry, everyone, scale)
    question_rows = questions.onto_units_in_force(question_rows, registry, everyone)
    question_table = schemas.table("question", question_rows)

    rng, later = np.random.default_rng([seed, 3]), np.random.default_rng([seed, 3, 2024])
    d = dossiers.simulate(rng, registry, handlers, scale, later=False, carry_in=True)
    d = d + dossiers.simulate(later, registry, handlers, scale, later=True)

    assessment_table = schemas.table(
        "assessment", assessments.simulate(np.random.default_rng([seed, 4]))
    )

    events = {"portal": _deliver_portals(out, registry)}
    _deliver_posts(out, registry, post_table)
    _deliver_questions(out, registry, question_table)
    _deliver_dossiers(out, registry, d)
    _deliver_assessments(out, registry, assessment_table)
    channel_table = channels.table(np.random.default_rng([seed, 5]))  # v1.1, not scaled
    channels.deliver(out, channel_table)
    events |= {
        "post": post_table.num_rows,
        "question": question_table.num_rows,
        "dossier": len(d.event_ts),
        "assessment": assessment_table.num_rows,
        "channel": channel_table.num_rows,
    }
    assert max(f.stat().st_mtime for f in out.files) <= ts(TODAY), "a file from the future"
    return GenerateSummary(
        files=tuple(sorted(out.files)), events=events, planted=dict(sorted(out.planted.items()))
    )


def portal_registry() -> pa.Table:
    """The clean `portal` stream: both provinces' registrations and every change, 2019–2025."""
    return schemas.public(schemas.table("portal", portals.build().events))


def dossier_events(n_events: int, *, seed: int = 7) -> pa.Table:
    """Clean, valid dossier events for benchmarks (portal ids from portal_registry()), about
    n_events rows, with the contract's columns; occurred_at / due_at as tz-aware UTC timestamps.

    The earliest n_events of a simulation of Lào Cai's 2022–2023, so every lifecycle is whole up
    to its last event (dossiers cut at the end are simply still open).
    """
    registry = portals.build()
    handlers = portals.lineage(registry, [a.portal_id for a in dossiers.agencies(registry)[0]])
    return schemas.public(dossiers.clean_events(registry, handlers, n_events, seed))
