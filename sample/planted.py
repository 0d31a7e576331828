"""The bad records planted in the deliveries, by file: each breaks exactly one rule of the
contract, a loader must quarantine it, and its id is used nowhere else, so it adds nothing to the
valid counts. `Bad.kind` names the rule; `GenerateSummary.planted` counts them.
"""

from __future__ import annotations

from sample.files import Bad

BONUS_NOTE = "Cộng 5 điểm khuyến khích đảm bảo font chữ, có ảnh minh họa, trình bày đẹp."


def portal(file: str) -> list[Bad]:
    return {
        "registry-2019-2021.csv": [Bad("missing_field", {
            "event_id": "xa-thu-nghiem.registered", "event_type": "registered",
            "occurred_at": "2021-12-20T08:30:00", "portal_id": "xa-thu-nghiem",
            "source": "quan-tri-cong", "name": "Xã Thử Nghiệm", "portal_group": "commune",
            "scored": "false", "parent_portal_id": "huyen-bat-xat"})],
        "registry-2022.jsonl": [
            Bad("invalid_enum", {  # a group the reference data does not name
                "event_id": "phuong-coc-leu.updated.20220615", "event_type": "updated",
                "occurred_at": "2022-06-15T10:00:00+07:00", "portal_id": "phuong-coc-leu",
                "source": "quan-tri-cong", "portal_group": "phuong"}),
            Bad("unknown_event_type", {
                "event_id": "so-vhtt.renamed.20221003", "event_type": "renamed",
                "occurred_at": "2022-10-03T10:00:00+07:00", "portal_id": "so-vhtt",
                "source": "quan-tri-cong", "name": "Sở Văn hóa, Thể thao"})],
        "registry-2025-07-hop-nhat.jsonl.gz": [Bad("invalid_shares", {  # a draft: 0.6 + 0.3
            "event_id": "huyen-bac-ha.retired.du-thao", "event_type": "retired",
            "occurred_at": "2025-06-30T17:00:00Z", "portal_id": "huyen-bac-ha",
            "source": "quan-tri-cong",
            "successor_portal_ids": ["xa-bac-ha-2025", "xa-bao-nhai-2025"],
            "successor_shares": [0.6, 0.3]})],
    }.get(file, [])  # fmt: skip


def dossier(file: str) -> list[Bad]:
    received = {"event_type": "received", "source": "dvc", "procedure_code": "1.004227",
                "channel": "online", "service_level": 3}  # fmt: skip
    return {
        "dvc-2022-07.jsonl.gz": [Bad("malformed_json",
            '{"event_id":"SNV-220714-80001.received","event_type":"received","occurred_at":"2022-07-14T09:12:')],  # noqa: E501
        "dvc-2022-10.jsonl.gz": [Bad("unknown_event_type", {
            "event_id": "STP-221012-80002.reopened", "event_type": "reopened",
            "occurred_at": "2022-10-12T10:05:00+07:00", "portal_id": "so-tu-phap",
            "dossier_id": "STP-221012-80002"})],
        "dvc-2022-11.jsonl.gz": [Bad("invalid_enum", {
            **received, "event_id": "UBBX-221108-80003.received",
            "occurred_at": "2022-11-08T14:20:00+07:00", "portal_id": "huyen-bat-xat",
            "dossier_id": "UBBX-221108-80003", "service_level": 5,
            "due_at": "2022-11-15T17:00:00+07:00"})],
        "dvc-2023-02.jsonl.gz": [Bad("missing_field", {
            **{k: v for k, v in received.items() if k != "channel"},
            "event_id": "STNMT-230214-80004.received", "occurred_at": "2023-02-14T02:30:00Z",
            "portal_id": "so-tnmt", "dossier_id": "STNMT-230214-80004",
            "due_at": "2023-02-21T10:00:00Z"})],
        "dvc-2023-04.jsonl.gz": [Bad("malformed_json",
            # a hand-edited line that lost a comma
            '{"event_id":"UBTPLC-230406-80005.resolved","event_type":"resolved" '
            '"occurred_at":"2023-04-06T03:00:00Z","portal_id":"tp-lao-cai"}')],
        "dvc-2023-05.jsonl.gz": [Bad("impossible_timestamp", {
            "event_id": "SCT-230512-80006.resolved", "event_type": "resolved",
            "occurred_at": "2099-05-12T09:30:00Z", "portal_id": "so-cong-thuong",
            "source": "dvc", "dossier_id": "SCT-230512-80006"})],
        "dvc-2023-06.jsonl.gz": [Bad("unknown_portal", {
            **received, "event_id": "UBBY-230619-80007.received",
            "occurred_at": "2023-06-19T01:45:00Z", "portal_id": "ubnd-huyen-bao-yen",
            "dossier_id": "UBBY-230619-80007", "due_at": "2023-06-26T10:00:00Z"})],
        "motcua-2022-Q2.csv.gz": [Bad("invalid_enum", {
            "dossier_id": "UBSP-220517-80008", "event_id": "UBSP-220517-80008.received",
            "event_type": "received", "occurred_at": "2022-05-17T09:00:00",
            "portal_id": "tx-sa-pa", "channel": "counter", "service_level": "1",
            "procedure_code": "2.000889", "due_at": "2022-05-20T17:00:00", "source": "motcua"})],
        "motcua-2022-Q4.csv.gz": [Bad("unknown_portal", {
            "dossier_id": "STNMT-221103-80009", "event_id": "STNMT-221103-80009.resolved",
            "event_type": "resolved", "occurred_at": "2022-11-03T15:10:00",
            "portal_id": "so-tnmt-cu", "source": "motcua"})],
        "motcua-2023-Q1.csv": [Bad("impossible_timestamp", {
            "dossier_id": "UBBT-230228-80010", "event_id": "UBBT-230228-80010.received",
            "event_type": "received", "occurred_at": "2023-02-30T10:00:00+07:00",
            "portal_id": "huyen-bao-thang", "channel": "counter", "service_level": "2",
            "due_at": "2023-03-06T17:00:00+07:00", "source": "motcua"})],
        "motcua-2023-Q2.csv": [Bad("missing_field", {
            "dossier_id": "UBVB-230511-80011", "event_id": "UBVB-230511-80011.received",
            "event_type": "received", "occurred_at": "2023-05-11T08:40:00+07:00",
            "portal_id": "huyen-van-ban", "channel": "counter", "service_level": "2",
            "source": "motcua"})],
        "motcua-2023-Q3.csv": [Bad("unknown_event_type", {
            "dossier_id": "UBMK-230803-80012", "event_id": "UBMK-230803-80012.transferred",
            "event_type": "transferred", "occurred_at": "2023-08-03T10:30:00+07:00",
            "portal_id": "huyen-muong-khuong", "source": "motcua"})],
        "motcua-2023-Q4.csv": [Bad("invalid_enum", {
            "dossier_id": "UBBH-231017-80013", "event_id": "UBBH-231017-80013.received",
            "event_type": "received", "occurred_at": "2023-10-17T09:25:00+07:00",
            "portal_id": "huyen-bac-ha", "channel": "fax", "service_level": "2",
            "due_at": "2023-10-20T17:00:00+07:00", "source": "motcua"})],
    }.get(file, [])  # fmt: skip


def post(file: str) -> list[Bad]:
    return {
        "cong-tinh-2022.jsonl.gz": [Bad("malformed_json",
            '{"event_id":"ubnd-tinh-2209999.published","event_type":"published","occurred_at":'
            '"2022-09-14T02:00:00Z","portal_id":"ubnd-tinh","post_id":"ubnd-tinh-2209999",'
            '"kind":"article","category":"news","title":"Tin bài bị cắt dở')],
        "cong-tinh-2023.jsonl.gz": [
            Bad("unknown_event_type", {
                "event_id": "ubnd-tinh-2309998.archived", "event_type": "archived",
                "occurred_at": "2023-03-02T04:00:00Z", "portal_id": "ubnd-tinh",
                "source": "cms-tinh", "post_id": "ubnd-tinh-2309998"}),
            Bad("invalid_enum", {
                "event_id": "ubnd-tinh-2309997.published", "event_type": "published",
                "occurred_at": "2023-05-19T08:30:00Z", "portal_id": "ubnd-tinh",
                "source": "cms-tinh", "post_id": "ubnd-tinh-2309997", "kind": "video",
                "category": "media", "title": "Video: 120 năm Du lịch Sa Pa"}),
        ],
        "thanhphan-2022-Q1.csv.gz": [Bad("invalid_enum", {
            "event_id": "so-ngoai-vu-2209996.published", "event_type": "published",
            "occurred_at": "2022-02-22T09:00:00", "portal_id": "so-ngoai-vu",
            "source": "cms-thanhphan", "post_id": "so-ngoai-vu-2209996", "kind": "article",
            "category": "news", "language": "fr", "title": "Coopération Lào Cai - Yunnan"})],
        "thanhphan-2022-Q2.csv.gz": [Bad("impossible_timestamp", {
            "event_id": "huyen-bat-xat-2209995.published", "event_type": "published",
            "occurred_at": "2022-06-31T09:15:00", "portal_id": "huyen-bat-xat",
            "source": "cms-thanhphan", "post_id": "huyen-bat-xat-2209995", "kind": "article",
            "category": "news", "title": "Bát Xát ra quân làm đường giao thông nông thôn"})],
        "thanhphan-2022-Q3.csv.gz": [Bad("missing_field", {
            "event_id": "so-y-te-2209994.published", "event_type": "published",
            "occurred_at": "2022-08-09T10:20:00", "portal_id": "so-y-te",
            "source": "cms-thanhphan", "post_id": "so-y-te-2209994", "kind": "article",
            "title": "Tăng cường phòng chống dịch sốt xuất huyết"})],
        "thanhphan-2022-Q4.csv.gz": [Bad("unknown_portal", {
            "event_id": "xa-ta-van-cu-2209993.published", "event_type": "published",
            "occurred_at": "2022-11-21T15:00:00", "portal_id": "xa-ta-van-cu",
            "source": "cms-thanhphan", "post_id": "xa-ta-van-cu-2209993", "kind": "article",
            "category": "news", "title": "Xã Tả Van tổ chức ngày hội đại đoàn kết"})],
        "thanhphan-2024-01-bo-sung.jsonl": [Bad("unknown_portal", {
            "event_id": "so-gd-dt-2309992.published", "event_type": "published",
            "occurred_at": "2023-12-29T09:00:00+07:00", "portal_id": "so-gd-dt",
            "source": "cms-thanhphan", "post_id": "so-gd-dt-2309992", "kind": "data_item",
            "category": "directive_documents",
            "title": "Công văn số 3012/SGDĐT-VP về việc nghỉ Tết Dương lịch"})],
    }.get(file, [])  # fmt: skip


def question(file: str) -> list[Bad]:
    asker = {"asker_name": "Lò Thị Mai", "asker_email": "mai.lo211@gmail.com",
             "asker_phone": "0912345678"}  # fmt: skip
    return {
        "hoidap-2022.jsonl": [
            Bad("malformed_json",
                 "{'event_id': 'HD2022-09001.submitted', 'event_type': 'submitted'}"),
            Bad("unknown_event_type", {
                "event_id": "HD2022-09002.escalated", "event_type": "escalated",
                "occurred_at": "2022-04-12T03:00:00+00:00", "portal_id": "so-tnmt",
                "source": "hoidap", "question_id": "HD2022-09002"}),
            Bad("unknown_portal", {
                "event_id": "HD2022-09003.submitted", "event_type": "submitted",
                "occurred_at": "2022-05-06T13:20:00+00:00", "portal_id": "so-giao-duc",
                "source": "hoidap", "question_id": "HD2022-09003", "topic": "education",
                **asker, "body": "Xin hỏi về tuyển sinh vào lớp 10 năm học 2022 - 2023."}),
            Bad("invalid_enum", {
                "event_id": "HD2022-09004.deleted", "event_type": "deleted",
                "occurred_at": "2022-10-04T09:00:00+07:00", "portal_id": "cong-an-tinh",
                "source": "hoidap", "question_id": "HD2022-09004", "deletion_reason": "spam"}),
        ],
        "hoidap-2023-H1.csv": [
            Bad("missing_field", {
                "event_id": "HD2023-09005.deleted", "event_type": "deleted",
                "occurred_at": "2023-02-13T10:00:00", "portal_id": "tx-sa-pa",
                "source": "hoidap", "question_id": "HD2023-09005"}),
            Bad("impossible_timestamp", {
                "event_id": "HD2023-09006.accepted", "event_type": "accepted",
                "occurred_at": "2023-04-31T08:20:00", "portal_id": "so-y-te",
                "source": "hoidap", "question_id": "HD2023-09006"}),
            Bad("invalid_enum", {
                "event_id": "HD2023-09007.rated", "event_type": "rated",
                "occurred_at": "2023-05-22T19:00:00", "portal_id": "so-gddt",
                "source": "hoidap", "question_id": "HD2023-09007", "rating": "6"}),
        ],
        "yenbai-hoidap-2024-2025.jsonl": [Bad("unknown_portal", {
            "event_id": "YB-HD2024-09008.submitted", "event_type": "submitted",
            "occurred_at": "2024-03-14T02:10:00Z", "portal_id": "yb-so-giao-duc",
            "source": "hoidap-yenbai", "question_id": "YB-HD2024-09008", "topic": "education",
            "asker_name": "Hà Thị Hoa", "asker_email": "hoa.ha318@gmail.com",
            "asker_phone": "0987654321", "body": "Xin hỏi về tuyển sinh lớp 6."})],
    }.get(file, [])  # fmt: skip


def assessment(file: str) -> list[Bad]:
    return {
        "bbt-2022-9M.csv": [Bad("impossible_timestamp", {
            "event_id": "bbt-2022-9M-so-ngoai-vu-recommendation", "event_type": "adjusted",
            "occurred_at": "2022-09-31T16:00:00+07:00", "portal_id": "so-ngoai-vu",
            "source": "bbt", "period_id": "2022-9M", "criterion": "recommendation",
            "points": "0", "note": "Đề nghị cơ quan quan tâm hơn đến chất lượng nội dung."})],
        "bbt-2023-9M.jsonl": [
            Bad("malformed_json", '{"event_id":"bbt-2023-9M-so-tttt-presentation_bonus-x",'),
            Bad("missing_field", {
                "event_id": "bbt-2023-9M-hoi-nong-dan-recommendation", "event_type": "adjusted",
                "occurred_at": "2023-09-28T09:00:00+07:00", "portal_id": "hoi-nong-dan",
                "source": "bbt", "period_id": "2023-9M", "criterion": "recommendation",
                "note": "Đề nghị tiếp tục duy trì."}),
            Bad("unknown_portal", {
                "event_id": "bbt-2023-9M-ban-dan-toc-tinh-presentation_bonus",
                "event_type": "adjusted", "occurred_at": "2023-09-28T09:05:00+07:00",
                "portal_id": "ban-dan-toc-tinh", "source": "bbt", "period_id": "2023-9M",
                "criterion": "presentation_bonus", "points": 5, "note": BONUS_NOTE})],
        "bbt-2025-9M.csv": [Bad("invalid_pattern", {  # not a report period of the rubric
            "event_id": "bbt-2025-8M-so-xay-dung-recommendation", "event_type": "adjusted",
            "occurred_at": "2025-09-29T10:00:00", "portal_id": "so-xay-dung", "source": "bbt",
            "period_id": "2025-8M", "criterion": "recommendation", "points": "0",
            "note": "Đề nghị hợp nhất chuyên mục."})],
    }.get(file, [])  # fmt: skip


def channel(file: str) -> list[Bad]:
    return {
        "kenh-truyen-thong-2023-05.jsonl": [Bad("invalid_enum", {  # a channel not yet listed
            "event_id": "kenh.tiktok.views.20230501-20230531", "event_type": "measured",
            "occurred_at": "2023-05-31T20:00:00+07:00", "portal_id": "ubnd-tinh",
            "source": "stttt-bao-cao-kenh", "channel": "tiktok", "metric": "views",
            "value": 15230, "window_start": "2023-05-01", "window_end": "2023-05-31"})],
    }.get(file, [])  # fmt: skip
