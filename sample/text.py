"""Words the simulated sources write: post titles, Q&A subjects, askers' names."""

from __future__ import annotations

import unicodedata

TOPICS = (
    "chuyển đổi số", "cải cách hành chính", "phòng, chống thiên tai", "xây dựng nông thôn mới",
    "giảm nghèo bền vững", "phát triển du lịch", "bảo đảm trật tự an toàn giao thông",
    "quản lý, bảo vệ rừng", "phòng cháy, chữa cháy", "chăm sóc sức khỏe nhân dân",
    "đào tạo nghề cho lao động nông thôn", "thu hút đầu tư", "phổ biến, giáo dục pháp luật",
    "phát triển kinh tế - xã hội vùng đồng bào dân tộc thiểu số",
)  # fmt: skip
FIELDS = ("đất đai", "hộ tịch", "giáo dục", "y tế", "đầu tư", "lao động", "văn hóa",
           "giao thông", "tư pháp", "nông nghiệp")  # fmt: skip
ITEMS = ("mua sắm thiết bị tin học", "sửa chữa trụ sở làm việc",
          "cung cấp dịch vụ thuê phần mềm", "xây dựng đường giao thông nông thôn",
          "tư vấn lập báo cáo kinh tế - kỹ thuật")  # fmt: skip
TITLES = {
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
EN_TITLES = (
    "Lao Cai steps up digital transformation in {year}",
    "Information and communications sector reviews tasks of quarter {quarter}/{year}",
    "Lao Cai trains administrators of component e-portals",
    "Sa Pa tourism marks 120 years",
    "Lao Cai promotes full online public services",
)
QA_SUBJECTS = {
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
DISTRICT_TOPICS = ("land", "education", "environment", "labour_policy", "justice")
QA_ENDINGS = (
    "Thủ tục cần những giấy tờ gì và nộp ở đâu?",
    "Thời gian giải quyết là bao lâu?",
    "Trường hợp của gia đình tôi có được hưởng không?",
    "Đến nay đã hơn 2 tháng vẫn chưa được giải quyết, đề nghị cơ quan xem xét.",
)
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Giàng", "Lò", "Sùng",
             "Vàng", "Lù", "Ma", "Hà", "Lý", "Tẩn", "Thào")  # fmt: skip
MIDDLE = ("Văn", "Thị", "Đức", "Minh", "Thu", "Hồng", "Seo", "A", "Quang", "Ngọc")
GIVEN = ("Hùng", "Lan", "Dũng", "Hoa", "Tuấn", "Mai", "Sơn", "Hương", "Chiến", "Linh", "Páo",
          "Mỷ", "Chứ", "Thắng", "Nam", "Phương", "Quý", "Sử", "Vân")  # fmt: skip

EN_INTRODUCTIONS = (
    "Functions, duties and organisational structure",
    "Leadership and contact information",
    "Introduction to {place}",
)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def abbreviation(name: str) -> str:
    return "".join(w[0] for w in slug(name).split("-") if w != "va").upper()[:6]
