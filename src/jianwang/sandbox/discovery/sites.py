"""The sandbox's sites (link sites, forum, torrent index, shop, news, the moving pirate site)
and the world built from them."""

from __future__ import annotations

import logging
import random
from html import escape

from jianwang.sandbox.discovery.content import (
    _ANNOUNCE_MARK,
    _ANNOUNCEMENTS,
    _COMMON_WORD_CUED,
    _DISCLAIMER,
    _JUNK,
    _JUNK_LATIN,
    _POSITIVE_FORMS,
    _PROVIDERS,
    _REVIEWS,
    _STYLES,
    DECOYS,
    WORKS,
    _Builder,
    _chunks,
    _fake_hash,
    _Item,
    _Page,
    _pager,
    _size_text,
    _Style,
    build_torrent,
)
from jianwang.sandbox.discovery.key import (
    FORUM,
    LINKS_A,
    LINKS_B,
    NEW,
    NEWS,
    OLD,
    SHOP,
    TORRENT_TYPE,
    TORRENTS,
    Contact,
    DiscoverySite,
    DiscoveryWorld,
    DomainHop,
    SiteFile,
    TorrentFile,
    WorkKind,
    _token,
)

log = logging.getLogger(__name__)

# --- the sites -----------------------------------------------------------------------------------


def _link_site(b: _Builder, style: _Style, items: list[_Item], *, farm: bool) -> None:
    """Paginated post lists; each post links a share (and sometimes a magnet)."""
    posts = {item.text: f"/post/{100 + n}.html" for n, item in enumerate(items)}
    pages = _chunks(items, 6)
    for number, chunk in enumerate(pages, start=1):
        page = _Page(b, style, "/" if number == 1 else f"/page/{number}.html")
        rows = "".join(
            f"<li>{page.link(posts[i.text], i)} <span class=date>2024-0{1 + k % 9}-1{k}</span></li>"
            for k, i in enumerate(chunk)
        )
        today = ""
        if number == 1:
            latest = "".join(f"<li>{page.spot('listing', i)}</li>" for i in items[:5])
            today = f'<section class="today"><h3>今日更新</h3><ul>{latest}</ul></section>'
        farm_link = '<p><a href="/links.html">更多站点</a></p>' if farm else ""
        pager = _pager(len(pages), number, "/page/{n}.html")
        body = f'<ul class="posts">{rows}</ul>{pager}{today}{farm_link}'
        page.finish(f"最新资源 第{number}页", body)
    for n, item in enumerate(items):
        page = _Page(b, style, posts[item.text])
        downloads = page.share(_PROVIDERS[n % len(_PROVIDERS)], item.work, variant=n)
        if n % 4 == 1:
            info_hash = _fake_hash(b, style.name, item.text)
            downloads += f"<p>{page.magnet(info_hash, item.text)}</p>"
        others = [items[(n + k) % len(items)] for k in (1, 2, 3, 5)]
        related = "".join(f"<li>{page.link(posts[o.text], o)}</li>" for o in others)
        body = (
            f"<article><h1>{page.spot('heading', item)}</h1><p>{_DISCLAIMER}</p>"
            f'<div class="downloads">{downloads}</div></article>'
            f'<section class="related"><h3>相关推荐</h3><ul>{related}</ul></section>'
        )
        page.finish(item, body)
    if farm:
        page = _Page(b, style, "/links.html")
        rng = random.Random(f"farm:{b.seed}")
        junk = []
        for n in range(300):
            words = rng.sample(_JUNK, 3) if n % 3 else [*rng.sample(_JUNK_LATIN, 2), "2024"]
            text = f"{''.join(words) if n % 3 else ' '.join(words)} {n:03d}"
            href = f"https://junk-{rng.randrange(10**5)}.example/"
            junk.append(f"<li>{page.link(href, _Item(text, None, None, 'link-farm'))}</li>")
        page.finish("站点大全", f'<ul class="farm">{"".join(junk)}</ul>')


def _forum(b: _Builder, style: _Style, items: list[_Item], reviews: list[_Item]) -> None:
    """Discuz-like boards: resource threads with shares and magnets, talk threads with reviews."""
    threads: list[tuple[int, _Item, int]] = []  # (tid, item, board)
    for n, item in enumerate(items):
        threads.append((1000 + 7 * n, item, 2))
    for n, item in enumerate(reviews):
        threads.append((2000 + 11 * n, item, 3))
    for board, name in ((2, "资源分享"), (3, "影视交流")):
        mine = [(tid, item) for tid, item, bd in threads if bd == board]
        pages = [mine[i : i + 6] for i in range(0, len(mine), 6)]
        for number, chunk in enumerate(pages, start=1):
            page = _Page(b, style, f"/forum-{board}-{number}.html")
            rows = "".join(
                f"<tr><th>{page.link(f'/thread-{tid}-1-1.html', item)}</th>"
                f"<td>会员{tid % 97}</td><td>{tid % 50 + 3}</td></tr>"
                for tid, item in chunk
            )
            pager = " ".join(
                f'<a href="/forum-{board}-{k}.html">{k}</a>' for k in range(1, len(pages) + 1)
            )
            body = f"<h2>{name}</h2><table>{rows}</table><div class=pager>{pager}</div>"
            page.finish(f"{name} 第{number}页", body)
    index = _Page(b, style, "/")
    latest = "".join(
        f"<li>{index.link(f'/thread-{t}-1-1.html', i)}</li>" for t, i, _ in threads[:5]
    )
    index.finish(
        "首页",
        '<ul class="boards"><li><a href="/forum-2-1.html">资源分享</a></li>'
        '<li><a href="/forum-3-1.html">影视交流</a></li></ul>'
        f"<section><h3>最新主题</h3><ul>{latest}</ul></section>",
    )
    replies = ("感谢楼主分享！", "链接失效了，求补档", "已保存，谢谢", "顶一个", "画质很好")
    for n, (tid, item, board) in enumerate(threads):
        page = _Page(b, style, f"/thread-{tid}-1-1.html")
        first = f"<p>{_DISCLAIMER}</p>" if board == 2 else "<p>个人观后感，欢迎讨论。</p>"
        if board == 2:
            first += page.share(_PROVIDERS[(n + 2) % len(_PROVIDERS)], item.work, variant=n + 1)
            if n % 3 == 0:
                info_hash = _fake_hash(b, "forum", item.text)
                first += f"<p>备用：{page.magnet(info_hash, item.text, base32=n == 3)}</p>"
        posts = "".join(
            f'<div class="post"><span class="author">会员{(tid + k) % 89}</span>'
            f"<p>{escape(replies[(n + k) % len(replies)])}</p></div>"
            for k in range(3)
        )
        body = f'<h1>{page.spot("heading", item)}</h1><div class="post first">{first}</div>{posts}'
        page.finish(item, body)


def _torrent_specs() -> list[tuple[str | None, str, list[str], str]]:
    """(work, torrent name, file names, note); a single file is named like the torrent."""

    def eps(template: str, count: int) -> list[str]:
        return [template.format(n=n) for n in range(1, count + 1)]

    film = "Star.Sea.Odyssey.2023.1080p.WEB-DL.H264.AAC-JWG.mkv"
    lantern = "The.Iron.Lantern.2022.1080p.BluRay.x264-JWG.mkv"
    harbor = "玻璃港湾.Glass.Harbor.2021.2160p.WEB-DL.mkv"
    wuye = "Midnight.Conductor.2020.1080p.WEBRip.mkv"
    home = "Home.2019.1080p.WEB-DL.x264.mkv"
    voyagers = "Star.Sea.Voyagers.2022.1080p.WEB-DL.mkv"
    homeward = "Homeward.Lights.2018.720p.HDTV.mkv"
    orchard = "Silent.Orchard.2021.2160p.BluRay.mkv"
    return [
        ("xinghai", film, [film], "scene"),
        ("xinghai", "[ＳＳＯ] 星海迷航 2023 2160p HDR 中英双字",
         ["星海迷航.2023.2160p.HDR.mkv", "星海迷航.2023.2160p.HDR.chs.srt"], "fullwidth"),
        ("xueluo", "雪落長安.全40集.2160p.WEB-DL.H265",
         eps("雪落長安.E{n:02d}.2160p.WEB-DL.H265.mkv", 40), "traditional"),
        ("shanhe", "山河长歌.S01E01-E08.1080p.WEB-DL",
         eps("山河长歌.S01E{n:02d}.1080p.WEB-DL.mkv", 8), "plain"),
        ("qingyu", "QYZX 青屿之夏 全24集 1080P",
         eps("QYZX.E{n:02d}.1080P.mp4", 24), "abbreviation"),
        ("yunjin", "雲錦傳.EP01-EP12.1080P", eps("雲錦傳.EP{n:02d}.1080P.mp4", 12), "traditional"),
        ("lantern", lantern, [lantern], "scene"),
        ("harbor", harbor, [harbor], "alias"),
        ("wuye", wuye, [wuye], "english"),
        ("moshang", "墨上寒山.全集.精校TXT",
         ["墨上寒山.全集.精校.txt", "墨上寒山.全集.epub"], "plain"),
        ("yeguang", "夜光信笺.Luminous.Letters.2022.FLAC.全集",
         eps("夜光信笺.{n:02d}.无损.flac", 10), "plain"),
        ("home", home, [home], "scene"),
        ("jia", "【家】全集 精校版 TXT", ["【家】全集精校版.txt"], "bracket"),
        (None, voyagers, [voyagers], "decoy"),
        (None, "雪落江南.全30集.1080P.WEB-DL", eps("雪落江南.E{n:02d}.1080P.mp4", 30), "decoy"),
        (None, homeward, [homeward], "common-word"),
        (None, orchard, [orchard], "decoy"),
    ]  # fmt: skip


def _file_size(rng: random.Random, name: str) -> int:
    if name.endswith((".srt", ".epub")):
        return rng.randrange(40_000, 900_000)
    if name.endswith(".txt"):
        return rng.randrange(1_000_000, 4_000_000)
    if name.endswith(".flac"):
        return rng.randrange(20_000_000, 45_000_000)
    if any(tag in name for tag in ("E0", "E1", "E2", "E3", "EP")):
        return rng.randrange(450_000_000, 950_000_000)
    return rng.randrange(1_300_000_000, 4_800_000_000)


def _torrent_site(b: _Builder, style: _Style) -> None:
    """A listing of torrents, detail pages with file lists, and the ``.torrent`` files."""
    specs = _torrent_specs()
    b.rng.shuffle(specs)
    rows: list[tuple[int, _Item, str, int]] = []  # (number, item, info-hash, total)
    for number, (work, name, names, note) in enumerate(specs, start=1):
        files = [(f, _file_size(b.rng, f)) for f in names]
        meta, info_hash = build_torrent(name, files, f"{b.seed}:{name}")
        b.files[style.name][f"/download/{number}.torrent"] = SiteFile(meta, TORRENT_TYPE)
        total = sum(size for _, size in files)
        paths = (f"/download/{number}.torrent", f"/torrent/{number}.html")
        b.torrents.append(
            TorrentFile(style.name, *paths, info_hash, name, total, len(files), tuple(files), work)
        )
        item = _Item(name, work, work, note)
        rows.append((number, item, info_hash, total))
        page = _Page(b, style, f"/torrent/{number}.html")
        shown = files[:6]
        listing = "".join(
            f"<li>{page.spot('listing', item.retitled(f'{path} ({_size_text(size)})'))}</li>"
            for path, size in shown
        )
        more = f"<p>…… 共{len(files)}个文件</p>" if len(files) > len(shown) else ""
        body = (
            f"<h1>{page.spot('heading', item)}</h1>"
            f"<p>大小：{_size_text(total)}　文件数：{len(files)}　哈希：{info_hash}</p>"
            f'<p><a href="/download/{number}.torrent">下载种子</a> '
            f"{page.magnet(info_hash, name)}</p>"
            f'<ul class="files">{listing}</ul>{more}'
        )
        page.finish(item.retitled(f"{name} 种子下载 磁力链接"), body)
    pages = [rows[i : i + 8] for i in range(0, len(rows), 8)]
    for number, chunk in enumerate(pages, start=1):
        page = _Page(b, style, "/" if number == 1 else f"/browse/{number}.html")
        table = "".join(
            f'<tr><td class="name">{page.link(f"/torrent/{n}.html", item)}</td>'
            f"<td>{_size_text(total)}</td>"
            f'<td><a href="/download/{n}.torrent">种子</a> {page.magnet(h, item.text)}</td></tr>'
            for n, item, h, total in chunk
        )
        pager = _pager(len(pages), number, "/browse/{n}.html")
        page.finish(f"最新种子 第{number}页", f"<table>{table}</table>{pager}")


def _shop(b: _Builder, style: _Style, items: list[_Item]) -> None:
    """Products that sell downloads: price, 网盘发货, a pay page and a contact page."""
    prices = [
        f"¥{b.rng.choice((5, 8, 9, 12, 15, 19, 29))}.{b.rng.choice((0, 8, 9))}0" for _ in items
    ]
    index = _Page(b, style, "/")
    products = "".join(
        f"<li>{index.link(f'/item/{n}.html', item)} <span class=price>{prices[n - 1]}</span></li>"
        for n, item in enumerate(items, start=1)
    )
    ranked = [
        i.retitled(f"{i.text} {prices[n]} 已售{97 * n + 13}") for n, i in enumerate(items[:6])
    ]
    rank = "".join(f"<li>{index.spot('listing', item)}</li>" for item in ranked)
    index.finish(
        "全店商品",
        f'<ul class="products">{products}</ul><h3>热销排行</h3><ol class="rank">{rank}</ol>'
        '<p><a href="/contact.html">联系客服</a></p>',
    )
    for n, item in enumerate(items, start=1):
        page = _Page(b, style, f"/item/{n}.html")
        body = (
            f"<h1>{page.spot('heading', item)}</h1><p class=price>{prices[n - 1]}</p>"
            "<p>网盘发货，拍下后自动发送链接，永久有效，失效包补。</p>"
            '<p><a href="/pay.html">立即购买</a></p>'
        )
        page.finish(item, body)
    pay = _Page(b, style, "/pay.html")
    b.payment_pages.append((style.name, "/pay.html"))
    b.contacts.append(Contact(style.name, "/pay.html", "telegram", "yyxp_shop", "t.me/yyxp_shop"))
    pay.finish(
        "订单支付",
        "<h2>订单支付</h2><p>支持 支付宝 / 微信支付 扫码付款，付款后请联系客服发货。</p>"
        '<form><input name="order"><button>确认付款</button></form><p>售后：t.me/yyxp_shop</p>',
    )
    contact = _Page(b, style, "/contact.html")
    b.contacts.append(
        Contact(
            style.name, "/contact.html", "email", "yyxp.service@163.com", "yyxp.service@163.com"
        )
    )
    contact.finish("联系我们", "<p>售后邮箱：yyxp.service@163.com（工作日24小时内回复）</p>")


def _video_site(b: _Builder, style: _Style, items: list[_Item]) -> None:
    """The pirate video site; old and new addresses render the same items the same way."""
    pages = _chunks(items, 8)

    def sidebar(page: _Page) -> str:
        links = [page.link(f"/video/{k + 1}.html", items[k]) for k in range(min(6, len(items)))]
        return f"<aside><h3>热播</h3><ul>{''.join(f'<li>{x}</li>' for x in links)}</ul></aside>"

    for number, chunk in enumerate(pages, start=1):
        page = _Page(b, style, "/" if number == 1 else f"/list/{number}.html")
        offset = (number - 1) * 8
        cards = "".join(
            f'<li class="card">{page.link(f"/video/{offset + k + 1}.html", item)}<em>HD</em></li>'
            for k, item in enumerate(chunk)
        )
        pager = _pager(len(pages), number, "/list/{n}.html")
        page.finish("最新影视 免费观看", f'<ul class="grid">{cards}</ul>{pager}{sidebar(page)}')
    for n, item in enumerate(items, start=1):
        page = _Page(b, style, f"/video/{n}.html")
        buttons = "".join(f'<a href="/video/{n}.html">第{k:02d}集</a>' for k in range(1, 7))
        body = (
            f"<h1>{page.spot('heading', item)}</h1>"
            f'<div id="player" data-vid="{n}">播放器加载中…</div>'
            f'<div class="episodes">{buttons}</div>'
            '<p>线路1 线路2 <a href="/vip.html">开通VIP 去广告</a></p>'
            f"{sidebar(page)}"
        )
        page.finish(item, body)
    notice = _Page(b, style, "/notice.html")
    notice.finish("网站公告", "<h2>网站公告</h2><ul><li>本站永久免费，请勿相信收费信息</li></ul>")
    vip = _Page(b, style, "/vip.html")
    b.payment_pages.append((style.name, "/vip.html"))
    vip.finish(
        "开通VIP",
        "<h2>开通VIP 免广告 抢先看</h2><ul><li>月卡 ¥15</li><li>季卡 ¥38</li><li>年卡 ¥98</li>"
        "</ul><p>支付宝 / 微信支付 扫码开通</p>",
    )
    app = _Page(b, style, "/app.html")
    app.finish("APP下载", '<h2>迅影APP</h2><p><a href="/app.html">安卓版</a> iOS版即将上线</p>')


def _news(b: _Builder, style: _Style, reviews: list[_Item]) -> None:
    """Reviews and news: every spot names a work and none offers it."""
    index = _Page(b, style, "/")
    rows = "".join(
        f"<li>{index.link(f'/article/{n}.html', item)}</li>" for n, item in enumerate(reviews, 1)
    )
    index.finish("娱乐新闻", f'<ul class="articles">{rows}</ul>')
    for n, item in enumerate(reviews, start=1):
        page = _Page(b, style, f"/article/{n}.html")
        body = (
            f"<article><h1>{page.spot('heading', item)}</h1>"
            "<p>本文为原创内容，观点仅代表作者本人。</p><p>编辑：娱乐快讯</p></article>"
        )
        page.finish(item, body)


# --- the world -----------------------------------------------------------------------------------


def _deal(b: _Builder) -> dict[str, list[_Item]]:
    """Place each positive form, look-alike and common-word line on one of the post sites."""
    works = {w.key: w for w in WORKS}
    flavours = {LINKS_A: "links", LINKS_B: "links", FORUM: "forum", SHOP: "shop", OLD: "video"}
    order = list(flavours)
    dealt: dict[str, list[_Item]] = {site: [] for site in order}

    def target(kind: WorkKind) -> str:
        fits = [s for s in order if s != OLD or kind in ("film", "tv_series")]
        return min(fits, key=lambda s: (len(dealt[s]), order.index(s)))

    forms = list(_POSITIVE_FORMS)
    b.rng.shuffle(forms)
    for key, dodge in forms:
        site = target(works[key].kind)
        dealt[site].append(b.item(works[key], dodge, flavours[site]))
    decoys = list(DECOYS)
    b.rng.shuffle(decoys)
    for decoy in decoys:
        site = target(decoy.kind)
        dodge = b.rng.choice(("plain", "plain", "spaced", "bracket", "traditional"))
        dealt[site].append(b.item(decoy, dodge, flavours[site], note="decoy"))
    for n, text in enumerate(_COMMON_WORD_CUED):
        dealt[order[n % len(order)]].append(_Item(text, None, None, "common-word"))
    for site in order:
        b.rng.shuffle(dealt[site])
    return dealt


def build_discovery_world(seed: int = 2026) -> DiscoveryWorld:
    """Build every site and its answer key; the same seed gives the same bytes and key."""
    b = _Builder(seed)
    dealt = _deal(b)
    reviews = [_Item(text, None, key, "no-cue") for key, text in _REVIEWS]
    _link_site(b, _STYLES[LINKS_A], dealt[LINKS_A], farm=True)
    _link_site(b, _STYLES[LINKS_B], dealt[LINKS_B], farm=False)
    _forum(b, _STYLES[FORUM], dealt[FORUM], reviews[::3])
    _torrent_site(b, _STYLES[TORRENTS])
    _shop(b, _STYLES[SHOP], dealt[SHOP])
    _video_site(b, _STYLES[OLD], dealt[OLD])
    _video_site(b, _STYLES[NEW], dealt[OLD])
    _news(b, _STYLES[NEWS], [r for n, r in enumerate(reviews) if n % 3])
    sites = []
    for name, style in _STYLES.items():
        files = {
            path: SiteFile(f.body.replace(_ANNOUNCE_MARK, ""), f.content_type)
            if isinstance(f.body, str)
            else f
            for path, f in b.files[name].items()
        }
        site = DiscoverySite(
            name, style.title, style.kind, files, first_phase=2 if name == NEW else 1
        )
        if name == OLD:
            for note in _ANNOUNCEMENTS:
                page = b.files[name][note.path]
                assert isinstance(page.body, str)
                banner = escape(
                    note.template.replace("{port}", _token(note.form, NEW)), quote=False
                )
                body = page.body.replace(
                    _ANNOUNCE_MARK, f'<div class="gonggao"><strong>公告</strong> {banner}</div>'
                )
                site.phase_2_files[note.path] = SiteFile(body, page.content_type)
        sites.append(site)
    world = DiscoveryWorld(
        seed=seed,
        works=list(WORKS),
        decoys=[d.title for d in DECOYS],
        sites=sites,
        title_spots=list(b.spots.values()),
        share_links=b.share_links,
        magnets=b.magnets,
        torrents=sorted(b.torrents, key=lambda t: t.path),
        domain_hops=[DomainHop(OLD, NEW, _ANNOUNCEMENTS)],
        icp_numbers=b.icp,
        psb_numbers=b.psb,
        contacts=b.contacts,
        ads=b.ads,
        payment_pages=b.payment_pages,
    )
    log.info(
        "discovery world seed %d: %d sites, %d spots (%d positive), %d torrents, %d shares",
        seed,
        len(sites),
        len(world.title_spots),
        len(world.positive_spots()),
        len(world.torrents),
        len(world.share_links),
    )
    return world
