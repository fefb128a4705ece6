"""The dashboard's words in Simplified Chinese and English.

Officers of Chinese copyright bureaus are its first readers, so Chinese is the default; English
serves foreign rights holders and platforms. Every label a template shows is a key of
``MESSAGES``, one ``Text`` with both languages side by side, so a label cannot exist in one
language only (a test checks every key the templates use and every status a record can be in).
An unknown key is an error rather than a blank: a template that asks for a missing label fails
in the tests, not in front of an officer.

Messages from the services (a guard's refusal, a missing field) stay as they are written: they
name records and values exactly, and the CLI prints the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

Locale = Literal["zh-CN", "en"]
LOCALES: Final[tuple[Locale, ...]] = ("zh-CN", "en")
DEFAULT_LOCALE: Final[Locale] = "zh-CN"
LANGUAGE_NAMES: Final[Mapping[str, str]] = MappingProxyType({"zh-CN": "中文", "en": "English"})


@dataclass(frozen=True)
class Text:
    """One label in both languages."""

    zh: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


_T = Text

MESSAGES: Final[Mapping[str, Text]] = MappingProxyType(
    {
        # The frame around every page.
        "app.name": _T("鉴网", "Jianwang"),
        "app.tagline": _T("网络侵权盗版监测与执法", "Copyright monitoring and enforcement"),
        "nav.dashboard": _T("总览", "Dashboard"),
        "nav.works": _T("重点作品", "Protected works"),
        "nav.sites": _T("监测网站", "Sites"),
        "nav.review": _T("审核", "Review"),
        "nav.cases": _T("案件", "Cases"),
        "nav.notices": _T("通知", "Notices"),
        "nav.reports": _T("报告", "Reports"),
        "nav.main": _T("主导航", "Main navigation"),
        "nav.language": _T("语言", "Language"),
        "nav.signed_in_as": _T("当前用户", "Signed in as"),
        "auth.sign_out": _T("退出", "Sign out"),
        "auth.sign_in": _T("登录", "Sign in"),
        "auth.title": _T("登录鉴网", "Sign in to Jianwang"),
        "auth.username": _T("用户名", "User name"),
        "auth.password": _T("密码", "Password"),
        "auth.refused": _T("用户名或密码错误。", "Wrong user name or password."),
        "auth.throttled": _T(
            "登录失败次数过多，请 15 分钟后再试。",
            "Too many failed sign-ins; try again in 15 minutes.",
        ),
        "auth.foreign_origin": _T(
            "登录请求来自其他网站，已拒绝。", "The sign-in came from another site and was refused."
        ),
        "auth.signed_out": _T("已退出。", "Signed out."),
        # Roles.
        "role.admin": _T("管理员", "Administrator"),
        "role.officer": _T("执法人员", "Officer"),
        "role.rights_holder": _T("权利人", "Rights holder"),
        "role.platform": _T("平台", "Platform"),
        "role.viewer": _T("查看者", "Viewer"),
        # Errors.
        "error.title": _T("无法完成", "Could not do that"),
        "error.403": _T("无权查看或操作", "Not permitted"),
        "error.404": _T("未找到", "Not found"),
        "error.400": _T("请求有误", "Check the request"),
        "error.409": _T("已存在", "Already exists"),
        "error.422": _T("无法处理", "Cannot process"),
        "error.back": _T("返回总览", "Back to the dashboard"),
        # Common words.
        "common.none": _T("无", "None"),
        "common.yes": _T("是", "Yes"),
        "common.no": _T("否", "No"),
        "common.id": _T("编号", "ID"),
        "common.status": _T("状态", "Status"),
        "common.site": _T("网站", "Site"),
        "common.work": _T("作品", "Work"),
        "common.region": _T("地区", "Region"),
        "common.reason": _T("理由", "Reason"),
        "common.actor": _T("操作人", "By"),
        "common.time": _T("时间", "Time"),
        "common.from": _T("起始日期", "From"),
        "common.to": _T("截止日期", "To"),
        "common.show": _T("查看", "Show"),
        "common.open": _T("打开", "Open"),
        "common.download": _T("下载", "Download"),
        "common.empty": _T("暂无记录。", "Nothing here yet."),
        "common.apply": _T("应用", "Apply"),
        "common.details": _T("详情", "Details"),
        "common.kind": _T("类型", "Kind"),
        "common.utc": _T("（UTC）", "(UTC)"),
        "common.sha256": _T("SHA-256", "SHA-256"),
        # Dashboard.
        "dash.title": _T("总览", "Dashboard"),
        "dash.period": _T("统计期间", "Period"),
        "dash.my_work": _T("待办", "Your work"),
        "dash.to_review": _T("待审核", "Waiting for review"),
        "dash.open_cases": _T("在办案件", "Open cases"),
        "dash.notices_running": _T("期限内通知", "Notices running"),
        "dash.notices_overdue": _T("已逾期通知", "Notices past deadline"),
        "dash.works": _T("重点保护作品", "Protected works"),
        "dash.sites": _T("监测网站", "Monitored sites"),
        "dash.campaign": _T("专项行动数据", "Campaign figures"),
        "dash.scope": _T("范围", "Scope"),
        "dash.scope_all": _T("全国", "Nationwide"),
        "dash.cases_investigated": _T("立案调查", "Cases investigated"),
        "dash.sites_shut_down": _T("关闭网站", "Sites shut down"),
        "dash.fines_imposed": _T("罚款金额（元）", "Fines imposed (yuan)"),
        "dash.cases_referred": _T("移送司法", "Cases referred"),
        "dash.works_listed": _T("重点保护作品", "Works on the protection list"),
        "dash.copies": _T("确认侵权", "Confirmed copies"),
        "dash.notices_sent": _T("发出通知", "Notices sent"),
        "dash.notices_removed": _T("已删除", "Removed"),
        "dash.notices_non_compliant": _T("未整改", "Not complied with"),
        "dash.charts": _T("图表", "Charts"),
        "dash.by_site": _T("按网站", "By site"),
        "dash.count": _T("数量", "Count"),
        "dash.no_report": _T(
            "专项行动数据仅向执法人员、管理员和查看者开放。",
            "Campaign figures are open to officers, administrators and viewers.",
        ),
        # Works.
        "works.title": _T("重点保护作品", "Protected works"),
        "works.rights_holder": _T("权利人", "Rights holder"),
        "works.assets": _T("参考文件", "References"),
        "works.batch": _T("批次", "Batch"),
        "works.licences": _T("授权", "Licences"),
        "works.protected_until": _T("保护期至", "Protected until"),
        "works.aliases": _T("别名", "Aliases"),
        "works.count": _T("共 {n} 部作品", "{n} works"),
        # Sites.
        "sites.title": _T("监测网站", "Monitored sites"),
        "sites.domains": _T("域名", "Domains"),
        "sites.operator": _T("运营者", "Operator"),
        "sites.last_sweep": _T("最近巡查", "Last sweep"),
        "sites.never": _T("尚未巡查", "Not swept yet"),
        "sites.captures": _T("采集", "Captures"),
        "sites.confirmed": _T("确认侵权", "Confirmed"),
        "sites.in_review": _T("待审核", "In review"),
        # Review.
        "review.title": _T("审核队列", "Review queue"),
        "review.queue_empty": _T("没有待审核的检测结果。", "Nothing waits for review."),
        "review.detection": _T("检测结果 #{id}", "Detection #{id}"),
        "review.signal": _T("信号", "Signal"),
        "review.score": _T("得分", "Score"),
        "review.capture_span": _T("盗版片段", "Copy span"),
        "review.reference_span": _T("参考片段", "Reference span"),
        "review.speed": _T("速度", "Speed"),
        "review.pitch": _T("音高偏移（半音）", "Pitch shift (semitones)"),
        "review.captured_at": _T("采集时间", "Captured"),
        "review.page_url": _T("页面地址", "Page URL"),
        "review.media_url": _T("媒体地址", "Media URL"),
        "review.asset": _T("参考文件", "Reference"),
        "review.matched_text": _T("匹配文字", "Matched text"),
        "review.evidence": _T("证据对照", "Evidence side by side"),
        "review.capture_side": _T("盗版副本", "The copy"),
        "review.reference_side": _T("参考作品", "The reference"),
        "review.at": _T("时间码 {t}", "at {t}"),
        "review.no_evidence": _T(
            "该检测结果没有证据文件。", "No evidence files for this detection."
        ),
        "review.screenshot": _T("页面截图", "Page screenshot"),
        "review.other_files": _T("其他证据文件", "Other evidence files"),
        "review.decision": _T("审核决定", "Decision"),
        "review.confirm": _T("确认侵权", "Confirm infringement"),
        "review.reject": _T("驳回（误报）", "Reject as false positive"),
        "review.confirm_reason": _T(
            "已与参考作品逐一比对，确为同一作品", "Checked side by side with the reference"
        ),
        "review.allow": _T("今后放行", "Allow from now on"),
        "review.allow_none": _T("不添加放行规则", "No allow rule"),
        "review.allow_work_site": _T("该网站上的该作品", "This work on this site"),
        "review.allow_url": _T("匹配以下网址的页面", "Pages matching this URL pattern"),
        "review.url_pattern": _T("网址模式", "URL pattern"),
        "review.decided": _T(
            "{who} 已于 {when} 作出决定：{status}", "Decided by {who} at {when}: {status}"
        ),
        "review.open_detail": _T("审核", "Review"),
        "review.evidence_package": _T("下载证据包", "Download evidence package"),
        "review.audio_unsupported": _T(
            "浏览器无法播放该音频。", "Your browser cannot play this audio."
        ),
        # Cases.
        "cases.title": _T("行政案件", "Administrative cases"),
        "cases.number": _T("案号", "Case number"),
        "cases.state": _T("阶段", "State"),
        "cases.officers": _T("承办人", "Officers"),
        "cases.deadline": _T("期限", "Deadline"),
        "cases.referral_flags": _T("移送标记", "Referral flags"),
        "cases.detections": _T("检测结果", "Detections"),
        "cases.opened": _T("立案线索时间", "Opened"),
        "cases.operator": _T("运营者", "Operator"),
        "cases.case": _T("案件 {number}", "Case {number}"),
        "cases.measures": _T("调查认定", "Measures established"),
        "cases.works_count": _T("作品数", "Works"),
        "cases.copies_count": _T("侵权副本", "Copies"),
        "cases.clicks": _T("点击量", "Clicks"),
        "cases.paid_members": _T("付费会员", "Paid members"),
        "cases.illegal_gains": _T("违法所得（元）", "Illegal gains (yuan)"),
        "cases.business_volume": _T("非法经营额（元）", "Business volume (yuan)"),
        "cases.decision": _T("处罚", "Decision"),
        "cases.proposed": _T("拟处罚", "Proposed"),
        "cases.proposed_fine": _T("拟罚款（元）", "Proposed fine (yuan)"),
        "cases.served_at": _T("事先告知送达", "Advance notice served"),
        "cases.hearing_held_at": _T("听证时间", "Hearing held"),
        "cases.decided": _T("决定", "Decided"),
        "cases.fine": _T("罚款（元）", "Fine (yuan)"),
        "cases.decided_at": _T("决定时间", "Decided at"),
        "cases.referral": _T("移送/移交", "Referral"),
        "cases.closed_at": _T("结案时间", "Closed"),
        "cases.events": _T("办案记录", "Case file"),
        "cases.next": _T("下一步", "Next step"),
        "cases.move_to": _T("转入：{state}", "Move to: {state}"),
        "cases.move": _T("执行", "Move"),
        "cases.no_next": _T("案件已办结。", "The case is closed."),
        "cases.read_only": _T(
            "您可以查看此案件，但不能推进（仅案件承办人或管理员可以）。",
            "You may read this case but not move it (only its officers or an administrator).",
        ),
        "cases.measures_field": _T("处罚种类", "Measures"),
        "cases.fine_field": _T("罚款（元）", "Fine (yuan)"),
        "cases.served_field": _T("送达时间（UTC）", "Served at (UTC)"),
        "cases.hearing_field": _T("听证时间（UTC）", "Hearing held at (UTC)"),
        "cases.organ_field": _T("移送机关", "Receiving organ"),
        "cases.destination_field": _T("接收机关", "Receiving authority"),
        "cases.moved": _T("案件已转入：{state}", "The case moved to: {state}"),
        "cases.evidence": _T("下载案件证据包", "Download the case's evidence package"),
        "measure.warning": _T("警告", "Warning"),
        "measure.fine": _T("罚款", "Fine"),
        "measure.confiscation": _T("没收", "Confiscation"),
        "measure.shutdown": _T("关闭网站", "Shutdown"),
        "organ.public_security": _T("公安机关", "Public security"),
        "organ.judicial": _T("司法机关", "Judicial organ"),
        # Notices.
        "notices.title": _T("通知", "Notices"),
        "notices.kind": _T("类型", "Kind"),
        "notices.recipient": _T("接收方", "Recipient"),
        "notices.rights_holder": _T("权利人", "Rights holder"),
        "notices.sent_at": _T("发送时间", "Sent"),
        "notices.deadline": _T("整改期限", "Deadline"),
        "notices.detections": _T("涉及检测", "Detections"),
        "notices.case": _T("转立案件", "Case"),
        "notices.notice": _T("通知 #{id}", "Notice #{id}"),
        "notices.document": _T("通知全文", "The notice"),
        "notices.pdf": _T("下载 PDF", "Download PDF"),
        "notices.open_html": _T("在新窗口打开", "Open in a new window"),
        # Reports.
        "reports.title": _T("专项行动报告", "Campaign reports"),
        "reports.intro": _T(
            "选择期间后下载报告：网页版含图表，PDF 便于打印，CSV 便于统计。",
            "Choose a period and download: the web page has the charts, the PDF prints, the CSV "
            "goes into a spreadsheet.",
        ),
        "reports.html": _T("网页（HTML）", "Web page (HTML)"),
        "reports.pdf": _T("PDF", "PDF"),
        "reports.csv": _T("CSV", "CSV"),
        # Enumerations: case states, detection and notice statuses, kinds.
        "case_state.lead": _T("线索", "Lead"),
        "case_state.screening": _T("初查", "Screening"),
        "case_state.filed": _T("立案", "Filed"),
        "case_state.investigating": _T("调查取证", "Investigating"),
        "case_state.advance_notice": _T("事先告知", "Advance notice"),
        "case_state.statement_window": _T("陈述申辩", "Statement window"),
        "case_state.hearing": _T("听证", "Hearing"),
        "case_state.decided": _T("作出决定", "Decided"),
        "case_state.enforcing": _T("执行", "Enforcing"),
        "case_state.closed": _T("结案", "Closed"),
        "case_state.rejected": _T("不予立案", "Rejected"),
        "case_state.transferred": _T("移交", "Transferred"),
        "case_state.closed_no_penalty": _T("不予处罚结案", "Closed without penalty"),
        "case_state.referred": _T("移送司法", "Referred"),
        "detection_status.detected": _T("已检出", "Detected"),
        "detection_status.in_review": _T("待审核", "In review"),
        "detection_status.false_positive": _T("误报", "False positive"),
        "detection_status.licensed": _T("已授权", "Licensed"),
        "detection_status.confirmed": _T("确认侵权", "Confirmed"),
        "notice_status.draft": _T("草稿", "Draft"),
        "notice_status.sent": _T("已发送", "Sent"),
        "notice_status.removed_verified": _T("已核实删除", "Removal verified"),
        "notice_status.counter_noticed": _T("已反通知", "Counter-noticed"),
        "notice_status.non_compliant": _T("未整改", "Not complied with"),
        "notice_kind.takedown": _T("删除通知", "Takedown"),
        "notice_kind.warning": _T("预警通知", "Warning"),
        "site_status.active": _T("监测中", "Active"),
        "site_status.paused": _T("已暂停", "Paused"),
        "site_status.shut_down": _T("已关闭", "Shut down"),
        "site_kind.video": _T("视频", "Video"),
        "site_kind.music": _T("音乐", "Music"),
        "site_kind.literature": _T("文学", "Literature"),
        "site_kind.link": _T("链接", "Links"),
        "site_kind.cyberlocker": _T("网盘", "Cyberlocker"),
        "site_kind.live": _T("直播", "Live"),
        "site_kind.platform": _T("平台", "Platform"),
        "work_kind.film": _T("电影", "Film"),
        "work_kind.tv_series": _T("电视剧", "TV series"),
        "work_kind.variety": _T("综艺", "Variety"),
        "work_kind.music": _T("音乐", "Music"),
        "work_kind.literature": _T("文学", "Literature"),
        "work_kind.live_event": _T("直播赛事", "Live event"),
        "artefact.keyframe": _T("盗版画面", "Still of the copy"),
        "artefact.reference_keyframe": _T("参考画面", "Still of the reference"),
        "artefact.excerpt": _T("盗版片段", "Excerpt of the copy"),
        "artefact.reference_excerpt": _T("参考片段", "Excerpt of the reference"),
        "artefact.page": _T("页面源码", "Page as fetched"),
        "artefact.headers": _T("HTTP 交互", "HTTP exchange"),
        "artefact.screenshot": _T("页面截图", "Page screenshot"),
    }
)

ENUM_PREFIXES: Final = (
    "case_state",
    "detection_status",
    "notice_status",
    "notice_kind",
    "site_status",
    "site_kind",
    "work_kind",
    "role",
)
"""Groups of labels named by a record's value (``case_state.filed``)."""


def pick_locale(*candidates: str | None) -> Locale:
    """The first supported language among ``candidates`` (the user's own choice, then the
    browser's cookie), else Chinese."""
    for candidate in candidates:
        if candidate == "en":
            return "en"
        if candidate == "zh-CN":
            return "zh-CN"
    return DEFAULT_LOCALE


def t(key: str, locale: str, **values: object) -> str:
    """The label ``key`` in ``locale``, with ``{name}`` fields filled from ``values``.

    ``KeyError`` for an unknown key: a missing label is a bug to catch, not a blank to show."""
    text = MESSAGES[key].get(locale)
    return text.format(**values) if values else text


def label(group: str, value: object, locale: str) -> str:
    """The label of a record's value in ``group`` (``label("case_state", "filed", "en")``);
    an unforeseen value shows as itself rather than failing the whole page."""
    text = MESSAGES.get(f"{group}.{value}")
    return text.get(locale) if text is not None else str(value)


def translator(locale: str) -> Callable[..., str]:
    """``t`` bound to one language, as templates call it: ``t("nav.cases")``."""

    def bound(key: str, **values: object) -> str:
        return t(key, locale, **values)

    return bound
