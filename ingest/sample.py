"""Deterministic, realistic sample events for the landing folder (shared/EVENTS.md).

The events imitate the source systems of Lào Cai province behind the seed reports
(shared/seeds/000_…: 9 months of 2023, appendices 01, 02, 03; 003_…: appendix 01.2) for 2022 and
2023, plus a few dossiers received in late 2021: the portal registry with the appendices'
agencies and 123 communes, posts per portal group, Q&A questions per agency, administrative
dossiers per agency and the editorial board's assessments. Volumes, shares and the notes of
appendix 01 follow the seed, so the warehouse's appendices come out close to the report's.

Then the deliveries are made as messy as real ones: each stream in several files and formats,
re-delivered files and overlapping re-exports (exact duplicates), modification times out of
content order, timestamps with `Z`, `+00:00`, `+07:00` or no offset, typed Parquet timestamps, a
CSV in windows-1258, orphans, and a few tens of bad records (`GenerateSummary.planted`).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ingest.contract import file_format

DEFAULT_SEED = 2023

# ---------------------------------------------------------------------------------------------
# Time: everything is simulated in epoch seconds (UTC) and reasoned about on local dates.

LOCAL_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh is UTC+07:00 all year (no daylight saving)
HOUR = 3600
DAY = 86_400


def _ts(day: str, hhmm: str = "00:00") -> int:
    """Epoch seconds of a local wall-clock time, e.g. _ts("2023-09-25", "17:00")."""
    wall = datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=UTC)
    return int(wall.timestamp()) - LOCAL_OFFSET


def _midnight(days: np.ndarray) -> np.ndarray:
    """Epoch seconds of the local midnight that starts each date."""
    return days.astype("datetime64[D]").astype(np.int64) * DAY - LOCAL_OFFSET


def _local_days(ts: np.ndarray) -> np.ndarray:
    return ((np.asarray(ts, dtype=np.int64) + LOCAL_OFFSET) // DAY).astype("datetime64[D]")


DATA_START = _ts("2022-01-01")
DATA_END = _ts("2024-01-01")  # exclusive
CUTOFF_9M = {2022: _ts("2022-09-26"), 2023: _ts("2023-09-26")}  # the seed's window ends 25/09
SPLIT_DAY = "2023-12-27"  # Sở GTVT - Xây dựng splits into Sở GTVT and Sở Xây dựng

# Weekday public holidays of Vietnam, 12/2021 – 01/2024: working days skip them and weekends.
_HOLIDAYS = np.array(
    [
        "2022-01-03", "2022-01-31", "2022-02-01", "2022-02-02", "2022-02-03", "2022-02-04",
        "2022-04-11", "2022-05-02", "2022-05-03", "2022-09-01", "2022-09-02",
        "2023-01-02", "2023-01-20", "2023-01-23", "2023-01-24", "2023-01-25", "2023-01-26",
        "2023-05-01", "2023-05-02", "2023-05-03", "2023-09-01", "2023-09-04", "2024-01-01",
    ],
    dtype="datetime64[D]",
)  # fmt: skip
_CAL = np.busdaycalendar(holidays=_HOLIDAYS)


def _workdays_later(days: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """The date n working days after each date (a non-working date first rolls forward)."""
    return np.busday_offset(days, n, roll="forward", busdaycal=_CAL)


# ---------------------------------------------------------------------------------------------
# The portal registry: appendix 01 (53 scored), 01.2 (not scored), the agencies that only appear
# in appendices 02/03, and the communes.


@dataclass(frozen=True)
class _Portal:
    portal_id: str
    name: str  # as the appendix prints it
    group: str
    bloc: str
    scored: bool
    registered: str  # local date
    parent: str | None = None
    retired: str | None = None

    @property
    def registered_ts(self) -> int:
        return _ts(self.registered, "08:30")

    @property
    def retired_ts(self) -> int:
        return _ts(self.retired, "09:00") if self.retired else DATA_END


# Appendix 01, section I: government bloc (scale 50 + 5), in the appendix's order.
_GOVERNMENT = (
    ("so-tttt", "Sở Thông tin và Truyền thông", "department"),
    ("ban-dan-toc", "Ban Dân tộc tỉnh", "department"),
    ("bql-kkt", "Ban Quản lý Khu kinh tế tỉnh", "department"),
    ("cong-an-tinh", "Công an tỉnh", "department"),
    ("cuc-hai-quan", "Cục Hải quan tỉnh", "department"),
    ("hd-tdkt", "Hội đồng Thi đua - Khen thưởng tỉnh", "department"),
    ("huyen-bao-yen", "Huyện Bảo Yên", "district"),
    ("huyen-bat-xat", "Huyện Bát Xát", "district"),
    ("huyen-si-ma-cai", "Huyện Si Ma Cai", "district"),
    ("so-cong-thuong", "Sở Công thương", "department"),
    ("so-gddt", "Sở Giáo dục và Đào tạo", "department"),
    ("so-ldtbxh", "Sở Lao động - Thương binh và Xã hội", "department"),
    ("so-nnptnt", "Sở Nông nghiệp và Phát triển nông thôn", "department"),
    ("so-tai-chinh", "Sở Tài chính", "department"),
    ("so-tnmt", "Sở Tài nguyên và Môi trường", "department"),
    ("thanh-tra-tinh", "Thanh tra tỉnh", "department"),
    ("tx-sa-pa", "Thị xã Sa Pa", "district"),
    ("vp-ubnd-tinh", "Văn phòng UBND tỉnh", "department"),
    ("vp-doan-dbqh-hdnd", "Văn phòng Đoàn ĐBQH và HĐND tỉnh", "department"),
    ("vqg-hoang-lien", "Vườn quốc gia Hoàng Liên", "department"),
    ("so-tu-phap", "Sở Tư pháp", "department"),
    ("tp-lao-cai", "Thành phố Lào Cai", "district"),
    ("huyen-bac-ha", "Huyện Bắc Hà", "district"),
    ("huyen-muong-khuong", "Huyện Mường Khương", "district"),
    ("so-gtvt-xd", "Sở Giao thông vận tải - Xây dựng", "department"),
    ("so-vhtt", "Sở Văn hóa và Thể thao", "department"),
    ("cuc-thong-ke", "Cục Thống kê tỉnh", "department"),
    ("huyen-bao-thang", "Huyện Bảo Thắng", "district"),
    ("huyen-van-ban", "Huyện Văn Bàn", "district"),
    ("so-khdt", "Sở Kế hoạch và Đầu tư", "department"),
    ("so-y-te", "Sở Y tế", "department"),
    ("vks-tinh", "Viện Kiểm sát nhân dân tỉnh", "department"),
    ("so-noi-vu", "Sở Nội vụ", "department"),
    ("so-khcn", "Sở Khoa học và Công nghệ", "department"),
    ("so-du-lich", "Sở Du lịch", "department"),
    ("kbnn-lao-cai", "Kho bạc Nhà nước Lào Cai", "department"),
    ("so-ngoai-vu", "Sở Ngoại vụ", "department"),
)

# Appendix 01, section II: party bloc and special sector portals (scale 90 + 5).
_PARTY = (
    ("ban-tuyen-giao-tu", "Ban Tuyên giáo Tỉnh ủy", "party_mass"),
    ("ban-noi-chinh-tu", "Ban Nội chính Tỉnh ủy", "party_mass"),
    ("ban-to-chuc-tu", "Ban Tổ chức Tỉnh ủy", "party_mass"),
    ("ubkt-tu", "Ủy ban kiểm tra Tỉnh ủy", "party_mass"),
    ("hoi-nong-dan", "Hội Nông dân tỉnh", "party_mass"),
    ("hoi-ccb", "Hội Cựu chiến binh tỉnh", "party_mass"),
    ("lien-minh-htx", "Liên minh Hợp tác xã tỉnh", "department"),  # special sector portal
    ("ubmttq-tinh", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "party_mass"),
    ("ldld-tinh", "Liên đoàn Lao động tỉnh", "party_mass"),
    ("hoi-lhpn", "Hội Liên hiệp Phụ nữ tỉnh", "party_mass"),
    ("truong-chinh-tri", "Trường Chính trị tỉnh", "party_mass"),
    ("ban-dan-van-tu", "Ban Dân vận Tỉnh ủy", "party_mass"),
    ("dang-uy-khoi", "Đảng ủy Khối Cơ quan - Doanh nghiệp tỉnh", "party_mass"),
    ("tinh-doan", "Tỉnh đoàn Lào Cai", "party_mass"),
    ("vp-tinh-uy", "Văn phòng Tỉnh ủy", "party_mass"),
    ("nhnn-lao-cai", "Ngân hàng Nhà nước chi nhánh tỉnh Lào Cai", "department"),  # special
)

# Appendix 01.2 (not scored, "KCĐ"), with the opening dates its notes give, and Cục Thuế (Q&A).
_NOT_SCORED = (
    # portal_id, name (spelled as printed), group, bloc, parent, registered
    ("so-gtvt", "Sở Giao thông vận tải", "department", "government", None, SPLIT_DAY),
    ("so-xay-dung", "Sở Xây dựng", "department", "government", None, SPLIT_DAY),
    ("quy-bvmt", "Qũy Bảo vệ môi trường tỉnh", "department", "government", "so-tnmt", "2020-11-16"),
    ("quy-dtpt", "Qũy Đầu tư phát triển tỉnh", "department", "government", None, "2020-12-07"),
    ("cdvc-tinh", "Công đoàn viên chức tỉnh", "party_mass", "party", "ldld-tinh", "2021-03-15"),
    ("tt-dau-gia", "Trung tâm Dịch vụ đấu giá tài sản tỉnh", "department", "government",
     "so-tu-phap", "2020-09-14"),
    ("pbgdpl", "Phổ biến giáo dục pháp luật tỉnh Lào Cai", "department", "government",
     "so-tu-phap", "2021-01-18"),
    ("tt-ctxh", "Trung tâm Công tác xã hội tỉnh", "department", "government", "so-ldtbxh",
     "2021-04-12"),
    ("tt-phvhcc", "Trung tâm Phục vụ hành chính công tỉnh", "department", "government",
     "vp-ubnd-tinh", "2020-10-19"),
    ("bql-vilg", "Ban Quản lý dự án VILG Lào Cai", "department", "government", "so-tnmt",
     "2021-06-07"),
    ("hoi-khuyen-hoc", "Hội Khuyến học tỉnh", "party_mass", "party", None, "2021-08-09"),
    ("hoi-chu-thap-do", "Hội Chữ thập đỏ tỉnh", "party_mass", "party", None, "2021-05-17"),
    ("lhh-khkt", "Liên hiệp các Hội Khoa học kỹ thuật tỉnh", "party_mass", "party", None,
     "2021-02-22"),
    ("chuyen-doi-so", "Chuyển đổi số tỉnh", "department", "government", "so-tttt", "2021-10-11"),
    ("quy-bvptr", "Qũy Bảo vệ phát triển rừng tỉnh", "department", "government", "so-nnptnt",
     "2022-09-28"),
    ("chi-cuc-dan-so", "Chi cục Dân số - Kế hoạch hóa gia đình tỉnh", "department",
     "government", "so-y-te", "2022-12-20"),
    ("ban-atgt", "Ban An toàn giao thông tỉnh", "department", "government", None, "2023-06-28"),
    ("bcd-cchc", "Ban Chỉ đạo Cải cách hành chính tỉnh", "department", "government",
     "so-noi-vu", "2023-11-28"),
    ("tt-dvvl", "Trung tâm Dịch vụ việc làm tỉnh", "department", "government", "so-ldtbxh",
     "2023-10-27"),
    ("tt-nong-nghiep", "Trung tâm Nông nghiệp và Dịch vụ nông nghiệp tỉnh", "department",
     "government", "so-nnptnt", "2023-10-03"),
    ("lh-huu-nghi", "Liên hiệp các tổ chức hữu nghị tỉnh", "party_mass", "party", None,
     "2023-12-26"),
    ("cuc-thue", "Cục Thuế", "department", "government", None, "2020-06-01"),
)  # fmt: skip

# Communes ("xã, phường, thị trấn"), by district: the first `early` were open before 2022, the
# others were handed over district by district from the given date in 2023 (+103 in 9M 2023).
_COMMUNES = (
    ("tp-lao-cai", 10, "2023-01-10", (
        "Phường Bắc Cường", "Phường Bắc Lệnh", "Phường Bình Minh", "Phường Cốc Lếu",
        "Phường Duyên Hải", "Phường Kim Tân", "Phường Lào Cai", "Phường Nam Cường",
        "Phường Pom Hán", "Phường Xuân Tăng", "Xã Cam Đường", "Xã Cốc San", "Xã Đồng Tuyển",
        "Xã Hợp Thành", "Xã Tả Phời", "Xã Vạn Hòa")),
    ("tx-sa-pa", 2, "2023-08-08", (
        "Phường Sa Pa", "Phường Sa Pả", "Phường Ô Quý Hồ", "Phường Phan Si Păng",
        "Phường Cầu Mây", "Phường Hàm Rồng", "Xã Bản Hồ", "Xã Hoàng Liên", "Xã Liên Minh",
        "Xã Mường Bo", "Xã Mường Hoa", "Xã Ngũ Chỉ Sơn", "Xã Tả Phìn", "Xã Tả Van",
        "Xã Thanh Bình", "Xã Trung Chải")),
    ("huyen-bao-thang", 2, "2023-02-14", (
        "Thị trấn Phố Lu", "Thị trấn Tằng Loỏng", "Thị trấn Nông trường Phong Hải",
        "Xã Bản Cầm", "Xã Bản Phiệt", "Xã Gia Phú", "Xã Phong Niên", "Xã Phú Nhuận",
        "Xã Sơn Hà", "Xã Sơn Hải", "Xã Thái Niên", "Xã Trì Quang", "Xã Xuân Giao",
        "Xã Xuân Quang")),
    ("huyen-si-ma-cai", 1, "2023-06-20", (
        "Thị trấn Si Ma Cai", "Xã Bản Mế", "Xã Cán Cấu", "Xã Lùng Thẩn", "Xã Nàn Sán",
        "Xã Nàn Sín", "Xã Quan Hồ Thẩn", "Xã Sán Chải", "Xã Sín Chéng", "Xã Thào Chư Phìn")),
    ("huyen-bat-xat", 1, "2023-03-08", (
        "Thị trấn Bát Xát", "Xã Bản Vược", "Xã Bản Qua", "Xã Bản Xèo", "Xã Mường Hum",
        "Xã Mường Vi", "Xã A Mú Sung", "Xã A Lù", "Xã Y Tý", "Xã Trịnh Tường", "Xã Nậm Chạc",
        "Xã Cốc Mỳ", "Xã Quang Kim", "Xã Pa Cheo", "Xã Phìn Ngan", "Xã Dền Sáng",
        "Xã Dền Thàng", "Xã Tòng Sành")),
    ("huyen-bao-yen", 1, "2023-04-11", (
        "Thị trấn Phố Ràng", "Xã Bảo Hà", "Xã Cam Cọn", "Xã Điện Quan", "Xã Kim Sơn",
        "Xã Lương Sơn", "Xã Minh Tân", "Xã Nghĩa Đô", "Xã Phúc Khánh", "Xã Tân Dương",
        "Xã Tân Tiến", "Xã Thượng Hà", "Xã Việt Tiến", "Xã Vĩnh Yên")),
    ("huyen-bac-ha", 1, "2023-05-16", (
        "Thị trấn Bắc Hà", "Xã Bản Phố", "Xã Bảo Nhai", "Xã Cốc Lầu", "Xã Cốc Ly",
        "Xã Hoàng Thu Phố", "Xã Lùng Cải", "Xã Lùng Phình", "Xã Nậm Đét", "Xã Nậm Khánh",
        "Xã Nậm Mòn", "Xã Na Hối", "Xã Tả Van Chư")),
    ("huyen-muong-khuong", 1, "2023-06-06", (
        "Thị trấn Mường Khương", "Xã Bản Lầu", "Xã Bản Sen", "Xã Cao Sơn", "Xã Dìn Chin",
        "Xã La Pan Tẩn", "Xã Lùng Vai", "Xã Nậm Chảy", "Xã Pha Long", "Xã Thanh Bình")),
    ("huyen-van-ban", 1, "2023-07-18", (
        "Thị trấn Khánh Yên", "Xã Chiềng Ken", "Xã Dương Quỳ", "Xã Hòa Mạc",
        "Xã Khánh Yên Hạ", "Xã Làng Giàng", "Xã Liêm Phú", "Xã Minh Lương", "Xã Nậm Chày",
        "Xã Sơn Thủy", "Xã Tân An", "Xã Võ Lao")),
)  # fmt: skip

PROVINCE_PORTAL = "ubnd-tinh"  # the provincial portal; appendix 03 lists its agency, UBND tỉnh
_RENAMED = ("bql-kkt", "2023-06-15", "Ban Quản lý các Khu kinh tế tỉnh Lào Cai")  # old name
_SPLIT = ("so-gtvt-xd", ("so-gtvt", "so-xay-dung"))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def _build_portals() -> tuple[_Portal, ...]:
    def working_day(day: np.datetime64) -> str:
        return str(_workdays_later(day, 0))

    portals = [_Portal(PROVINCE_PORTAL, "UBND tỉnh Lào Cai", "province", "government", False,
                       "2019-01-15")]  # fmt: skip
    for i, (pid, name, group) in enumerate(_GOVERNMENT):
        registered = working_day(np.datetime64("2019-04-01") + 19 * i)
        retired = SPLIT_DAY if pid == _SPLIT[0] else None
        portals.append(_Portal(pid, name, group, "government", True, registered, None, retired))
    for i, (pid, name, group) in enumerate(_PARTY):
        registered = working_day(np.datetime64("2020-10-05") + 23 * i)
        portals.append(_Portal(pid, name, group, "party", True, registered))
    for pid, name, group, bloc, parent, registered in _NOT_SCORED:
        portals.append(_Portal(pid, name, group, bloc, False, registered, parent))
    taken: set[str] = set()
    for k, (district, early, wave, names) in enumerate(_COMMUNES):
        initials = "".join(w[0] for w in _slug(district).split("-")[1:])
        for i, name in enumerate(names):
            pid = _slug(name).replace("thi-tran-", "tt-", 1)
            if pid in taken:  # the same commune name in two districts
                pid = f"{pid}-{initials}"
            taken.add(pid)
            if i < early:
                day = np.datetime64("2021-05-10") + 9 * (k * 3 + i)
            else:
                day = np.datetime64(wave) + 3 * (i - early)
            portals.append(
                _Portal(pid, name, "commune", "government", False, working_day(day), district)
            )
    return tuple(portals)


_PORTALS = _build_portals()
_PORTAL_BY_ID = {p.portal_id: p for p in _PORTALS}


# ---------------------------------------------------------------------------------------------
# Typed tables: the contract's columns with their types (timestamps in seconds, UTC).

_TS = pa.timestamp("s", tz="UTC")
_ENVELOPE = [
    ("event_id", pa.string()),
    ("event_type", pa.string()),
    ("occurred_at", _TS),
    ("portal_id", pa.string()),
    ("source", pa.string()),
]
_SCHEMAS = {
    "portal": pa.schema(
        _ENVELOPE
        + [
            ("name", pa.string()),
            ("portal_group", pa.string()),
            ("bloc", pa.string()),
            ("scored", pa.bool_()),
            ("parent_portal_id", pa.string()),
            ("successor_portal_ids", pa.list_(pa.string())),
        ]
    ),
    "post": pa.schema(
        _ENVELOPE
        + [
            ("post_id", pa.string()),
            ("kind", pa.string()),
            ("category", pa.string()),
            ("language", pa.string()),
            ("title", pa.string()),
        ]
    ),
    "question": pa.schema(
        _ENVELOPE
        + [
            ("question_id", pa.string()),
            ("topic", pa.string()),
            ("deletion_reason", pa.string()),
            ("responder_authorized", pa.bool_()),
            ("rating", pa.int8()),
            # personal data: the Q&A module delivers it, the warehouse must never keep it
            ("asker_name", pa.string()),
            ("asker_email", pa.string()),
            ("asker_phone", pa.string()),
            ("body", pa.string()),
        ]
    ),
    "dossier": pa.schema(
        _ENVELOPE
        + [
            ("dossier_id", pa.string()),
            ("procedure_code", pa.string()),
            ("channel", pa.string()),
            ("service_level", pa.int8()),
            ("due_at", _TS),
        ]
    ),
    "assessment": pa.schema(
        _ENVELOPE
        + [
            ("period_id", pa.string()),
            ("criterion", pa.string()),
            ("points", pa.float64()),
            ("note", pa.string()),
            ("assessor", pa.string()),
        ]
    ),
}


def _table(stream: str, rows: list[dict]) -> pa.Table:
    """A typed table of a stream from row dicts (timestamps as epoch seconds)."""
    schema = _SCHEMAS[stream]
    columns = {}
    for f in schema:
        values = [row.get(f.name) for row in rows]
        if pa.types.is_timestamp(f.type):
            columns[f.name] = pa.array(values, pa.int64()).cast(f.type)
        else:
            columns[f.name] = pa.array(values, f.type)
    return pa.table(columns, schema=schema)


def _public(table: pa.Table) -> pa.Table:
    """Timestamps in microseconds, the unit DuckDB and pandas expect of a tz-aware column."""
    us = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            name: table[name].cast(us) if pa.types.is_timestamp(table[name].type) else table[name]
            for name in table.column_names
        }
    )


def _registry_rows() -> list[dict]:
    rows = []
    for p in _PORTALS:
        rows.append(
            {
                "event_id": f"{p.portal_id}.registered",
                "event_type": "registered",
                "occurred_at": p.registered_ts,
                "portal_id": p.portal_id,
                "source": "quan-tri-cong",
                "name": _RENAMED[2] if p.portal_id == _RENAMED[0] else p.name,
                "portal_group": p.group,
                "bloc": p.bloc,
                "scored": p.scored,
                "parent_portal_id": p.parent,
            }
        )
    pid, day, _ = _RENAMED
    rows.append(
        {
            "event_id": f"{pid}.updated.{day.replace('-', '')}",
            "event_type": "updated",
            "occurred_at": _ts(day, "10:00"),
            "portal_id": pid,
            "source": "quan-tri-cong",
            "name": _PORTAL_BY_ID[pid].name,
        }
    )
    old, successors = _SPLIT
    rows.append(
        {
            "event_id": f"{old}.retired",
            "event_type": "retired",
            "occurred_at": _PORTAL_BY_ID[old].retired_ts,
            "portal_id": old,
            "source": "quan-tri-cong",
            "successor_portal_ids": list(successors),
        }
    )
    return sorted(rows, key=lambda r: (r["occurred_at"], r["event_id"]))


def portal_registry() -> pa.Table:
    """The clean `portal` stream: registrations, the 2023 rename and the 12/2023 split."""
    return _public(_table("portal", _registry_rows()))


# ---------------------------------------------------------------------------------------------
# Posts: per portal group volumes of the report's text, and for the 53 scored portals the
# mandatory categories that appendix 01's notes say they kept up, left sparse or left empty.

_POST_TARGETS = {  # items in the 9-month window (01/01–25/09) of 2022 and of 2023
    "province": (2892, 3318),
    "party_mass": (4394, 4524),
    "department": (10183, 11233),
    "district": (6948, 6783),
    "commune": (2584, 8584),
}
_POST_ACTIVITY = {  # relative activity (2022, 2023) where the report or appendix 01.2 says so
    "so-tttt": (1.5, 1.5),
    "quy-bvmt": (0.3, 0.0),
    "tt-dau-gia": (0.0, 0.0),
    "bql-vilg": (0.1, 0.0),
    "hoi-khuyen-hoc": (0.1, 0.0),
    "kbnn-lao-cai": (0.4, 0.4),
    "nhnn-lao-cai": (0.4, 0.4),
    "quy-bvptr": (0.3, 0.3),
    "chi-cuc-dan-so": (0.3, 0.3),
    "ban-atgt": (0.3, 0.3),
    "cdvc-tinh": (0.5, 0.3),
    "tt-ctxh": (0.5, 0.3),
    "cuc-thue": (0.2, 0.2),
    "huyen-van-ban": (1.0, 0.6),
}
_MANDATORY = {  # shared/RUBRIC.md §1
    "government": (
        "directive_documents",
        "periodic_reports",
        "sector_plans",
        "investment_procurement",
        "news",
    ),
    "party": ("directive_documents", "mass_mobilization", "news"),
}
# Appendix 01's notes for 2023: "còn ít, chưa thường xuyên (trừ 1 điểm)" = sparse (fewer than
# one item a month), "chưa cập nhật (trừ 2 điểm)" = missing (none in the window).
_GAPS_2023 = {
    "huyen-bac-ha": {"directive_documents": "sparse"},
    "huyen-muong-khuong": {"directive_documents": "sparse"},
    "so-gtvt-xd": {"periodic_reports": "sparse"},
    "so-vhtt": {"directive_documents": "sparse"},
    "cuc-thong-ke": {"sector_plans": "sparse"},
    "huyen-bao-thang": {"directive_documents": "missing"},
    "huyen-van-ban": {"directive_documents": "sparse", "news": "sparse"},
    "so-khdt": {"periodic_reports": "sparse", "directive_documents": "sparse"},
    "so-y-te": {"directive_documents": "sparse", "periodic_reports": "sparse"},
    "vks-tinh": {"periodic_reports": "sparse", "directive_documents": "sparse"},
    "so-noi-vu": {"sector_plans": "sparse", "directive_documents": "sparse"},
    "so-khcn": {"investment_procurement": "missing", "periodic_reports": "sparse"},
    "so-du-lich": {
        "sector_plans": "sparse",
        "investment_procurement": "missing",
        "directive_documents": "sparse",
    },
    "kbnn-lao-cai": {
        "periodic_reports": "missing",
        "sector_plans": "missing",
        "directive_documents": "sparse",
    },
    "so-ngoai-vu": {
        "sector_plans": "missing",
        "investment_procurement": "missing",
        "directive_documents": "sparse",
    },
    "ubmttq-tinh": {"directive_documents": "sparse"},
    "ldld-tinh": {"directive_documents": "sparse"},
    "hoi-lhpn": {"directive_documents": "sparse"},
    "truong-chinh-tri": {"mass_mobilization": "missing"},
    "ban-dan-van-tu": {"directive_documents": "sparse"},
    "dang-uy-khoi": {"directive_documents": "sparse", "mass_mobilization": "missing"},
    "tinh-doan": {"mass_mobilization": "sparse"},
    "vp-tinh-uy": {"directive_documents": "missing", "mass_mobilization": "missing"},
}
# 2022: the portals whose notes say they improved on the same period of 2022 were worse then.
_GAPS = {
    2022: {
        **_GAPS_2023,
        "ubkt-tu": {"directive_documents": "sparse", "mass_mobilization": "sparse"},
        "hoi-ccb": {"directive_documents": "sparse"},
        "ban-dan-van-tu": {"directive_documents": "sparse", "mass_mobilization": "missing"},
    },
    2023: _GAPS_2023,
}
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

_TOPICS = (
    "chuyển đổi số", "cải cách hành chính", "phòng, chống thiên tai", "xây dựng nông thôn mới",
    "giảm nghèo bền vững", "phát triển du lịch", "bảo đảm trật tự an toàn giao thông",
    "quản lý, bảo vệ rừng", "phòng cháy, chữa cháy", "chăm sóc sức khỏe nhân dân",
    "đào tạo nghề cho lao động nông thôn", "thu hút đầu tư", "phổ biến, giáo dục pháp luật",
    "phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu số",
)  # fmt: skip
_FIELDS = ("đất đai", "hộ tịch", "giáo dục", "y tế", "đầu tư", "lao động", "văn hóa",
           "giao thông", "tư pháp", "nông nghiệp")  # fmt: skip
_ITEMS = ("mua sắm thiết bị tin học", "sửa chữa trụ sở làm việc",
          "cung cấp dịch vụ thuê phần mềm", "xây dựng đường giao thông nông thôn",
          "tư vấn lập báo cáo kinh tế - kỹ thuật")  # fmt: skip
_TITLES = {
    "news": ("Hội nghị triển khai nhiệm vụ {topic} năm {year}",
             "Kiểm tra công tác {topic} tại {place}",
             "Tập huấn nghiệp vụ {topic} cho cán bộ cơ sở",
             "Sơ kết công tác {topic} 6 tháng đầu năm {year}", "{place}: đẩy mạnh {topic}"),
    "directive_documents": ("Công văn số {n}/{abbr}-VP về việc triển khai {topic}",
                            "Kế hoạch số {n}/KH-{abbr} thực hiện {topic} năm {year}",
                            "Quyết định số {n}/QĐ-{abbr} về {topic}"),
    "periodic_reports": ("Báo cáo kết quả thực hiện nhiệm vụ tháng {month}/{year}",
                         "Báo cáo tình hình {topic} quý {quarter}/{year}"),
    "sector_plans": ("Kế hoạch phát triển {topic} giai đoạn 2021 - 2025",
                     "Báo cáo phát triển ngành năm {year}"),
    "investment_procurement": ("Thông báo mời thầu gói thầu {item}",
                               "Kết quả lựa chọn nhà thầu gói thầu {item}"),
    "policy_guidance": ("Hướng dẫn thực hiện chính sách về {topic}",
                        "Tuyên truyền, phổ biến pháp luật về {topic}"),
    "mass_mobilization": ("Công tác dân vận trong {topic} tại {place}",
                          "Phát huy vai trò của Nhân dân trong {topic}"),
    "administrative_procedures": (
        "Công bố danh mục thủ tục hành chính sửa đổi, bổ sung lĩnh vực {field}",
        "Quy trình nội bộ giải quyết thủ tục hành chính lĩnh vực {field}"),
    "draft_consultation": ("Lấy ý kiến dự thảo Nghị quyết quy định về {topic}",
                           "Lấy ý kiến góp ý dự thảo Quyết định về {topic}"),
    "legal_documents": ("Quyết định số {n}/{year}/QĐ-UBND ban hành quy định về {topic}",
                        "Nghị quyết số {n}/{year}/NQ-HĐND về {topic}"),
    "gazette": ("Công báo tỉnh Lào Cai số {n} năm {year}",),
    "press_review": ("Điểm báo ngày {day}/{month}/{year}",),
    "media": ("Video: {topic} tại {place}", "Phóng sự ảnh: {place} hôm nay"),
    "statistics": ("Số liệu thống kê lĩnh vực {field} tháng {month}/{year}",),
    "introduction": ("Chức năng, nhiệm vụ, quyền hạn và cơ cấu tổ chức",
                     "Thông tin lãnh đạo cơ quan"),
    "other": ("Thông báo lịch tiếp công dân tháng {month}/{year}",
              "Thông báo tuyển dụng viên chức năm {year}"),
}  # fmt: skip
_EN_TITLES = (
    "Lao Cai steps up digital transformation in {year}",
    "Information and communications sector reviews tasks of quarter {quarter}/{year}",
    "Lao Cai trains administrators of component e-portals",
    "Sa Pa tourism marks 120 years",
    "Lao Cai promotes full online public services",
)
_ENGLISH_PORTAL = "so-tttt"  # the only component portal with English content (report, §I.2)
_PLACES = tuple(p.name for p in _PORTALS if p.group in ("commune", "district"))


def _abbreviation(name: str) -> str:
    return "".join(w[0] for w in _slug(name).split("-") if w != "va").upper()[:6]


def _random_times(rng, n: int, lo: int, hi: int, days, day_weight) -> np.ndarray:
    """n moments in [lo, hi), on days weighted by day_weight, mostly in the daytime."""
    first = np.datetime64(int((lo + LOCAL_OFFSET) // DAY), "D")
    last = np.datetime64(int((hi - 1 + LOCAL_OFFSET) // DAY), "D")
    i0, i1 = int((first - days[0]).astype(int)), int((last - days[0]).astype(int)) + 1
    weights = day_weight[i0:i1] / day_weight[i0:i1].sum()
    picked = days[i0 + rng.choice(i1 - i0, size=n, p=weights)]
    moments = _midnight(picked) + rng.integers(7 * HOUR, 22 * HOUR, size=n)
    return np.clip(moments, lo, hi - 1)


def _post_rates(rng, year: int) -> dict[str, float]:
    """Items per day per portal, so that each group meets its 9-month target."""
    start, cutoff = _ts(f"{year}-01-01"), CUTOFF_9M[year]
    weight, exposure = {}, Counter()
    for p in _PORTALS:
        weight[p.portal_id] = _POST_ACTIVITY.get(p.portal_id, (1.0, 1.0))[year - 2022]
        weight[p.portal_id] *= rng.lognormal(0.0, 0.35)
        days = max(0, min(p.retired_ts, cutoff) - max(p.registered_ts, start)) / DAY
        exposure[p.group] += weight[p.portal_id] * days
    return {
        p.portal_id: _POST_TARGETS[p.group][year - 2022] * weight[p.portal_id] / exposure[p.group]
        for p in _PORTALS
    }


def _portal_posts(rng, p: _Portal, year, rate, scale, days, day_weight):
    """(times, categories) of one portal's posts in one year."""
    start = max(p.registered_ts, _ts(f"{year}-01-01"))
    end = min(p.retired_ts, _ts(f"{year + 1}-01-01"))
    cutoff = CUTOFF_9M[year]
    times, categories = [], []

    def add(n, lo, hi, category):
        if n > 0 and lo < hi:
            times.append(_random_times(rng, n, lo, hi, days, day_weight))
            categories.append(np.asarray(category if np.ndim(category) else [category] * n))

    gaps = _GAPS[year].get(p.portal_id, {}) if p.scored else {}
    kept_up = [c for c in _MANDATORY[p.bloc] if c not in gaps] if p.scored else []
    for month in range(1, 13):
        # at least one item a month, within the 25 days the 9-month window holds of September
        lo = max(start, _ts(f"{year}-{month:02d}-01"))
        hi = min(end, _ts(f"{year}-{month:02d}-01") + 25 * DAY)
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


def _post_titles(rng, portal_ids, categories, times, english) -> list[str]:
    n = len(portal_ids)
    picks = rng.integers(0, 1_000_000, size=(n, 5))
    local = _local_days(times)
    years = local.astype("datetime64[Y]").astype(int) + 1970
    months = local.astype("datetime64[M]").astype(int) % 12 + 1
    mdays = (local - local.astype("datetime64[M]")).astype(int) + 1
    abbreviations = {p.portal_id: _abbreviation(p.name) for p in _PORTALS}
    titles = []
    for i in range(n):
        a, b, c, d, e = picks[i]
        pool = _EN_TITLES if english[i] else _TITLES[categories[i]]
        titles.append(
            pool[a % len(pool)].format(
                topic=_TOPICS[b % len(_TOPICS)],
                place=_PLACES[c % len(_PLACES)],
                field=_FIELDS[d % len(_FIELDS)],
                item=_ITEMS[e % len(_ITEMS)],
                n=1 + e % 2999,
                abbr=abbreviations[portal_ids[i]],
                year=years[i],
                month=months[i],
                quarter=(months[i] + 2) // 3,
                day=mdays[i],
            )
        )
    return titles


def _simulate_posts(rng, scale: float) -> pa.Table:
    portal_ids, times, categories = [], [], []
    for year in (2022, 2023):
        days = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
        day_weight = np.where(np.is_busday(days, busdaycal=_CAL), 1.0, 0.3)
        rates = _post_rates(rng, year)
        for p in _PORTALS:
            t, c = _portal_posts(rng, p, year, rates[p.portal_id], scale, days, day_weight)
            portal_ids.append(np.full(len(t), p.portal_id, dtype=object))
            times.append(t)
            categories.append(c)
    portal_id = np.concatenate(portal_ids)
    ts = np.concatenate(times).astype(np.int64)
    category = np.concatenate(categories)
    order = np.lexsort((ts, portal_id))
    portal_id, ts, category = portal_id[order], ts[order], category[order]

    # post ids number a portal's posts of a year in publication order
    year = _local_days(ts).astype("datetime64[Y]").astype(int) + 1970
    group_key = np.char.add(portal_id.astype(str), year.astype(str))
    starts = np.r_[0, np.flatnonzero(group_key[1:] != group_key[:-1]) + 1]
    seq = np.arange(len(ts)) - np.repeat(starts, np.diff(np.r_[starts, len(ts)])) + 1
    post_id = [f"{p}-{y % 100:02d}{s:05d}" for p, y, s in zip(portal_id, year, seq, strict=True)]

    english = (portal_id == _ENGLISH_PORTAL) & (rng.random(len(ts)) < 0.03)
    group = np.array([_PORTAL_BY_ID[p].group for p in portal_id], dtype=object)
    language = np.where(
        english, "en", np.where(np.isin(group, ("commune", "party_mass")), None, "vi")
    )
    kind = np.where(np.isin(category, list(_DATA_ITEMS)), "data_item", "article")
    title = np.array(_post_titles(rng, portal_id, category, ts, english), dtype=object)
    source = np.where(portal_id == PROVINCE_PORTAL, "cms-tinh", "cms-thanhphan")

    # later in a post's life: edits, withdrawals, and a few re-publications
    n = len(ts)
    updated = rng.random(n) < 0.05
    updated_at = ts + rng.integers(HOUR, 30 * DAY, size=n)
    unpublished = rng.random(n) < 0.01
    unpublished_at = ts + rng.integers(DAY, 60 * DAY, size=n)
    republished = unpublished & (rng.random(n) < 0.25)
    republished_at = unpublished_at + rng.integers(DAY, 10 * DAY, size=n)
    edited = title.copy()
    edited[updated] = [f"{t} ({'updated' if en else 'cập nhật'})"
                       for t, en in zip(title[updated], english[updated], strict=True)]  # fmt: skip

    post_id = np.array(post_id, dtype=object)
    none = np.full(n, None, dtype=object)
    lifecycle = (  # event id suffix, event type, which posts, when, kind/category/language, title
        ("published", "published", np.ones(n, bool), ts, True, title),
        ("updated", "updated", updated, updated_at, False, edited),
        ("unpublished", "unpublished", unpublished, unpublished_at, False, none),
        ("published-2", "published", republished, republished_at, True, title),
    )
    columns: dict[str, list] = {name: [] for name in _SCHEMAS["post"].names}
    for suffix, event_type, chosen, at, described, titles in lifecycle:
        mask = chosen & (at < DATA_END)
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
            f.name: pa.array(np.concatenate(columns[f.name]), pa.int64()).cast(f.type)
            if pa.types.is_timestamp(f.type)
            else pa.array(np.concatenate(columns[f.name]).tolist(), f.type)
            for f in _SCHEMAS["post"]
        }
    )
    return table.sort_by([("occurred_at", "ascending"), ("event_id", "ascending")])


# ---------------------------------------------------------------------------------------------
# Questions: appendix 02 row by row for 01/01–25/09/2023, with the dates its notes give; the rest
# of 2023 and 2022 drawn with the same agencies' weights.

_QA_2023 = (  # portal, total, answered, waiting answer, waiting acceptance, deleted
    ("so-gddt", 78, 73, 5, 0, 0),
    ("so-tnmt", 42, 34, 1, 0, 7),
    ("cong-an-tinh", 24, 13, 0, 0, 11),
    ("so-y-te", 21, 18, 0, 0, 3),
    ("tx-sa-pa", 21, 14, 0, 0, 7),
    ("cuc-thue", 19, 19, 0, 0, 0),
    ("so-ldtbxh", 9, 9, 0, 0, 0),
    ("so-tai-chinh", 8, 8, 0, 0, 0),
    ("cuc-hai-quan", 6, 6, 0, 0, 0),
    ("so-tu-phap", 5, 5, 0, 0, 0),
    ("so-nnptnt", 3, 3, 0, 0, 0),
    ("so-vhtt", 2, 2, 0, 0, 0),
    ("ban-dan-toc", 1, 1, 0, 0, 0),
    ("thanh-tra-tinh", 1, 1, 0, 0, 0),
    ("so-khcn", 1, 1, 0, 0, 0),
    ("so-gtvt-xd", 18, 17, 0, 0, 1),
    ("huyen-si-ma-cai", 18, 16, 0, 0, 2),
    ("so-noi-vu", 15, 14, 0, 0, 1),
    ("huyen-bat-xat", 8, 6, 0, 0, 2),
    ("huyen-bao-yen", 5, 2, 0, 0, 3),
    ("so-tttt", 3, 2, 0, 0, 1),
    ("huyen-muong-khuong", 2, 2, 0, 0, 0),
    ("huyen-bac-ha", 8, 7, 0, 0, 1),
    ("tp-lao-cai", 19, 16, 1, 0, 2),
    ("huyen-van-ban", 17, 10, 0, 2, 5),
    ("vp-ubnd-tinh", 8, 0, 0, 0, 8),
    ("vp-doan-dbqh-hdnd", 0, 0, 0, 0, 0),
    ("so-khdt", 0, 0, 0, 0, 0),
    ("so-cong-thuong", 0, 0, 0, 0, 0),
    ("so-ngoai-vu", 0, 0, 0, 0, 0),
    ("cuc-thong-ke", 0, 0, 0, 0, 0),
    ("hd-tdkt", 0, 0, 0, 0, 0),
    ("vqg-hoang-lien", 0, 0, 0, 0, 0),
    ("vks-tinh", 0, 0, 0, 0, 0),
    ("bql-kkt", 0, 0, 0, 0, 0),
    ("kbnn-lao-cai", 0, 0, 0, 0, 0),
    ("huyen-bao-thang", 9, 1, 0, 5, 3),
)
_QA_LATE_2023 = {"huyen-bac-ha": 1, "tp-lao-cai": 2, "huyen-van-ban": 1, "huyen-bao-thang": 1}
_QA_UNAUTHORIZED_2023 = {"huyen-muong-khuong": 1}
_QA_DATES_2023 = {  # from the notes of appendix 02: (submitted, answered) late, and still waiting
    "huyen-bao-thang": (
        (("2023-05-24", "2023-06-25"),),
        ("2023-04-19", "2023-07-22", "2023-07-22", "2023-08-13", "2023-08-18"),
    ),
    "huyen-van-ban": ((("2023-06-05", "2023-07-03"),), ("2023-07-10", "2023-09-15")),
}
_QA_REASONS = {
    "so-tnmt": ("duplicate",),
    "cong-an-tinh": ("duplicate", "invalid_asker"),
    "so-y-te": ("duplicate",),
    "tx-sa-pa": ("duplicate",),
    "vp-ubnd-tinh": ("duplicate", "forwarded"),
    "huyen-bao-thang": ("violation",),
}
_QA_YEAR_TOTALS = {2022: 710, "2023-Q4": 134}  # 521 in 9M 2022 (report: 371 = 521 − 150)
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
_QA_SUBJECTS = {
    "health": ("thủ tục cấp phép phòng y tế cho trường học",
               "tiền trực và thu nhập tăng thêm hàng quý của bệnh viện huyện",
               "cấp chứng chỉ hành nghề khám bệnh, chữa bệnh"),
    "education": ("chính sách hỗ trợ thuê cơ sở vật chất, xã hội hóa trong giáo dục",
                  "quy định cho học sinh nghỉ học", "thu chi xã hội hóa năm học 2022 - 2023",
                  "định mức tiết dạy của phó hiệu trưởng", "tuyển sinh vào lớp 10"),
    "land": ("gia hạn sử dụng đất vườn tạp của hộ gia đình",
             "chuyển mục đích đất trồng cây lâu năm sang đất ở", "thủ tục thuê đất sản xuất",
             "quy hoạch đất của tỉnh giai đoạn 2021 - 2030",
             "bàn giao mặt bằng đấu giá quyền sử dụng đất",
             "cấp lại giấy chứng nhận quyền sử dụng đất"),
    "environment": ("vị trí tập kết rác thải sinh hoạt", "tiếng ồn do quán karaoke, loa phường",
                    "ô nhiễm nguồn nước sinh hoạt"),
    "labour_policy": ("chế độ theo Nghị định 81 của Chính phủ", "chế độ sau khi thôi việc",
                      "trợ cấp thất nghiệp", "kỷ luật viên chức sinh con thứ 3"),
    "security": ("thủ tục sang tên đổi chủ xe", "tố giác tội phạm lừa đảo qua mạng",
                 "đăng ký thường trú"),
    "justice": ("thủ tục khai tử cho người chết", "đăng ký khai sinh cho con",
                "chứng thực bản sao"),
    "tax": ("quyết toán thuế thu nhập cá nhân", "lệ phí trước bạ nhà đất"),
    "customs": ("thủ tục xuất khẩu nông sản qua cửa khẩu Kim Thành",),
    "finance": ("nội dung chi, mức chi trong các cuộc thi, hội thi",),
    "agriculture": ("hỗ trợ giống cây trồng", "phòng chống dịch tả lợn châu Phi"),
    "culture_sports": ("tổ chức bán vé giải bóng chuyền", "cấp phép tổ chức lễ hội"),
    "transport": ("cấp đổi giấy phép lái xe", "đăng kiểm phương tiện"),
    "personnel": ("tuyển dụng viên chức", "nâng lương trước thời hạn"),
    "other": ("dự án khu đô thị mới tại phường Cốc Lếu",),
}  # fmt: skip
_DISTRICT_TOPICS = ("land", "education", "environment", "labour_policy", "justice")
_QA_ENDINGS = (
    "Thủ tục cần những giấy tờ gì và nộp ở đâu?",
    "Thời gian giải quyết là bao lâu?",
    "Trường hợp của gia đình tôi có được hưởng không?",
    "Đến nay đã hơn 2 tháng vẫn chưa được giải quyết, đề nghị cơ quan xem xét.",
)
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Giàng", "Lò", "Sùng",
             "Vàng", "Lù", "Ma", "Hà", "Lý", "Tẩn", "Thào")  # fmt: skip
_MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Hồng", "Seo", "A", "Quang", "Ngọc")
_GIVEN = ("Hùng", "Lan", "Dũng", "Hoa", "Tuấn", "Mai", "Sơn", "Hương", "Chiến", "Linh", "Páo",
          "Mỷ", "Chứ", "Thắng", "Nam", "Phương", "Quý", "Sử", "Vân")  # fmt: skip


def _office_time(rng, ts: int, workdays: int) -> int:
    """A moment in office hours `workdays` working days after ts's local date, after ts."""
    day = _workdays_later(_local_days(np.array([ts]))[0], workdays)
    moment = int(_midnight(np.array([day]))[0]) + int(rng.integers(7 * HOUR + 1800, 17 * HOUR))
    return moment if moment > ts else ts + int(rng.integers(600, 2 * HOUR))


def _day_time(rng, lo: str, hi: str) -> int:
    """A moment between 06:00 and 23:00 on a local date drawn from [lo, hi]."""
    day = np.datetime64(lo) + int(
        rng.integers(0, (np.datetime64(hi) - np.datetime64(lo)).astype(int) + 1)
    )
    return int(_midnight(np.array([day]))[0]) + int(rng.integers(6 * HOUR, 23 * HOUR))


@dataclass
class _Question:
    portal_id: str
    submitted: int
    accepted: int | None = None
    answered: int | None = None
    deleted: int | None = None
    reason: str | None = None
    authorized: bool | None = True


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


def _questions_9m_2023(rng, scale: float) -> list[_Question]:
    """Appendix 02 as it stood on 25/09/2023: answered, waiting, deleted, late per agency."""
    questions = []
    for portal, _total, answered, waiting_answer, waiting_acceptance, deleted in _QA_2023:
        late_dates, waiting_dates = _QA_DATES_2023.get(portal, ((), ()))
        n_late = _scaled(_QA_LATE_2023.get(portal, 0), scale)
        n_unauthorized = _scaled(_QA_UNAUTHORIZED_2023.get(portal, 0), scale)
        n_answered = _scaled(answered, scale)
        for i in range(n_late):
            if i < len(late_dates):
                submitted_day, answered_day = late_dates[i]
                q = _Question(portal, _ts(submitted_day, "09:40"))
                q.answered = _ts(answered_day, "15:20")
                q.accepted = q.answered - int(rng.integers(DAY, 3 * DAY))
            else:  # TP Lào Cai's were in the first half of the year
                q = _late(rng, _Question(portal, _day_time(rng, "2023-01-03", "2023-05-31")))
            questions.append(q)
        for i in range(max(0, n_answered - n_late)):
            q = _Question(portal, _day_time(rng, "2023-01-02", "2023-09-12"))
            questions.append(_on_time(rng, q, authorized=i >= n_unauthorized))
        for _ in range(_scaled(waiting_answer, scale)):  # sent in the last days, still in time
            q = _Question(portal, _day_time(rng, "2023-09-19", "2023-09-21"))
            q.accepted = _office_time(rng, q.submitted, 1)
            q.answered = _ts("2023-09-27", "09:00") + int(rng.integers(0, 7 * DAY))
            questions.append(q)
        for i in range(_scaled(waiting_acceptance, scale)):
            day = waiting_dates[i] if i < len(waiting_dates) else None
            submitted = _ts(day, "20:15") if day else _day_time(rng, "2023-01-03", "2023-09-20")
            q = _Question(portal, submitted)
            q.accepted = _office_time(rng, _ts("2023-10-02"), int(rng.integers(0, 10)))
            q.answered = _office_time(rng, q.accepted, int(rng.integers(1, 6)))
            questions.append(q)
        for _ in range(_scaled(deleted, scale)):
            q = _Question(portal, _day_time(rng, "2023-01-02", "2023-09-20"))
            questions.append(
                _deleted(rng, q, _QA_REASONS.get(portal, ("duplicate", "violation", "other")))
            )
    return questions


def _questions_generic(rng, scale: float, lo: str, hi: str, total: int, late: float):
    """Questions of a period outside the seed's window, spread like appendix 02's."""
    portals = [row[0] for row in _QA_2023]
    weights = np.array([row[1] + 1.0 for row in _QA_2023])
    questions = []
    for _ in range(_scaled(total, scale)):
        portal = str(rng.choice(portals, p=weights / weights.sum()))
        q = _Question(portal, _day_time(rng, lo, hi))
        if portal == _SPLIT[0] and q.submitted >= _ts(SPLIT_DAY):
            q.portal_id = str(rng.choice(_SPLIT[1]))
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
    surname, middle, given = (str(rng.choice(pool)) for pool in (_SURNAMES, _MIDDLE, _GIVEN))
    name = f"{surname} {middle} {given}"
    email = f"{_slug(given)}.{_slug(surname)}{int(rng.integers(10, 999))}@gmail.com"
    phone = f"0{rng.choice(('9', '8', '3'))}{int(rng.integers(10_000_000, 99_999_999))}"
    return name, email, phone


def _simulate_questions(rng, scale: float) -> pa.Table:
    questions = (
        _questions_generic(rng, scale, "2022-01-01", "2022-12-31", _QA_YEAR_TOTALS[2022], 0.08)
        + _questions_9m_2023(rng, scale)
        + _questions_generic(
            rng, scale, "2023-09-26", "2023-12-31", _QA_YEAR_TOTALS["2023-Q4"], 0.03
        )  # fmt: skip
    )
    questions.sort(key=lambda q: (q.submitted, q.portal_id))
    rows, seq, askers = [], Counter(), {}
    rating_scale = np.array([0.04, 0.06, 0.15, 0.35, 0.40])
    for q in questions:
        year = int(str(_local_days(np.array([q.submitted]))[0])[:4])
        seq[year] += 1
        qid = f"HD{year}-{seq[year]:05d}"
        portal = _PORTAL_BY_ID[q.portal_id]
        topics = _QA_TOPICS.get(
            q.portal_id, _DISTRICT_TOPICS if portal.group == "district" else ("other",)
        )
        topic = str(rng.choice(topics))
        if q.reason == "duplicate" and q.portal_id in askers:  # the same asker asking again
            name, email, phone = askers[q.portal_id]
        else:
            name, email, phone = _asker(rng)
        askers[q.portal_id] = (name, email, phone)
        body = (
            f"Kính gửi {portal.name}. Tôi là {name}, trú tại {rng.choice(_PLACES)}. "
            f"Tôi xin hỏi về {rng.choice(_QA_SUBJECTS[topic])}. {rng.choice(_QA_ENDINGS)} "
            "Xin trân trọng cảm ơn!"
        )
        base = {"portal_id": q.portal_id, "source": "hoidap", "question_id": qid}
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
            # the satisfaction rating exists since the portal's 2023 upgrade (report, §III)
            if q.answered >= _ts("2023-04-01") and rng.random() < 0.35:
                events.append(
                    {"event_type": "rated",
                     "occurred_at": q.answered + int(rng.integers(2 * HOUR, 7 * DAY)),
                     "rating": int(rng.choice(5, p=rating_scale)) + 1}
                )  # fmt: skip
        rows += [
            {**base, **e, "event_id": f"{qid}.{e['event_type']}"}
            for e in events
            if e["occurred_at"] < DATA_END
        ]
    # questions sent in December 2021 whose `submitted` the export does not hold: orphans
    for i, (portal, day) in enumerate(
        (("so-gddt", "2022-01-04"), ("so-tnmt", "2022-01-05"), ("tp-lao-cai", "2022-01-06"))
    ):
        qid = f"HD2021-{1490 + i:05d}"
        base = {"portal_id": portal, "source": "hoidap", "question_id": qid}
        rows.append({**base, "event_id": f"{qid}.accepted", "event_type": "accepted",
                     "occurred_at": _ts(day, "08:10")})  # fmt: skip
        rows.append({**base, "event_id": f"{qid}.answered", "event_type": "answered",
                     "occurred_at": _ts(day, "15:45"), "responder_authorized": True})  # fmt: skip
    rows.sort(key=lambda r: (r["occurred_at"], r["event_id"]))
    return _table("question", rows)


# ---------------------------------------------------------------------------------------------
# Dossiers: appendix 03's 29 agencies with their volumes, channels, service levels and timeliness
# for 9 months of 2023; 2022 is the seed's same period (+37,857 dossiers, a factor of ≈1.21).

_DOSSIER_AGENCIES = (
    # portal, code in dossier numbers, then appendix 03 for 01/01–25/09/2023: received at the
    # counter, received online, resolved at level 2, 3, 4, of which late, of which on the due date
    ("so-cong-thuong", "SCT", 127, 17150, 2, 0, 17273, 11, 0),
    ("huyen-bao-yen", "UBBY", 428, 10020, 32, 46, 10388, 8, 0),
    ("so-tu-phap", "STP", 61, 2255, 0, 0, 2235, 3, 0),
    ("so-khdt", "SKHDT", 156, 1691, 136, 1, 1715, 3, 55),
    ("so-y-te", "SYT", 1, 651, 1, 0, 611, 2, 0),
    ("so-noi-vu", "SNV", 3, 533, 33, 62, 486, 1, 147),
    ("so-khcn", "SKHCN", 2, 275, 0, 22, 259, 1, 0),
    ("so-gddt", "SGDDT", 0, 216, 0, 0, 215, 0, 108),
    ("so-ldtbxh", "SLDTBXH", 0, 185, 0, 0, 189, 0, 3),
    ("so-nnptnt", "SNNPTNT", 12, 162, 12, 0, 161, 0, 0),
    ("so-tttt", "STTTT", 0, 155, 0, 0, 146, 0, 0),
    ("so-du-lich", "SDL", 3, 114, 0, 0, 114, 0, 0),
    ("so-tai-chinh", "STC", 0, 45, 0, 0, 45, 0, 0),
    ("so-vhtt", "SVHTT", 2, 124, 0, 0, 126, 1, 0),
    ("huyen-bac-ha", "UBBH", 653, 11076, 101, 113, 11417, 95, 6),
    ("so-gtvt-xd", "SGTVTXD", 315, 551, 1, 22, 835, 10, 0),
    ("huyen-muong-khuong", "UBMK", 1085, 6796, 248, 18, 7569, 117, 13),
    ("tx-sa-pa", "UBSP", 3707, 8238, 2508, 3, 9345, 85, 0),
    ("bql-kkt", "BQLKKT", 74, 37, 74, 0, 39, 1, 0),
    ("so-tnmt", "STNMT", 29642, 4593, 1194, 0, 31135, 508, 3),
    ("huyen-bat-xat", "UBBX", 1061, 19626, 276, 0, 20199, 342, 3),
    ("huyen-van-ban", "UBVB", 1377, 3514, 455, 0, 4382, 80, 2),
    ("tp-lao-cai", "UBTPLC", 627, 34301, 1, 1613, 33125, 578, 1),
    ("huyen-bao-thang", "UBBT", 1011, 14219, 33, 406, 14679, 254, 39),
    ("huyen-si-ma-cai", "UBSMC", 717, 1652, 224, 0, 2127, 84, 0),
    (PROVINCE_PORTAL, "UBND", 362, 0, 310, 136, 0, 87, 0),
    ("so-ngoai-vu", "SNGV", 0, 0, 0, 0, 0, 0, 0),
    ("thanh-tra-tinh", "TTT", 0, 0, 0, 0, 0, 0, 0),
    ("ban-dan-toc", "BDT", 0, 0, 0, 0, 0, 0, 0),
    ("so-gtvt", "SGTVT", 0, 0, 0, 0, 0, 0, 0),  # the split's successors, from 27/12/2023
    ("so-xay-dung", "SXD", 0, 0, 0, 0, 0, 0, 0),
)
_DOSSIER_2022_FACTOR = 218_183 / 180_326  # the seed: 180,326 in 9M 2023, 37,857 fewer than 2022
_DOSSIER_2022_FEW = {"so-ngoai-vu": 3.0, "thanh-tra-tinh": 2.0, "ban-dan-toc": 4.0}  # a year
_WEEKEND_ONLINE = 0.12  # online filings on days off, relative to a working day
_TET = (np.datetime64("2022-02-01"), np.datetime64("2023-01-22"))
# Resolutions with no `received` in the export: the seed's impossible rows of appendix 03 (its
# negative "đang giải quyết"), in 9M 2023.
_ORPHANS_2023 = {
    "huyen-bao-yen": 16,
    "so-noi-vu": 45,
    "so-khcn": 4,
    "so-ldtbxh": 4,
    "bql-kkt": 1,
    PROVINCE_PORTAL: 84,
}
_DURATIONS = np.array([1, 2, 3, 5, 7, 10, 15, 20])  # legal processing times in working days
_DURATION_P = np.array([0.1, 0.1, 0.2, 0.2, 0.15, 0.15, 0.05, 0.05])
_EVENT_KINDS = ("received", "due_changed", "resolved", "resolved", "withdrawn")
_EVENT_SUFFIX = (".received", ".due_changed", ".resolved", ".resolved-2", ".withdrawn")


@dataclass
class _Dossiers:
    """Dossiers (one row each) and their events (one row each, pointing at a dossier)."""

    agency: np.ndarray  # index into _DOSSIER_AGENCIES
    day: np.ndarray  # local date of receipt (datetime64[D])
    seq: np.ndarray  # number of the dossier within its agency and day
    online: np.ndarray
    level: np.ndarray
    procedure: np.ndarray  # index into procedure_codes
    procedure_codes: pa.Array
    event_dossier: np.ndarray
    event_kind: np.ndarray  # index into _EVENT_KINDS
    event_ts: np.ndarray
    event_due: np.ndarray  # -1 when the event carries no due date


def _arrivals(rng, scale: float, days: np.ndarray):
    """(agency, local date, online?) of each dossier received on `days`.

    Daily rates come from appendix 03's 9 months of 2023, counter filings on working days only,
    online ones also on days off; 2022 is scaled by the seed's comparison with the same period.
    """
    agencies = _DOSSIER_AGENCIES
    working = np.is_busday(days, busdaycal=_CAL)
    season = np.ones(len(days))
    for tet in _TET:  # the weeks around Tết are quiet
        season[(days >= tet - 7) & (days <= tet + 10)] = 0.5
    w_counter = working * season
    w_online = (working + _WEEKEND_ONLINE * ~working) * season
    window = (days >= np.datetime64("2023-01-01")) & (days <= np.datetime64("2023-09-25"))
    year_2022 = days < np.datetime64("2023-01-01")

    counter = np.array([a[2] for a in agencies], dtype=float)
    online = np.array([a[3] for a in agencies], dtype=float)
    factor = _DOSSIER_2022_FACTOR * rng.lognormal(0.0, 0.1, size=len(agencies))
    few = np.array([_DOSSIER_2022_FEW.get(a[0], 0.0) for a in agencies])
    per_year = year_2022[None, :] * factor[:, None] + ~year_2022[None, :]
    expected_counter = (counter / w_counter[window].sum())[:, None] * w_counter * per_year
    expected_online = (online / w_online[window].sum())[:, None] * w_online * per_year
    expected_online += (few / w_online[year_2022].sum())[:, None] * w_online * year_2022
    counts = np.stack([rng.poisson(expected_counter * scale), rng.poisson(expected_online * scale)])
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    is_online = cell // (len(agencies) * len(days)) == 1
    return (cell // len(days)) % len(agencies), days[cell % len(days)], is_online


def _simulate_dossiers(rng, scale: float, *, carry_in: bool, orphans: bool) -> _Dossiers:
    agencies = _DOSSIER_AGENCIES
    days = np.arange(
        np.datetime64("2021-12-01" if carry_in else "2022-01-01"), np.datetime64("2024-01-01")
    )
    agency, day, is_online = _arrivals(rng, scale, days)
    n = len(day)

    index = {a[0]: i for i, a in enumerate(agencies)}
    old, successors = _SPLIT
    after_split = (agency == index[old]) & (day >= np.datetime64(SPLIT_DAY))
    agency[after_split] = np.where(
        rng.random(int(after_split.sum())) < 0.6, index[successors[0]], index[successors[1]]
    )

    # service level and procedure follow the agency's mix in appendix 03
    levels = np.array([a[4:7] for a in agencies], dtype=float) + 0.01
    level_cum = np.cumsum(levels / levels.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(n)
    level = (2 + (u >= level_cum[agency, 0]) + (u >= level_cum[agency, 1])).astype(np.int8)
    pool = np.array([5 + 10 * (a[2] + a[3] > 1000) + 15 * (a[2] + a[3] > 10_000) for a in agencies])
    pool_start = np.r_[0, np.cumsum(pool)[:-1]]
    codes = [f"{rng.choice((1, 2))}.{int(rng.integers(0, 13_000)):06d}" for _ in range(pool.sum())]
    durations = rng.choice(_DURATIONS, size=pool.sum(), p=_DURATION_P)
    procedure = pool_start[agency] + (pool[agency] * rng.random(n) ** 2.2).astype(np.int64)
    if after_split.any():  # the successors keep the old department's procedures
        procedure[after_split] = pool_start[index[old]] + (
            pool[index[old]] * rng.random(int(after_split.sum())) ** 2.2
        ).astype(np.int64)

    office = rng.integers(7 * HOUR + 1800, 17 * HOUR, size=n)
    any_hour = np.where(rng.random(n) < 0.75, rng.integers(7 * HOUR, 22 * HOUR, size=n),
                        rng.integers(0, DAY, size=n))  # fmt: skip
    received = _midnight(day) + np.where(is_online, any_hour, office)
    start_day = _workdays_later(day, 0)
    due_day = _workdays_later(start_day, durations[procedure])
    due = _midnight(due_day) + 17 * HOUR

    fate = rng.random(n)
    withdrawn = fate < 0.006
    stuck = (fate >= 0.006) & (fate < 0.0065)  # never resolved in the data
    resolves = ~withdrawn & ~stuck
    extended = resolves & (rng.random(n) < 0.015)
    final_due_day = np.where(
        extended, _workdays_later(due_day, rng.integers(2, 11, size=n)), due_day
    )
    late_p = np.array([a[7] / max(1, sum(a[4:7])) for a in agencies]) + 0.002
    on_p = np.array([a[8] / max(1, sum(a[4:7])) for a in agencies]) + 0.01
    o = rng.random(n)
    late = o < late_p[agency]
    on_due = ~late & (o < late_p[agency] + on_p[agency])
    span = np.busday_count(start_day, final_due_day, busdaycal=_CAL)
    early_offset = np.minimum((span * rng.random(n) ** 1.7).astype(np.int64), span - 1)
    resolved_day = np.where(
        late,
        _workdays_later(final_due_day, rng.geometric(0.35, size=n)),
        np.where(on_due, final_due_day, _workdays_later(start_day, early_offset)),
    )
    resolved = _midnight(resolved_day) + rng.integers(7 * HOUR + 1800, 17 * HOUR, size=n)
    same_day = resolved <= received  # filed after office hours, done the same evening
    rest_of_day = _midnight(day) + DAY - 1 - received
    resolved = np.where(
        same_day, received + 60 + (rest_of_day * rng.uniform(0.1, 0.9, size=n)).astype(np.int64),
        resolved,
    )  # fmt: skip
    # the year-end push: most dossiers still open on 31/12 are closed before the new year, which
    # is why the seed carries only 721 dossiers into 2023
    year_end = _midnight((day.astype("datetime64[Y]") + 1).astype("datetime64[D]")) - 7 * HOUR
    pushed = (resolved > year_end) & (received < year_end - HOUR) & (rng.random(n) < 0.75)
    resolved = np.where(
        pushed, received + ((year_end - received) * rng.uniform(0.2, 1.0, size=n)).astype(np.int64),
        resolved,
    )  # fmt: skip
    withdrawn_at = received + ((resolved - received) * rng.uniform(0.1, 0.9, size=n)).astype(
        np.int64
    )
    changed_at = received + (
        (np.minimum(resolved, due) - received) * rng.uniform(0.2, 0.8, size=n)
    ).astype(np.int64)
    twice = resolves & (rng.random(n) < 0.0003)  # the system recorded the result twice
    resolved_again = resolved + rng.integers(HOUR, 72 * HOUR, size=n)

    # dossier numbers count an agency's dossiers of the day in order of receipt
    order = np.lexsort((received, day, agency))
    key = agency[order] * 10**6 + (day[order] - days[0]).astype(np.int64)
    starts = np.r_[0, np.flatnonzero(key[1:] != key[:-1]) + 1]
    seq = np.empty(n, np.int64)
    seq[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) + 1

    # late-2021 dossiers are delivered only when still open on 01/01/2022
    keep = day >= np.datetime64("2022-01-01")
    keep |= (resolves & (resolved >= DATA_START)) | (withdrawn & (withdrawn_at >= DATA_START))
    keep |= stuck
    ids = np.arange(n)
    parts = [
        (keep, 0, received, due),
        (keep & extended, 1, changed_at, _midnight(final_due_day) + 17 * HOUR),
        (keep & resolves, 2, resolved, None),
        (keep & twice, 3, resolved_again, None),
        (keep & withdrawn, 4, withdrawn_at, None),
    ]
    event_dossier, event_kind, event_ts, event_due = [], [], [], []
    for mask, kind, at, due_at in parts:
        mask = mask & (at < DATA_END)
        event_dossier.append(ids[mask])
        event_kind.append(np.full(int(mask.sum()), kind, np.int8))
        event_ts.append(at[mask])
        event_due.append(due_at[mask] if due_at is not None else np.full(int(mask.sum()), -1))
    dossiers = _Dossiers(
        agency=agency,
        day=day,
        seq=seq,
        online=is_online,
        level=level,
        procedure=procedure,
        procedure_codes=pa.array(codes),
        event_dossier=np.concatenate(event_dossier),
        event_kind=np.concatenate(event_kind),
        event_ts=np.concatenate(event_ts),
        event_due=np.concatenate(event_due),
    )
    if orphans:
        _add_orphans(rng, dossiers, scale, index, pool, pool_start)
    return dossiers


def _add_orphans(rng, d: _Dossiers, scale, index, pool, pool_start) -> None:
    """Resolutions and withdrawals of dossiers whose `received` is not in any export."""
    plan = [(index[p], k, "2023-01-03", "2023-09-22", 2) for p, k in _ORPHANS_2023.items()]
    plan += [
        (index[p], 8, "2022-02-07", "2022-12-28", 2)
        for p in ("so-tnmt", "tp-lao-cai", "huyen-bat-xat", "huyen-bao-thang", "tx-sa-pa")
    ]
    plan += [(index["so-tnmt"], 3, "2022-03-01", "2023-11-30", 4),
             (index["huyen-bac-ha"], 3, "2022-03-01", "2023-11-30", 4)]  # fmt: skip
    agency, at, kind = [], [], []
    for a, k, lo, hi, event_kind in plan:
        k = max(1, _scaled(k, scale))
        span = int(_ts(hi) - _ts(lo))
        agency.append(np.full(k, a))
        at.append(_ts(lo, "08:00") + np.sort(rng.integers(0, span, size=k)))
        kind.append(np.full(k, event_kind, np.int8))
    agency, at, kind = np.concatenate(agency), np.concatenate(at), np.concatenate(kind)
    n, first = len(agency), len(d.agency)
    received_day = _local_days(at - rng.integers(3, 40, size=n) * DAY)
    procedure = pool_start[agency] + rng.integers(0, pool[agency])
    d.agency = np.concatenate([d.agency, agency])
    d.day = np.concatenate([d.day, received_day])
    d.seq = np.concatenate([d.seq, 90_000 + np.arange(n)])  # numbers the live system never uses
    d.online = np.concatenate([d.online, rng.random(n) < 0.5])
    d.level = np.concatenate([d.level, np.full(n, 3, np.int8)])
    d.procedure = np.concatenate([d.procedure, procedure])
    d.event_dossier = np.concatenate([d.event_dossier, first + np.arange(n)])
    d.event_kind = np.concatenate([d.event_kind, kind])
    d.event_ts = np.concatenate([d.event_ts, at])
    d.event_due = np.concatenate([d.event_due, np.full(n, -1)])


def _dossier_table(d: _Dossiers, events: np.ndarray) -> pa.Table:
    """The typed events `events` (indices into the event arrays) of the dossier stream."""
    dossier = d.event_dossier[events]
    kind = d.event_kind[events]
    agency = d.agency[dossier]
    local = d.day[dossier]
    yymmdd = (
        (local.astype("datetime64[Y]").astype(np.int64) + 1970) % 100 * 10_000
        + (local.astype("datetime64[M]").astype(np.int64) % 12 + 1) * 100
        + (local - local.astype("datetime64[M]")).astype(np.int64)
        + 1
    )
    codes = pa.array([a[1] for a in _DOSSIER_AGENCIES])
    dossier_id = pc.binary_join_element_wise(
        pc.take(codes, pa.array(agency)),
        pc.utf8_lpad(pc.cast(pa.array(yymmdd), pa.string()), width=6, padding="0"),
        pc.utf8_lpad(pc.cast(pa.array(d.seq[dossier]), pa.string()), width=5, padding="0"),
        "-",
    )
    is_received = pa.array(kind == 0)
    due = d.event_due[events]
    return pa.table(
        {
            "event_id": pc.binary_join_element_wise(
                dossier_id, pc.take(pa.array(_EVENT_SUFFIX), pa.array(kind)), ""
            ),
            "event_type": pc.take(pa.array(_EVENT_KINDS), pa.array(kind)),
            "occurred_at": pa.array(d.event_ts[events]).cast(_TS),
            "portal_id": pc.take(pa.array([a[0] for a in _DOSSIER_AGENCIES]), pa.array(agency)),
            "source": pc.if_else(pa.array(d.online[dossier]), "dvc", "motcua"),
            "dossier_id": dossier_id,
            "procedure_code": pc.take(d.procedure_codes, pa.array(d.procedure[dossier])),
            "channel": pc.if_else(
                is_received,
                pc.if_else(pa.array(d.online[dossier]), "online", "counter"),
                pa.scalar(None, pa.string()),
            ),
            "service_level": pc.if_else(
                is_received, pa.array(d.level[dossier]), pa.scalar(None, pa.int8())
            ),
            "due_at": pa.array(due, mask=due < 0).cast(_TS),
        },
        schema=_SCHEMAS["dossier"],
    )


def dossier_events(n_events: int, *, seed: int = 7) -> pa.Table:
    """Clean, valid dossier events for benchmarks (portal ids from portal_registry()), about
    n_events rows, with the contract's columns; occurred_at / due_at as tz-aware UTC timestamps.

    The earliest n_events of a simulation of 2022–2023, so every lifecycle is whole up to its
    last event (dossiers cut at the end are simply still open).
    """
    scale = max(n_events, 1) / 1_000_000
    while True:
        d = _simulate_dossiers(
            np.random.default_rng([seed, 3]), scale, carry_in=False, orphans=False
        )
        if len(d.event_ts) >= n_events:
            break
        scale *= 1.1 * n_events / max(len(d.event_ts), 1)
    first = np.lexsort((d.event_kind, d.event_dossier, d.event_ts))[:n_events]
    return _public(_dossier_table(d, first))


# ---------------------------------------------------------------------------------------------
# Assessments: the editorial board's bonus and hand-made deductions, with appendix 01's notes.

_BONUS_NOTE = "Cộng 5 điểm khuyến khích đảm bảo font chữ, có ảnh minh họa, trình bày đẹp."
_BONUS_NOTES = {"vp-tinh-uy": "Cộng 5 điểm khuyến khích đảm bảo font chữ, trình bày đẹp."}
_NO_BONUS_2022 = ("ubkt-tu", "hoi-ccb", "ban-dan-van-tu", "kbnn-lao-cai", "so-ngoai-vu")
_CONTACT_NOTE = "Đề nghị bổ sung thêm thông tin người làm đầu mối liên hệ của Cổng TTĐT "
_ADJUSTMENTS = {  # period → (portal, criterion, points, note)
    "2023-9M": (
        ("so-tu-phap", "legal_documents", -0.5, "Cập nhật văn bản còn ít (trừ 0,5 điểm)."),
        ("tp-lao-cai", "introduction", -0.5,
         "Chưa cập nhật kịp thời thông tin về lãnh đạo UBND thành phố tại mục Giới thiệu "
         "(trừ 0,5 điểm)."),
        ("tp-lao-cai", "contact_person", 0.0, _CONTACT_NOTE + "thành phố."),
        ("huyen-bac-ha", "contact_person", 0.0,
         "Lưu ý cập nhật thêm địa chỉ thư điện tử giao dịch và bổ sung thông tin người làm đầu "
         "mối liên hệ."),
        ("huyen-muong-khuong", "contact_person", 0.0,
         "Đề nghị bổ sung, cập nhật nhiệm vụ của Thường trực Huyện ủy, HĐND, UBND huyện trong "
         "mục GIỚI THIỆU; bổ sung thông tin về người làm đầu mối liên hệ của Cổng TTĐT huyện."),
        ("huyen-bao-thang", "contact_person", 0.0,
         "Lưu ý cập nhật thêm nhiệm vụ của Thường trực Huyện ủy, HĐND huyện; bổ sung thông tin "
         "người làm đầu mối liên hệ."),
        ("cong-an-tinh", "recommendation", 0.0,
         "Đề nghị cơ quan nghiên cứu xây dựng mục Văn bản chỉ đạo điều hành và cập nhật văn bản "
         "vào mục này để thuận tiện theo dõi, thống kê, tìm kiếm."),
        ("cuc-hai-quan", "recommendation", 0.0,
         'Đề nghị cơ quan nghiên cứu cập nhật văn bản vào mục "Văn bản mới" và chỉnh sửa thành '
         "mục Văn bản chỉ đạo điều hành để thuận tiện trong việc theo dõi, tìm kiếm."),
        ("so-gddt", "recommendation", 0.0,
         "Đề nghị cơ quan tích cực đăng tải văn bản chỉ đạo điều hành trong thời gian tới."),
        ("so-y-te", "introduction", 0.0,
         "Đề nghị bổ sung thêm một số thông tin sơ yếu lý lịch ngày tháng năm sinh, quê quán, "
         "trình độ học vấn của Ban lãnh đạo cơ quan và Quá trình hình thành phát triển."),
        ("kbnn-lao-cai", "introduction", 0.0,
         "Đề nghị bổ sung hình ảnh của Ban lãnh đạo cơ quan tại mục Giới thiệu."),
        ("ban-noi-chinh-tu", "introduction", 0.0,
         "Đề nghị bổ sung thêm tiểu sử tóm tắt của Ban lãnh đạo và nghiên cứu lại hệ thống văn "
         "bản lãnh đạo, chỉ đạo, tránh trùng lặp."),
        ("ban-dan-van-tu", "introduction", -2.0,
         "Mục Thông tin giới thiệu: Sơ đồ tổ chức, thông tin tiểu sử tóm tắt và nhiệm vụ lãnh "
         "đạo, cơ cấu tổ chức, bộ máy các phòng ban (trừ 2 điểm)."),
        ("dang-uy-khoi", "introduction", -0.5,
         "Chưa cập nhật kịp thời khi có sự thay đổi lãnh đạo đơn vị (trừ 0,5 điểm)."),
        ("tinh-doan", "introduction", -3.0,
         "Đã thực hiện nhắc nhở, đề nghị nhiều lần tại các báo cáo hàng quý, năm nhưng đến nay "
         "đơn vị vẫn chưa bổ sung thông tin tại mục GIỚI THIỆU về tiểu sử, nhiệm vụ của Ban "
         "lãnh đạo, các phòng, ban, đơn vị trực thuộc, sơ đồ tổ chức (trừ 3 điểm)."),
        ("vp-tinh-uy", "introduction", -2.0,
         "Thiếu mục Sơ đồ, chưa cập nhật kịp thời thông tin tiểu sử tóm tắt và nhiệm vụ lãnh "
         "đạo Văn phòng Tỉnh ủy (trừ 2 điểm)."),
        ("vp-tinh-uy", "policy_guidance", -2.0,
         "Chưa cập nhật Thông tin tuyên truyền, phổ biến, hướng dẫn thực hiện nghiệp vụ của cơ "
         "quan (trừ 2 điểm)."),
        ("nhnn-lao-cai", "other_information", -8.0,
         "Chưa thực hiện đăng tải thông tin, CSDL khác theo quy định (4/8 mục) - trừ 2 điểm/mục/"
         "4 mục."),
    ),
    "2022-9M": (
        ("tp-lao-cai", "contact_person", -0.5,
         "Chưa có thông tin người làm đầu mối liên hệ của Cổng TTĐT thành phố (trừ 0,5 điểm)."),
        ("ban-dan-van-tu", "introduction", -2.0,
         "Chưa cập nhật sơ đồ tổ chức, tiểu sử tóm tắt và nhiệm vụ lãnh đạo (trừ 2 điểm)."),
        ("tinh-doan", "introduction", -3.0,
         "Chưa bổ sung thông tin tại mục GIỚI THIỆU về tiểu sử, nhiệm vụ của Ban lãnh đạo, sơ "
         "đồ tổ chức (trừ 3 điểm)."),
        ("nhnn-lao-cai", "other_information", -8.0,
         "Chưa thực hiện đăng tải thông tin, CSDL khác theo quy định (4/8 mục) - trừ 2 điểm/mục/"
         "4 mục."),
    ),
}  # fmt: skip
# Re-assessments: an earlier verdict the board later revised (the latest stands).
_FIRST_VERDICTS = {  # (period, portal, criterion) → (points, note) of the first round
    ("2023-9M", "tx-sa-pa", "contact_person"): (
        -0.5,
        "Chưa có thông tin người làm đầu mối liên hệ của Cổng TTĐT thị xã (trừ 0,5 điểm).",
    ),
    ("2023-9M", "so-du-lich", "presentation_bonus"): (
        3.0,
        "Cộng 3 điểm khuyến khích do ảnh minh họa chưa đầy đủ.",
    ),
    ("2022-9M", "huyen-bao-thang", "introduction"): (
        -1.0,
        "Chưa cập nhật nhiệm vụ của Thường trực Huyện ủy, HĐND huyện (trừ 1 điểm).",
    ),
}
_REVISED = {  # the final verdicts of those re-assessments
    ("2023-9M", "tx-sa-pa", "contact_person"): (0.0, _CONTACT_NOTE + "thị xã."),
    ("2023-9M", "so-du-lich", "presentation_bonus"): (5.0, _BONUS_NOTE),
    ("2022-9M", "huyen-bao-thang", "introduction"): (
        0.0,
        "Đơn vị đã bổ sung nhiệm vụ của Thường trực Huyện ủy, HĐND huyện.",
    ),
}
_ASSESSED = {"2022-9M": ("2022-09-28", "2022-10-06"), "2023-9M": ("2023-09-27", "2023-10-09")}


def _assessment_rows(rng) -> list[dict]:
    rows = []
    scored = [p for p in _PORTALS if p.scored]
    for period, (first_day, review_day) in _ASSESSED.items():
        verdicts = {}
        for p in scored:
            if period == "2023-9M" or p.portal_id not in _NO_BONUS_2022:
                note = _BONUS_NOTES.get(p.portal_id, _BONUS_NOTE)
                verdicts[(period, p.portal_id, "presentation_bonus")] = (5.0, note)
        for portal, criterion, points, note in _ADJUSTMENTS[period]:
            verdicts[(period, portal, criterion)] = (points, note)
        for key in _REVISED:
            if key[0] == period:
                verdicts[key] = _FIRST_VERDICTS[key]
        day = np.datetime64(first_day)
        for (_, portal, criterion), (points, note) in verdicts.items():
            offset = int(rng.integers(0, 3 * DAY))
            rows.append(_assessment(period, portal, criterion, points, note,
                                    _ts(str(day), "08:00") + offset, ""))  # fmt: skip
        for key, (points, note) in _REVISED.items():
            if key[0] == period:
                at = _ts(review_day, "14:30") + int(rng.integers(0, 2 * HOUR))
                rows.append(_assessment(*key, points, note, at, "-phuc-khao"))
    return sorted(rows, key=lambda r: (r["occurred_at"], r["event_id"]))


def _assessment(period, portal, criterion, points, note, at, suffix) -> dict:
    return {
        "event_id": f"bbt-{period}-{portal}-{criterion}{suffix}",
        "event_type": "adjusted",
        "occurred_at": at,
        "portal_id": portal,
        "source": "bbt",
        "period_id": period,
        "criterion": criterion,
        "points": points,
        "note": note,
        "assessor": "Ban Biên tập Cổng TTĐT tỉnh",
    }


# ---------------------------------------------------------------------------------------------
# Writing files as the source systems do.


@dataclass(frozen=True)
class _Out:
    """How one source system writes a file."""

    name: str
    times: str  # Z | +00:00 | +07:00 | naive (local, no offset) | mixed | typed (Parquet only)
    bom: bool = False
    columns: tuple[str, ...] | None = None  # CSV column order, when not the contract's
    extra: tuple[tuple[str, str], ...] = ()  # JSONL keys outside the contract


@dataclass(frozen=True)
class _Bad:
    kind: str
    record: dict | str  # a str is written as the raw line


def _times_text(col: pa.Array, times: str) -> pa.Array:
    seconds = pc.cast(col, pa.int64())
    if times == "mixed":  # the Q&A server switched from UTC to local time on 01/07/2022
        before = pc.less(seconds, _ts("2022-07-01"))
        return pc.if_else(before, _times_text(col, "+00:00"), _times_text(col, "+07:00"))
    shift, suffix = {
        "Z": (0, "Z"),
        "+00:00": (0, "+00:00"),
        "+07:00": (LOCAL_OFFSET, "+07:00"),
        "naive": (LOCAL_OFFSET, ""),
    }[times]
    wall = pc.cast(pc.add(seconds, shift), pa.timestamp("s"))
    return pc.binary_join_element_wise(pc.strftime(wall, format="%Y-%m-%dT%H:%M:%S"), suffix, "")


def _as_text(col: pa.Array, times: str) -> pa.Array:
    if pa.types.is_timestamp(col.type):
        return _times_text(col, times)
    if pa.types.is_boolean(col.type):
        return pc.if_else(col, "true", "false")
    if pa.types.is_list(col.type):
        return pc.binary_join(col, ";")
    if pa.types.is_string(col.type):
        return col
    return pc.cast(col, pa.string())


def _json_lines(table: pa.Table, out: _Out) -> pa.Array:
    """One JSON object per row, newline-terminated, built column by column."""
    fragments = []
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if col.type in (pa.bool_(), pa.int8(), pa.float64()):  # JSON literals as they are
            value = _as_text(col, out.times)
        elif pa.types.is_list(col.type):
            value = pc.binary_join_element_wise('["', pc.binary_join(col, '","'), '"]', "")
        else:
            text = pc.replace_substring(_as_text(col, out.times), "\\", "\\\\")
            value = pc.binary_join_element_wise(
                '"', pc.replace_substring(text, '"', '\\"'), '"', ""
            )
        fragments.append(pc.binary_join_element_wise(f'"{name}":', value, ""))
    fragments += [pa.scalar(f'"{k}":{json.dumps(v, ensure_ascii=False)}') for k, v in out.extra]
    body = pc.binary_join_element_wise(*fragments, ",", null_handling="skip")
    return pc.binary_join_element_wise("{", body, "}\n", "")


def _spliced(n: int, k: int) -> list[int]:
    """Where k bad records go among n good ones: spread through the file."""
    return [(i + 1) * n // (k + 1) for i in range(k)]


_COMPACT = {"ensure_ascii": False, "separators": (",", ":")}  # as the sources write JSON


def _jsonl_bytes(table: pa.Table, out: _Out, bad: list[_Bad]) -> bytes:
    lines = _json_lines(table, out) if table.num_rows else pa.array([], pa.string())
    pieces, last = [], 0
    for at, b in zip(_spliced(len(lines), len(bad)), bad, strict=True):
        raw = b.record if isinstance(b.record, str) else json.dumps(b.record, **_COMPACT)
        pieces += [lines.slice(last, at - last), pa.array([raw + "\n"])]
        last = at
    pieces.append(lines.slice(last))
    lines = pa.concat_arrays(pieces)
    if not len(lines):
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return bytes(memoryview(lines.buffers()[2])[start:end])


def _csv_bytes(table: pa.Table, out: _Out, bad: list[_Bad]) -> bytes:
    columns = out.columns or tuple(table.column_names)
    text = pa.table({c: _as_text(table.column(c).combine_chunks(), out.times) for c in columns})
    pieces, last = [], 0
    for at, b in zip(_spliced(text.num_rows, len(bad)), bad, strict=True):
        row = pa.table({c: pa.array([b.record.get(c)], pa.string()) for c in columns})
        pieces += [text.slice(last, at - last), row]
        last = at
    text = pa.concat_tables([*pieces, text.slice(last)])
    buffer = io.BytesIO()
    if out.bom:
        buffer.write("\ufeff".encode())
    pacsv.write_csv(text, buffer)
    return buffer.getvalue()


def _write(path: Path, table: pa.Table, out: _Out, bad: list[_Bad]) -> None:
    fmt = file_format(path)
    if fmt == "parquet":
        columns = {}
        for name in table.column_names:
            col = table.column(name).combine_chunks()
            if pa.types.is_timestamp(col.type):
                typed = out.times == "typed"
                col = (
                    col.cast(pa.timestamp("ms", tz="UTC")) if typed else _times_text(col, out.times)
                )
            columns[name] = col
        pq.write_table(pa.table(columns), path)
        return
    data = _jsonl_bytes(table, out, bad) if fmt == "jsonl" else _csv_bytes(table, out, bad)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=3, mtime=0)
    path.write_bytes(data)


class _Landing:
    """Writes a stream's files, stamps their delivery times, and counts what was planted."""

    def __init__(self, root: Path):
        self.root = root
        self.files: list[Path] = []
        self.planted: Counter[str] = Counter()

    def write(self, stream, out: _Out, table, delivered: str, bad: tuple | list = ()) -> Path:
        path = self.root / stream / out.name
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, table, out, list(bad))
        self.planted.update(b.kind for b in bad)
        return self._delivered(path, delivered)

    def copy(self, stream, source: str, name: str, delivered: str) -> Path:
        """A file delivered a second time under another name (byte for byte the same)."""
        path = self.root / stream / name
        shutil.copyfile(self.root / stream / source, path)
        return self._delivered(path, delivered)

    def write_bytes(self, stream, name: str, data: bytes, delivered: str) -> Path:
        path = self.root / stream / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return self._delivered(path, delivered)

    def _delivered(self, path: Path, delivered: str) -> Path:
        day, hhmm = delivered.split(" ")
        moment = _ts(day, hhmm)
        os.utime(path, (moment, moment))
        self.files.append(path)
        return path


def _between(table: pa.Table, lo: str, hi: str) -> pa.Table:
    """The rows with lo <= occurred_at < hi (local dates)."""
    seconds = pc.cast(table["occurred_at"], pa.int64())
    mask = pc.and_(pc.greater_equal(seconds, _ts(lo)), pc.less(seconds, _ts(hi)))
    return table.filter(mask)


def _conflicts(original: pa.Table, times: str, extra=(), **changes) -> list[_Bad]:
    """The first row of `original` again under its event id, with other values: a conflict."""
    if not original.num_rows:  # nothing to contradict at a tiny scale
        return []
    row = original.slice(0, 1)
    for name, value in changes.items():
        i = row.schema.get_field_index(name)
        row = row.set_column(i, name, pa.array([value], row.schema.field(name).type))
    line = _json_lines(row, _Out("", times, extra=extra))[0].as_py().rstrip("\n")
    return [_Bad("conflict", line)]


# Bad records: the kinds a loader must quarantine. Each has exactly one defect; their ids are
# used nowhere else, so they add nothing to the valid counts.
def _dossier_bad(file: str) -> list[_Bad]:
    received = {"event_type": "received", "source": "dvc", "procedure_code": "1.004227",
                "channel": "online", "service_level": 3}  # fmt: skip
    return {
        "dvc-2022-07.jsonl.gz": [_Bad("malformed_json",
            '{"event_id":"SNV-220714-80001.received","event_type":"received","occurred_at":"2022-07-14T09:12:')],  # noqa: E501
        "dvc-2022-10.jsonl.gz": [_Bad("unknown_event_type", {
            "event_id": "STP-221012-80002.reopened", "event_type": "reopened",
            "occurred_at": "2022-10-12T10:05:00+07:00", "portal_id": "so-tu-phap",
            "dossier_id": "STP-221012-80002"})],
        "dvc-2022-11.jsonl.gz": [_Bad("invalid_enum", {
            **received, "event_id": "UBBX-221108-80003.received",
            "occurred_at": "2022-11-08T14:20:00+07:00", "portal_id": "huyen-bat-xat",
            "dossier_id": "UBBX-221108-80003", "service_level": 5,
            "due_at": "2022-11-15T17:00:00+07:00"})],
        "dvc-2023-02.jsonl.gz": [_Bad("missing_field", {
            **{k: v for k, v in received.items() if k != "channel"},
            "event_id": "STNMT-230214-80004.received", "occurred_at": "2023-02-14T02:30:00Z",
            "portal_id": "so-tnmt", "dossier_id": "STNMT-230214-80004",
            "due_at": "2023-02-21T10:00:00Z"})],
        "dvc-2023-04.jsonl.gz": [_Bad("malformed_json",
            # a hand-edited line that lost a comma
            '{"event_id":"UBTPLC-230406-80005.resolved","event_type":"resolved" '
            '"occurred_at":"2023-04-06T03:00:00Z","portal_id":"tp-lao-cai"}')],
        "dvc-2023-05.jsonl.gz": [_Bad("impossible_timestamp", {
            "event_id": "SCT-230512-80006.resolved", "event_type": "resolved",
            "occurred_at": "2099-05-12T09:30:00Z", "portal_id": "so-cong-thuong",
            "source": "dvc", "dossier_id": "SCT-230512-80006"})],
        "dvc-2023-06.jsonl.gz": [_Bad("unknown_portal", {
            **received, "event_id": "UBBY-230619-80007.received",
            "occurred_at": "2023-06-19T01:45:00Z", "portal_id": "ubnd-huyen-bao-yen",
            "dossier_id": "UBBY-230619-80007", "due_at": "2023-06-26T10:00:00Z"})],
        "motcua-2022-Q2.csv.gz": [_Bad("invalid_enum", {
            "dossier_id": "UBSP-220517-80008", "event_id": "UBSP-220517-80008.received",
            "event_type": "received", "occurred_at": "2022-05-17T09:00:00",
            "portal_id": "tx-sa-pa", "channel": "counter", "service_level": "1",
            "procedure_code": "2.000889", "due_at": "2022-05-20T17:00:00", "source": "motcua"})],
        "motcua-2022-Q4.csv.gz": [_Bad("unknown_portal", {
            "dossier_id": "STNMT-221103-80009", "event_id": "STNMT-221103-80009.resolved",
            "event_type": "resolved", "occurred_at": "2022-11-03T15:10:00",
            "portal_id": "so-tnmt-cu", "source": "motcua"})],
        "motcua-2023-Q1.csv": [_Bad("impossible_timestamp", {
            "dossier_id": "UBBT-230228-80010", "event_id": "UBBT-230228-80010.received",
            "event_type": "received", "occurred_at": "2023-02-30T10:00:00+07:00",
            "portal_id": "huyen-bao-thang", "channel": "counter", "service_level": "2",
            "due_at": "2023-03-06T17:00:00+07:00", "source": "motcua"})],
        "motcua-2023-Q2.csv": [_Bad("missing_field", {
            "dossier_id": "UBVB-230511-80011", "event_id": "UBVB-230511-80011.received",
            "event_type": "received", "occurred_at": "2023-05-11T08:40:00+07:00",
            "portal_id": "huyen-van-ban", "channel": "counter", "service_level": "2",
            "source": "motcua"})],
        "motcua-2023-Q3.csv": [_Bad("unknown_event_type", {
            "dossier_id": "UBMK-230803-80012", "event_id": "UBMK-230803-80012.transferred",
            "event_type": "transferred", "occurred_at": "2023-08-03T10:30:00+07:00",
            "portal_id": "huyen-muong-khuong", "source": "motcua"})],
        "motcua-2023-Q4.csv": [_Bad("invalid_enum", {
            "dossier_id": "UBBH-231017-80013", "event_id": "UBBH-231017-80013.received",
            "event_type": "received", "occurred_at": "2023-10-17T09:25:00+07:00",
            "portal_id": "huyen-bac-ha", "channel": "fax", "service_level": "2",
            "due_at": "2023-10-20T17:00:00+07:00", "source": "motcua"})],
    }.get(file, [])  # fmt: skip


def _month_files(year: int, month: int) -> tuple[str, str]:
    """(dvc file, motcua file) holding the events of a local month."""
    if year == 2021:
        return "dvc-2021-12.jsonl.gz", "motcua-2021-Q4.csv.gz"
    quarter = (month + 2) // 3
    if year == 2022:
        return f"dvc-2022-{month:02d}.jsonl.gz", f"motcua-2022-Q{quarter}.csv.gz"
    dvc = f"dvc-2023-{month:02d}" + (".jsonl.gz" if month <= 6 else ".parquet")
    return dvc, f"motcua-2023-Q{quarter}.csv"


_DVC_EXTRA = (("he_thong", "DVC Lào Cai"),)
_MOTCUA_COLUMNS = ("dossier_id", "event_id", "event_type", "occurred_at", "portal_id", "channel",
                   "service_level", "procedure_code", "due_at", "source")  # fmt: skip


def _dossier_out(name: str) -> _Out:
    if name.startswith("motcua-2023"):
        return _Out(name, "+07:00", bom=True, columns=_MOTCUA_COLUMNS)
    if name.startswith("motcua"):
        return _Out(name, "naive", columns=_MOTCUA_COLUMNS)
    if name.endswith(".parquet"):
        return _Out(name, "typed")
    return _Out(name, "Z" if name.startswith("dvc-2023") else "+07:00", extra=_DVC_EXTRA)


def _dossier_delivery(name: str) -> str:
    """When a dossier file reached the landing folder (local time)."""
    late = {
        "dvc-2021-12.jsonl.gz": "2023-02-20 10:05",  # backfilled after the 2023 migration
        "motcua-2021-Q4.csv.gz": "2023-02-20 10:07",
        "motcua-2022-Q1.csv.gz": "2022-10-20 16:40",  # after Q2 and Q3
    }
    if name in late:
        return late[name]
    year, period = name.split("-")[1:3]
    period = period.split(".")[0]
    if period.startswith("Q"):
        end = np.datetime64(f"{year}-{3 * int(period[1]):02d}") + 1
        return f"{np.datetime64(end, 'D') + 6} 16:30"
    return f"{np.datetime64(f'{year}-{period}') + 1}-03 07:15"


def _deliver_dossiers(landing: _Landing, rng, scale: float) -> int:
    d = _simulate_dossiers(rng, scale, carry_in=True, orphans=True)
    months = _local_days(d.event_ts).astype("datetime64[M]").astype(np.int64)
    names = []
    for m in range((2021 - 1970) * 12 + 11, (2023 - 1970) * 12 + 12):
        names.append(_month_files(1970 + m // 12, m % 12 + 1))
    dvc_names = [dvc for dvc, _ in names]
    motcua_names = list(dict.fromkeys(motcua for _, motcua in names))
    month_index = months - ((2021 - 1970) * 12 + 11)
    quarter_of_month = np.array([motcua_names.index(motcua) for _, motcua in names])
    file_id = np.where(
        d.online[d.event_dossier],
        month_index,
        len(dvc_names) + quarter_of_month[month_index],
    )
    order = np.lexsort((d.event_kind, d.event_dossier, d.event_ts, file_id))
    bounds = np.searchsorted(file_id[order], np.arange(len(dvc_names) + len(motcua_names) + 1))
    kept: dict[str, pa.Table] = {}
    for i, name in enumerate(dvc_names + motcua_names):
        table = _dossier_table(d, order[bounds[i] : bounds[i + 1]])
        if name in ("dvc-2023-02.jsonl.gz", "dvc-2023-03.jsonl.gz", "dvc-2023-05.jsonl.gz",
                    "dvc-2023-06.jsonl.gz"):  # fmt: skip
            kept[name] = table
        landing.write("dossier", _dossier_out(name), table, _dossier_delivery(name),
                      _dossier_bad(name))  # fmt: skip

    # exact duplicates: a quarter delivered twice, part of a month exported again
    landing.copy("dossier", "motcua-2022-Q3.csv.gz", "motcua-2022-Q3-gui-lai.csv.gz",
                 "2023-01-16 09:00")  # fmt: skip
    march = kept["dvc-2023-03.jsonl.gz"]
    again = march.take(np.unique(np.linspace(0, max(march.num_rows - 1, 0), 40).astype(int)))
    landing.write("dossier", _Out("dvc-2023-03-gui-lai.jsonl", "Z", extra=_DVC_EXTRA),
                  again if march.num_rows else march, "2023-04-20 08:30")  # fmt: skip

    # a late supplement: more duplicates, and ids re-used with another payload (conflicts)
    february, may = kept["dvc-2023-02.jsonl.gz"], kept["dvc-2023-05.jsonl.gz"]
    received = february.filter(pc.equal(february["event_type"], "received"))
    resolved = may.filter(pc.equal(may["event_type"], "resolved"))
    moved = resolved["occurred_at"][0].value + DAY if resolved.num_rows else None
    landing.write(
        "dossier",
        _Out("dvc-2024-01-bo-sung.jsonl", "Z", extra=_DVC_EXTRA),
        kept["dvc-2023-06.jsonl.gz"].slice(0, 5),
        "2024-01-15 11:20",
        _conflicts(received, "Z", _DVC_EXTRA, channel="counter")
        + _conflicts(resolved, "Z", _DVC_EXTRA, occurred_at=moved),
    )
    return len(d.event_ts)


# ---- the other streams: few enough to be built whole and cut into files


def _deliver_portals(landing: _Landing) -> int:
    registry = _table("portal", _registry_rows())
    split = pc.greater_equal(pc.cast(registry["occurred_at"], pa.int64()), _ts(SPLIT_DAY))
    before_split = registry.filter(pc.invert(split))
    landing.write(
        "portal",
        _Out("registry-2019-2021.csv", "naive", bom=True),
        _between(before_split, "2018-01-01", "2022-01-01"),
        "2022-01-04 08:00",
        [_Bad("missing_field", {
            "event_id": "xa-thu-nghiem.registered", "event_type": "registered",
            "occurred_at": "2021-12-20T08:30:00", "portal_id": "xa-thu-nghiem",
            "source": "quan-tri-cong", "name": "Xã Thử Nghiệm", "portal_group": "commune",
            "scored": "false", "parent_portal_id": "huyen-bat-xat"})],
    )  # fmt: skip
    landing.write(
        "portal",
        _Out("registry-2022.jsonl", "+07:00"),
        _between(before_split, "2022-01-01", "2023-01-01"),
        "2023-01-03 08:00",
        [_Bad("invalid_enum", {
            "event_id": "phuong-coc-leu.updated.20220615", "event_type": "updated",
            "occurred_at": "2022-06-15T10:00:00+07:00", "portal_id": "phuong-coc-leu",
            "source": "quan-tri-cong", "portal_group": "ward"}),
         _Bad("unknown_event_type", {
            "event_id": "so-vhtt.renamed.20221003", "event_type": "renamed",
            "occurred_at": "2022-10-03T10:00:00+07:00", "portal_id": "so-vhtt",
            "source": "quan-tri-cong", "name": "Sở Văn hóa, Thể thao"})],
    )  # fmt: skip
    # the 2023 export came after the split's own file: delivery order is not content order
    landing.write(
        "portal",
        _Out("registry-2023.parquet", "typed"),
        _between(before_split, "2023-01-01", "2024-01-01"),
        "2024-01-02 08:00",
    )
    split_file = _Out("registry-2023-12-tach-so.jsonl.gz", "Z")
    landing.write("portal", split_file, registry.filter(split), "2023-12-28 08:00")
    landing.write("portal", _Out("registry-2023-12-tach-so.jsonl", "Z"), registry.filter(split),
                  "2024-01-05 08:00")  # fmt: skip
    return registry.num_rows


def _post_bad(file: str) -> list[_Bad]:
    return {
        "cong-tinh-2022.jsonl.gz": [_Bad("malformed_json",
            '{"event_id":"ubnd-tinh-2209999.published","event_type":"published","occurred_at":'
            '"2022-09-14T02:00:00Z","portal_id":"ubnd-tinh","post_id":"ubnd-tinh-2209999",'
            '"kind":"article","category":"news","title":"Tin bài bị cắt dở')],
        "cong-tinh-2023.jsonl.gz": [
            _Bad("unknown_event_type", {
                "event_id": "ubnd-tinh-2309998.archived", "event_type": "archived",
                "occurred_at": "2023-03-02T04:00:00Z", "portal_id": "ubnd-tinh",
                "source": "cms-tinh", "post_id": "ubnd-tinh-2309998"}),
            _Bad("invalid_enum", {
                "event_id": "ubnd-tinh-2309997.published", "event_type": "published",
                "occurred_at": "2023-05-19T08:30:00Z", "portal_id": "ubnd-tinh",
                "source": "cms-tinh", "post_id": "ubnd-tinh-2309997", "kind": "video",
                "category": "media", "title": "Video: 120 năm Du lịch Sa Pa"}),
        ],
        "thanhphan-2022-Q1.csv.gz": [_Bad("invalid_enum", {
            "event_id": "so-ngoai-vu-2209996.published", "event_type": "published",
            "occurred_at": "2022-02-22T09:00:00", "portal_id": "so-ngoai-vu",
            "source": "cms-thanhphan", "post_id": "so-ngoai-vu-2209996", "kind": "article",
            "category": "news", "language": "fr", "title": "Coopération Lào Cai - Yunnan"})],
        "thanhphan-2022-Q2.csv.gz": [_Bad("impossible_timestamp", {
            "event_id": "huyen-bat-xat-2209995.published", "event_type": "published",
            "occurred_at": "2022-06-31T09:15:00", "portal_id": "huyen-bat-xat",
            "source": "cms-thanhphan", "post_id": "huyen-bat-xat-2209995", "kind": "article",
            "category": "news", "title": "Bát Xát ra quân làm đường giao thông nông thôn"})],
        "thanhphan-2022-Q3.csv.gz": [_Bad("missing_field", {
            "event_id": "so-y-te-2209994.published", "event_type": "published",
            "occurred_at": "2022-08-09T10:20:00", "portal_id": "so-y-te",
            "source": "cms-thanhphan", "post_id": "so-y-te-2209994", "kind": "article",
            "title": "Tăng cường phòng chống dịch sốt xuất huyết"})],
        "thanhphan-2022-Q4.csv.gz": [_Bad("unknown_portal", {
            "event_id": "xa-ta-van-cu-2209993.published", "event_type": "published",
            "occurred_at": "2022-11-21T15:00:00", "portal_id": "xa-ta-van-cu",
            "source": "cms-thanhphan", "post_id": "xa-ta-van-cu-2209993", "kind": "article",
            "category": "news", "title": "Xã Tả Van tổ chức ngày hội đại đoàn kết"})],
        "thanhphan-2024-01-bo-sung.jsonl": [_Bad("unknown_portal", {
            "event_id": "so-gd-dt-2309992.published", "event_type": "published",
            "occurred_at": "2023-12-29T09:00:00+07:00", "portal_id": "so-gd-dt",
            "source": "cms-thanhphan", "post_id": "so-gd-dt-2309992", "kind": "data_item",
            "category": "directive_documents",
            "title": "Công văn số 3012/SGDĐT-VP về việc nghỉ Tết Dương lịch"})],
    }.get(file, [])  # fmt: skip


def _deliver_posts(landing: _Landing, rng, scale: float) -> int:
    posts = _simulate_posts(rng, scale)
    province = posts.filter(pc.equal(posts["portal_id"], PROVINCE_PORTAL))
    components = posts.filter(pc.not_equal(posts["portal_id"], PROVINCE_PORTAL))
    for year in (2022, 2023):
        name = f"cong-tinh-{year}.jsonl.gz"
        table = _between(province, f"{year}-01-01", f"{year + 1}-01-01")
        url = pc.binary_join_element_wise("https://laocai.gov.vn/tin-tuc/", table["post_id"], "")
        landing.write("post", _Out(name, "Z"), table.append_column("url", url),
                      f"{year + 1}-01-02 09:00", _post_bad(name))  # fmt: skip
    for quarter in range(1, 5):
        name = f"thanhphan-2022-Q{quarter}.csv.gz"
        lo = f"2022-{3 * quarter - 2:02d}-01"
        hi = f"2022-{3 * quarter + 1:02d}-01" if quarter < 4 else "2023-01-01"
        # Q2 came late, after Q3 had been delivered
        delivered = "2022-11-15 14:00" if quarter == 2 else f"{np.datetime64(hi) + 4} 09:30"
        landing.write(
            "post", _Out(name, "naive"), _between(components, lo, hi), delivered, _post_bad(name)
        )
    for month in range(1, 13):
        # the component CMS moved to version 4.0 in July 2023: typed timestamps from then on
        name = f"thanhphan-2023-{month:02d}.parquet"
        hi = f"2023-{month + 1:02d}-01" if month < 12 else "2024-01-01"
        table = _between(components, f"2023-{month:02d}-01", hi)
        landing.write("post", _Out(name, "+07:00" if month <= 6 else "typed"), table,
                      f"{np.datetime64(hi) + 2} 07:45")  # fmt: skip
    landing.copy("post", "thanhphan-2023-03.parquet", "thanhphan-2023-03-gui-lai.parquet",
                 "2023-05-10 10:00")  # fmt: skip
    april = _between(components, "2023-04-01", "2023-05-01")
    published = april.filter(pc.equal(april["event_type"], "published"))
    first = published["category"][0].as_py() if published.num_rows else None
    name = "thanhphan-2024-01-bo-sung.jsonl"
    landing.write(
        "post",
        _Out(name, "+07:00"),
        components.slice(0, 0),
        "2024-01-15 11:30",
        _post_bad(name)
        + _conflicts(published, "+07:00", category="other" if first == "news" else "news"),
    )
    return posts.num_rows


def _question_bad(file: str) -> list[_Bad]:
    asker = {"asker_name": "Lò Thị Mai", "asker_email": "mai.lo211@gmail.com",
             "asker_phone": "0912345678"}  # fmt: skip
    return {
        "hoidap-2022.jsonl": [
            _Bad("malformed_json",
                 "{'event_id': 'HD2022-09001.submitted', 'event_type': 'submitted'}"),
            _Bad("unknown_event_type", {
                "event_id": "HD2022-09002.escalated", "event_type": "escalated",
                "occurred_at": "2022-04-12T03:00:00+00:00", "portal_id": "so-tnmt",
                "source": "hoidap", "question_id": "HD2022-09002"}),
            _Bad("unknown_portal", {
                "event_id": "HD2022-09003.submitted", "event_type": "submitted",
                "occurred_at": "2022-05-06T13:20:00+00:00", "portal_id": "so-giao-duc",
                "source": "hoidap", "question_id": "HD2022-09003", "topic": "education",
                **asker, "body": "Xin hỏi về tuyển sinh vào lớp 10 năm học 2022 - 2023."}),
            _Bad("invalid_enum", {
                "event_id": "HD2022-09004.deleted", "event_type": "deleted",
                "occurred_at": "2022-10-04T09:00:00+07:00", "portal_id": "cong-an-tinh",
                "source": "hoidap", "question_id": "HD2022-09004", "deletion_reason": "spam"}),
        ],
        "hoidap-2023-H1.csv": [
            _Bad("missing_field", {
                "event_id": "HD2023-09005.deleted", "event_type": "deleted",
                "occurred_at": "2023-02-13T10:00:00", "portal_id": "tx-sa-pa",
                "source": "hoidap", "question_id": "HD2023-09005"}),
            _Bad("impossible_timestamp", {
                "event_id": "HD2023-09006.accepted", "event_type": "accepted",
                "occurred_at": "2023-04-31T08:20:00", "portal_id": "so-y-te",
                "source": "hoidap", "question_id": "HD2023-09006"}),
            _Bad("invalid_enum", {
                "event_id": "HD2023-09007.rated", "event_type": "rated",
                "occurred_at": "2023-05-22T19:00:00", "portal_id": "so-gddt",
                "source": "hoidap", "question_id": "HD2023-09007", "rating": "6"}),
        ],
    }.get(file, [])  # fmt: skip


_QUESTION_COLUMNS = tuple(_SCHEMAS["question"].names)


def _deliver_questions(landing: _Landing, rng, scale: float) -> int:
    questions = _simulate_questions(rng, scale)
    landing.write("question", _Out("hoidap-2022.jsonl", "mixed"),
                  _between(questions, "2021-01-01", "2023-01-01"), "2023-01-04 08:00",
                  _question_bad("hoidap-2022.jsonl"))  # fmt: skip
    first_half = _Out("hoidap-2023-H1.csv", "naive", bom=True)
    landing.write("question", first_half, _between(questions, "2023-01-01", "2023-07-01"),
                  "2023-07-03 08:00", _question_bad(first_half.name))  # fmt: skip
    # June exported again on request: the same rows, the same way
    landing.write(
        "question",
        _Out("hoidap-2023-06-xuat-lai.csv", "naive", bom=True),
        _between(questions, "2023-06-01", "2023-07-01"),
        "2023-07-20 15:00",
    )
    landing.write(
        "question",
        _Out("hoidap-2023-H2.parquet", "typed"),
        _between(questions, "2023-07-01", "2024-01-01"),
        "2024-01-03 08:00",
    )
    spring = _between(questions, "2023-01-01", "2023-06-01")
    answered = spring.filter(pc.equal(spring["event_type"], "answered"))
    flipped = bool(answered.num_rows) and answered["responder_authorized"][0].as_py() is False
    landing.write(
        "question",
        _Out("hoidap-2024-01-bo-sung.jsonl", "+07:00"),
        questions.slice(0, 0),
        "2024-01-15 11:40",
        _conflicts(answered, "+07:00", responder_authorized=flipped),
    )
    return questions.num_rows


def _cp1258(text: str) -> bytes:
    """Windows-1258, which writes most Vietnamese tones as separate combining marks."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for i, mark in enumerate(marks):  # the letter's shape composed (ê, ơ, ă), tones apart
            rest = "".join(marks[:i] + marks[i + 1 :])
            try:
                shaped = unicodedata.normalize("NFC", base + mark).encode("cp1258")
                out += shaped + rest.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += (base + "".join(marks)).encode("cp1258")
    return bytes(out)


def _deliver_assessments(landing: _Landing, rng) -> int:
    adjustments = _table("assessment", _assessment_rows(rng))
    year_2022 = _between(adjustments, "2022-01-01", "2023-01-01")
    sheet = _Out("bbt-2022-9M.csv", "+07:00", bom=True)
    # the board first sent the districts' rows from a Windows machine, then the whole sheet
    districts = year_2022.filter(
        pc.is_in(year_2022["portal_id"], pa.array([p.portal_id for p in _PORTALS
                                                   if p.group == "district"]))
    )  # fmt: skip
    legacy = _csv_bytes(districts, _Out("", "+07:00"), []).decode("utf-8")
    landing.write_bytes("assessment", "bbt-2022-9M-win1258.csv", _cp1258(legacy),
                        "2022-10-06 17:10")  # fmt: skip
    landing.planted["non_utf8_file"] += 1
    landing.write(
        "assessment",
        sheet,
        year_2022,
        "2022-10-07 09:00",
        [
            _Bad(
                "impossible_timestamp",
                {
                    "event_id": "bbt-2022-9M-so-ngoai-vu-recommendation",
                    "event_type": "adjusted",
                    "occurred_at": "2022-09-31T16:00:00+07:00",
                    "portal_id": "so-ngoai-vu",
                    "source": "bbt",
                    "period_id": "2022-9M",
                    "criterion": "recommendation",
                    "points": "0",
                    "note": "Đề nghị cơ quan quan tâm hơn đến chất lượng nội dung.",
                },
            )
        ],
    )
    year_2023 = _between(adjustments, "2023-01-01", "2024-01-01")
    revised = pc.match_substring(year_2023["event_id"], "-phuc-khao")
    landing.write(
        "assessment",
        _Out("bbt-2023-9M.jsonl", "+07:00"),
        year_2023.filter(pc.invert(revised)),
        "2023-10-04 16:00",
        [_Bad("malformed_json", '{"event_id":"bbt-2023-9M-so-tttt-presentation_bonus-x",'),
         _Bad("missing_field", {
             "event_id": "bbt-2023-9M-hoi-nong-dan-recommendation", "event_type": "adjusted",
             "occurred_at": "2023-09-28T09:00:00+07:00", "portal_id": "hoi-nong-dan",
             "source": "bbt", "period_id": "2023-9M", "criterion": "recommendation",
             "note": "Đề nghị tiếp tục duy trì."}),
         _Bad("unknown_portal", {
             "event_id": "bbt-2023-9M-ban-dan-toc-tinh-presentation_bonus",
             "event_type": "adjusted", "occurred_at": "2023-09-28T09:05:00+07:00",
             "portal_id": "ban-dan-toc-tinh", "source": "bbt", "period_id": "2023-9M",
             "criterion": "presentation_bonus", "points": 5, "note": _BONUS_NOTE})],
    )  # fmt: skip
    landing.write("assessment", _Out("bbt-2023-9M-phuc-khao.parquet", "typed"),
                  year_2023.filter(revised), "2023-10-12 10:00")  # fmt: skip
    return adjustments.num_rows


@dataclass(frozen=True)
class GenerateSummary:
    files: tuple[Path, ...]  # every file written
    events: dict[str, int]  # distinct valid events per stream (what a correct ingest accepts)
    planted: dict[str, int]  # bad records planted, by kind; non_utf8_file counts files


def generate(landing: Path, *, seed: int = DEFAULT_SEED, scale: float = 1.0) -> GenerateSummary:
    """Write sample event files under <landing>/<stream>/ for 2022 and 2023.

    Deterministic for a seed: the same seed and scale give byte-identical files and mtimes.

    `scale` multiplies the volumes of posts, questions and dossiers (1.0 ≈ the seed's province);
    the registry, the assessments and the planted bad records do not scale. Each stream draws
    from its own random stream, so a change in one leaves the others' files as they were.
    """
    out = _Landing(Path(landing))
    events = {
        "portal": _deliver_portals(out),
        "post": _deliver_posts(out, np.random.default_rng([seed, 1]), scale),
        "question": _deliver_questions(out, np.random.default_rng([seed, 2]), scale),
        "dossier": _deliver_dossiers(out, np.random.default_rng([seed, 3]), scale),
        "assessment": _deliver_assessments(out, np.random.default_rng([seed, 4])),
    }
    return GenerateSummary(
        files=tuple(sorted(out.files)), events=events, planted=dict(sorted(out.planted.items()))
    )
