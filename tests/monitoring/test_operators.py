"""Operator facts: filing numbers, contacts, money and advertising, from realistic pages."""

from __future__ import annotations

import time

import pytest

from jianwang.monitoring.operators import (
    MAX_FINDINGS,
    AdNetwork,
    Handle,
    find_emails,
    find_handles,
    find_icp_numbers,
    find_operator_facts,
    find_psb_numbers,
    page_lines,
    parse_html,
)

URL = "http://127.0.0.1:8020/"

PIRATE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>免费影院 - 最新电影</title>
<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=ca-pub-1"></script>
<script src="/static/js/gg/top.js"></script>
<script>var cpro_id = "u1234567";
  (window.slotbydup = window.slotbydup || []).push({id: "u1"});</script>
<script>document.write('<span>沪ICP备13001234号-2</span>');</script>
</head><body>
<div class="header"><a href="/">首页</a> <a href="/user/login">会员登录</a>
  <a href="/index.php/user/upgrade.html">开通VIP</a> <a href="/index.php/user/buy.html">充值积分</a>
  <a href="/vod/play/id/1.html">播放</a> <a href="https://qr.alipay.com/fkx123">打赏站长</a></div>
<div class="ad-slot top"><ins class="adsbygoogle" data-ad-slot="1"></ins></div>
<div id="gg_1"><a href="https://promo.example/go">
  <img src="/upload/gg/banner.gif" alt="广告"></a></div>
<iframe src="https://a.exosrv.com/iframe.php?idzone=1" width="300"></iframe>
<div class="content"><p>本站所有影片均来自互联网。VIP会员免广告，包月仅需10元，年卡更优惠，
支持支付宝、微信支付、USDT(TRC20)充值。</p></div>
<div class="contact">
  <p>联系邮箱：admin [at] freemovie [dot] com，投诉请发 service#freemovie.com（#换成@）</p>
  <p>客服QQ：123456789 官方QQ群：987654321 商务微信：movie_kefu01 电话：13800138000</p>
  <p>TG：@freemovie_cn 或 <a href="https://t.me/freemovie_channel">Telegram频道</a></p>
  <p><a href="mailto:boss@FreeMovie.example?subject=ads">广告合作</a>
     <a href="tencent://message/?uin=11223344&amp;Site=x">在线客服</a></p>
</div>
<footer>Copyright © 2024 免费影院
  <a href="https://beian.miit.gov.cn/" target="_blank">京ICP备12345678号-1</a>
  <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010502030123">
    <img src="/img/ga.png">京公网安备 11010502030123号</a>
  增值电信业务经营许可证：京B2-20090059
</footer></body></html>"""


def test_a_pirate_page_yields_its_operator_facts() -> None:
    facts = find_operator_facts(PIRATE_PAGE.encode(), URL)
    assert facts.icp_numbers == ["京ICP备12345678号-1", "京B2-20090059", "沪ICP备13001234号-2"]
    assert facts.psb_numbers == ["京公网安备11010502030123号"]
    assert facts.emails == [
        "admin@freemovie.com",
        "service@freemovie.com",
        "boss@freemovie.example",
    ]
    assert facts.handles == [
        Handle("qq", "123456789"),
        Handle("qq_group", "987654321"),
        Handle("wechat", "movie_kefu01"),
        Handle("telegram", "freemovie_cn"),
        Handle("telegram", "freemovie_channel"),
        Handle("qq", "11223344"),
    ]
    assert facts.payment_cues == ["充值", "打赏", "支付宝", "微信支付", "USDT", "TRC20"]
    assert facts.membership_cues == ["会员", "开通VIP", "积分", "VIP", "包月", "年卡"]
    assert facts.payment_urls == [
        "http://127.0.0.1:8020/index.php/user/buy.html",
        "https://qr.alipay.com/fkx123",
    ]
    assert facts.membership_urls == ["http://127.0.0.1:8020/index.php/user/upgrade.html"]
    assert [n.name for n in facts.ad_networks] == [
        "Google AdSense",
        "generic ad script",
        "Baidu Union",
        "ExoClick",
    ]
    assert facts.ad_networks[0] == AdNetwork(
        "Google AdSense",
        "https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=ca-pub-1",
    )
    assert facts.ad_networks[1].evidence == "http://127.0.0.1:8020/static/js/gg/top.js"
    assert facts.ad_slots == 3  # the ad-slot div (its <ins> inside not counted again), gg_1, iframe


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("京ICP备12345678号", ["京ICP备12345678号"]),
        ("京ICP备12345678号-1", ["京ICP备12345678号-1"]),
        ("粤ICP备2021012345号-3", ["粤ICP备2021012345号-3"]),
        ("ICP备案号：浙ICP备 09109183 号 - 5", ["浙ICP备09109183号-5"]),
        ("京ICP备12345678-1号", ["京ICP备12345678号-1"]),
        ("京ICP备12345678", ["京ICP备12345678号"]),
        ("京icp备12345678号", ["京ICP备12345678号"]),
        ("京ＩＣＰ备１２３４５６７８号－２", ["京ICP备12345678号-2"]),
        ("京ICP備12345678號", ["京ICP备12345678号"]),
        ("滬ICP備12345678號—1", ["沪ICP备12345678号-1"]),
        ("粤ICP证030173号", ["粤ICP证030173号"]),
        ("京ICP证B2-20090059", ["京B2-20090059"]),
        ("ICP经营许可证 京B2-20090059", ["京B2-20090059"]),
        ("京ICP备12345678号 京ICP证000007号 京ICP备12345678号", ["京ICP备12345678号", "京ICP证000007号"]),  # noqa: E501
        ("蜀ICP备05001234号-2", ["蜀ICP备05001234号-2"]),  # Sichuan's other mark
        ("中ICP备12345678号", []),  # not a provincial mark
        ("本站ICP备案正在办理中", []),
        ("ICP filing pending; see ICP rules", []),
        ("京ICP备1234号", []),  # too short to be a filing number
        ("京ICP备12345678901234号", []),  # too long
        ("京B2-20090059", []),  # not labelled as the ICP licence
    ],
)  # fmt: skip
def test_icp_number_forms(text: str, numbers: list[str]) -> None:
    assert find_icp_numbers(text) == numbers


def test_public_security_filing_numbers() -> None:
    assert find_psb_numbers("京公网安备 11010502030123号") == ["京公网安备11010502030123号"]
    assert find_psb_numbers("粤公網安備44030502008569號") == ["粤公网安备44030502008569号"]
    assert find_psb_numbers("公安备案号：44030502008569") == ["粤公网安备44030502008569号"]
    assert find_psb_numbers("公网安备 3101040200 号") == []  # not 14 digits
    assert find_psb_numbers("订单号 11010502030123") == []


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("联系：admin@example.com", ["admin@example.com"]),
        ("Mail: Admin.Name+tag@Sub.Example.CN.", ["Admin.Name+tag@sub.example.cn"]),
        ("admin [at] example [dot] com", ["admin@example.com"]),
        ("admin(at)example.com", ["admin@example.com"]),
        ("admin＠example．com", ["admin@example.com"]),
        ("邮箱：kefu#example.com", ["kefu@example.com"]),
        ("kefu#example.com（请把#换成@）", ["kefu@example.com"]),
        ("第#example.com 无提示", []),
        ("see issue abc#example.com", []),
        ("<img src=logo@2x.png> icon@3x.webp", []),
        ("user@localhost", []),
    ],
)
def test_email_forms(text: str, emails: list[str]) -> None:
    assert find_emails(text) == emails


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("QQ：12345678", [Handle("qq", "12345678")]),
        ("客服qq 12345678", [Handle("qq", "12345678")]),
        ("QQ号码:1234567890", [Handle("qq", "1234567890")]),
        ("扣扣：12345678", [Handle("qq", "12345678")]),
        ("QQ群：12345678", [Handle("qq_group", "12345678")]),
        ("加入QQ交流群 12345678", [Handle("qq_group", "12345678")]),
        ("群号：12345678", [Handle("qq_group", "12345678")]),
        ("微信/QQ同号：12345678", [Handle("qq", "12345678"), Handle("wechat", "12345678")]),
        ("微信：abc_123456", [Handle("wechat", "abc_123456")]),
        ("加微信 movie2024", [Handle("wechat", "movie2024")]),
        ("微信号：13800138000", [Handle("wechat", "13800138000")]),
        ("VX：kefu_007", [Handle("wechat", "kefu_007")]),
        ("v信 abc12345", [Handle("wechat", "abc12345")]),
        ("关注公众号：「影视大全」获取最新地址", [Handle("wechat_official", "影视大全")]),
        ("TG: @pirate_movies", [Handle("telegram", "pirate_movies")]),
        ("电报群：@pirategroup", [Handle("telegram", "pirategroup")]),
        ("t.me/pirate_channel", [Handle("telegram", "pirate_channel")]),
        ("https://t.me/+AbCdEf123456", [Handle("telegram", "+AbCdEf123456")]),
        ("电话：13800138000 手机 13912345678", []),  # a phone number is not a QQ number
        ("订单 123456789 已支付", []),
        ("支持微信支付和微信扫码", []),
        ("Telegram is great, WeChat official account", []),
        ("QQ音乐 12345678", []),
        ("qq.com/12345678", []),
    ],
)
def test_messenger_handles(text: str, handles: list[Handle]) -> None:
    assert find_handles(text) == handles


def test_cues_need_their_words() -> None:
    facts = find_operator_facts(
        "<p>Payment by PayPal. A VIPER is a snake; vipassana is not VIP. 会员登录</p>", URL
    )
    assert facts.payment_cues == ["payment", "PayPal"]
    assert facts.membership_cues == ["VIP", "会员"]
    plain = find_operator_facts("<p>Welcome to our blog about films.</p>", URL)
    assert plain.payment_cues == plain.membership_cues == []
    assert plain.ad_networks == [] and plain.ad_slots == 0


def test_ad_markers_and_slots() -> None:
    html = """<html><head>
    <link rel="preconnect" href="https://securepubads.g.doubleclick.net">
    <script>(function(){var s=document.createElement('script');
      s.src='//cdn.popads.net/pop.js';})()</script>
    <script src="/js/admin.js"></script><script src="/js/ads_top.js"></script>
    </head><body>
    <div class="header"><div class="loader">not an ad</div></div>
    <div class="ad1"><div class="ad-inner"><iframe src="https://x.taboola.com/f"></iframe></div></div>
    <div id="guanggao"></div><aside class="sponsored">s</aside>
    <img src="https://aax.amazon-adsystem.com/e/x.gif">
    </body></html>"""
    facts = find_operator_facts(html, URL)
    assert [n.name for n in facts.ad_networks] == [
        "Google Ad Manager",
        "PopAds",
        "generic ad script",
        "Taboola",
        "Amazon Ads",
    ]
    assert facts.ad_networks[1].evidence == "inline script: popads.net"
    assert facts.ad_networks[2].evidence == "http://127.0.0.1:8020/js/ads_top.js"
    assert facts.ad_slots == 4  # ad1 (with its inner div and frame), guanggao, sponsored, the img


def test_page_lines_keep_links_where_they_stand() -> None:
    root = parse_html("<p>链接：<a href='/x'>点<b>这里</b></a> 提取码 abcd<br>第二行</p>", URL)
    assert root is not None
    lines = page_lines(root, URL)
    assert [line.text for line in lines] == ["链接：点这里 提取码 abcd", "第二行"]
    (anchor,) = lines[0].anchors
    assert (anchor.href, anchor.url, anchor.text, anchor.start) == ("/x", URL + "x", "点这里", 3)


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"   ",
        "",
        b"\x00\x01\x02\xff" * 1000,
        "<<<<>>>>",
        "<html><body>" + "<div>" * 100_000 + "京ICP备12345678号" + "</div>" * 100_000,
        "<p>" + "x" * 20_000_000 + "</p><footer>京ICP备12345678号</footer>",
        "<div " + " ".join(f'a{i}="{i}"' for i in range(200_000)) + ">京ICP备12345678号</div>",
        "<p>" + " " * 3_000_000 + "QQ" + " " * 3_000_000 + "</p>",
        "".join(
            f"<p>QQ：{10000 + i} 京ICP备{10000000 + i}号 a{i}@x.com</p>" for i in range(50_000)
        ),
        '<?xml version="1.0" encoding="gbk"?><p>京ICP备12345678号</p>',
    ],
)
def test_hostile_pages_are_read_in_bounded_time(html: bytes | str) -> None:
    started = time.monotonic()
    facts = find_operator_facts(html, URL)
    assert time.monotonic() - started < 15
    assert len(facts.icp_numbers) <= MAX_FINDINGS and len(facts.handles) <= MAX_FINDINGS
    assert len(facts.emails) <= MAX_FINDINGS
    if "京ICP备12345678号".encode() in (html if isinstance(html, bytes) else html.encode()):
        assert facts.icp_numbers == ["京ICP备12345678号"]  # even where parsing loses it


def test_pages_in_gbk() -> None:
    html = '<meta charset="gbk"><p>京ICP备12345678号 客服QQ：12345678</p>'.encode("gbk")
    facts = find_operator_facts(html, URL)
    assert facts.icp_numbers == ["京ICP备12345678号"]
    assert facts.handles == [Handle("qq", "12345678")]
    undeclared = find_operator_facts("<p>粤公网安备 44030502008569号</p>".encode("gbk"), URL)
    assert undeclared.psb_numbers == ["粤公网安备44030502008569号"]


def test_filing_register_links_count_without_the_text() -> None:
    html = """<footer>
    <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=44030502008569">
      <img src="/ga.png" alt="备案图标"></a>
    <a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502030123">公安备案</a>
    <a href="https://evil.example/?recordcode=31010402001234">x</a></footer>"""
    facts = find_operator_facts(html, URL)
    assert facts.psb_numbers == ["粤公网安备44030502008569号", "京公网安备11010502030123号"]
