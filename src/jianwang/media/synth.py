"""Deterministic synthetic works: music, video and prose made from a seed.

Jianwang ships no corpus, yet its demo, sandbox, signal examples, tests and benchmarks need works
that behave like real ones under fingerprinting: music with tempo, harmony, melody and drums;
video with textured, moving scenes and cuts; prose that reads like words. Everything comes from
``numpy.random.default_rng(seed)``, so a seed names a work exactly: the same seed gives
bit-identical output, and different seeds give works that share no fingerprintable passage.

The generators live in the media layer, the lowest layer that every user of them may import (the
sandbox may import only ``media``; ``signals`` needs them for ``examples()``), so there is one
implementation of each. ``synth_video`` writes files through ``jianwang.media.encode``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from scipy import signal

from jianwang.media.encode import write_video

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------------------- music

_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
_PEAK = 0.8
_BASS_HARM = np.array([1.0, 0.5, 0.25])


def _midi_hz(note: float) -> float:
    return float(440.0 * 2.0 ** ((note - 69.0) / 12.0))


def _tone(
    freq: float,
    length: int,
    sample_rate: int,
    harmonics: np.ndarray,
    *,
    attack_s: float,
    decay_s: float,
) -> np.ndarray:
    """A note with a few harmonics under an attack / exponential-decay / release envelope."""
    t = np.arange(length) / sample_rate
    wave = np.zeros(length)
    for k, amp in enumerate(harmonics, start=1):
        if freq * k < sample_rate / 2:
            wave += amp * np.sin(2 * np.pi * freq * k * t)
    env = np.minimum(1.0, t / attack_s) * np.exp(-t / decay_s)
    release = min(length, int(0.03 * sample_rate))
    env[length - release :] *= np.linspace(1.0, 0.0, release)
    return wave * env


def _drum_kit(rng: np.random.Generator, sample_rate: int) -> tuple[np.ndarray, ...]:
    """Kick (falling sine sweep), snare (band-passed noise and a tone) and hi-hat (high noise)."""
    # Every timbre parameter is drawn from the seed: two songs never share a drum sound, as two
    # real productions rarely share an identical kit, tuning and mix.
    n = int(0.35 * sample_rate)
    t = np.arange(n) / sample_rate
    top, bottom = rng.uniform(90, 200), rng.uniform(38, 70)
    sweep = bottom + (top - bottom) * np.exp(-t / rng.uniform(0.02, 0.07))
    kick = np.sin(2 * np.pi * np.cumsum(sweep) / sample_rate) * np.exp(-t / rng.uniform(0.07, 0.2))
    low = rng.uniform(700, 2000)
    band = [low, min(low * rng.uniform(2.0, 4.5), 0.45 * sample_rate)]
    b, a = signal.butter(2, band, btype="bandpass", fs=sample_rate)
    noise = signal.lfilter(b, a, rng.standard_normal(n))
    body = rng.uniform(0.2, 0.7) * np.sin(2 * np.pi * rng.uniform(150, 260) * t)
    snare = (1.5 * noise + body) * np.exp(-t / rng.uniform(0.04, 0.12))
    cutoff = min(rng.uniform(5000, 9000), 0.4 * sample_rate)
    b, a = signal.butter(2, cutoff, btype="highpass", fs=sample_rate)
    hat = signal.lfilter(b, a, rng.standard_normal(n)) * np.exp(-t / rng.uniform(0.01, 0.04))
    return kick, snare, hat


def _add(out: np.ndarray, at: int, sound: np.ndarray, gain: float) -> None:
    end = min(out.size, at + sound.size)
    if at < end:
        out[at:end] += gain * sound[: end - at]


def synth_music(seed: int, seconds: float, *, sample_rate: int = 22050) -> np.ndarray:
    """A piece of music: drums, bass, chord pads and a melody that changes every bar.

    Tempo, key, mode, chord progression, timbres and drum pattern all come from the seed, and
    the melody and drum fills are drawn afresh for each bar, so any excerpt has one position in
    the piece and two seeds never sound alike. Mono float32, peak 0.8.
    """
    rng = np.random.default_rng(seed)
    n = max(1, round(seconds * sample_rate))
    bpm = rng.uniform(78, 150)
    beat = 60.0 / bpm
    bar = 4 * beat
    root = 45 + int(rng.integers(0, 12))
    scale = _MAJOR if rng.random() < 0.5 else _MINOR
    progression = [0, *rng.choice([1, 2, 3, 4, 5], size=3, replace=True).tolist()]
    lead_harm = rng.uniform(0.05, 0.6, size=5) ** np.arange(1, 6)
    pad_harm = 1.0 / np.arange(1, 7) * rng.uniform(0.5, 1.0, size=6)
    kick, snare, hat = _drum_kit(rng, sample_rate)
    kick_steps = rng.random(16) < 0.25
    kick_steps[[0, 8]] = True
    hat_every = int(rng.choice([1, 2]))
    melody = np.zeros(n)
    harmony = np.zeros(n)
    drums = np.zeros(n)
    degree = int(rng.integers(0, 7))

    def note_at(deg: int, octave: int) -> int:
        return root + 12 * (octave + deg // 7) + scale[deg % 7]

    for index in range(int(np.ceil(seconds / bar))):
        bar_start = index * bar
        chord = progression[index % len(progression)]
        # Pad and bass: the chord's triad for the whole bar, the root on a seeded rhythm.
        pad_len = int((bar + 0.1) * sample_rate)
        at = round(bar_start * sample_rate)
        for step in (0, 2, 4):
            freq = _midi_hz(note_at(chord + step, 1))
            _add(
                harmony,
                at,
                _tone(freq, pad_len, sample_rate, pad_harm, attack_s=0.25, decay_s=3.0),
                0.12,
            )
        bass_freq = _midi_hz(note_at(chord, -1))
        for b in range(4):
            if b in (0, 2) or rng.random() < 0.4:
                length = int(beat * sample_rate)
                at_b = round((bar_start + b * beat) * sample_rate)
                bass = _tone(bass_freq, length, sample_rate, _BASS_HARM, attack_s=0.01, decay_s=0.3)
                _add(harmony, at_b, bass, 0.35)
        # Melody: a random walk over the scale, pulled towards the chord, new rhythm each bar.
        t = 0.0
        while t < 4 * beat - 1e-9:
            dur = beat * float(rng.choice([0.25, 0.5, 0.5, 1.0, 1.0, 1.5, 2.0]))
            dur = min(dur, 4 * beat - t)
            degree += int(rng.choice([-2, -1, -1, 0, 1, 1, 2, 3, -3]))
            if rng.random() < 0.3:
                degree = chord + int(rng.choice([0, 2, 4, 7]))
            degree = int(np.clip(degree, 0, 13))
            if rng.random() > 0.1:
                freq = _midi_hz(note_at(degree, 2))
                length = int((dur + 0.05) * sample_rate)
                decay = rng.uniform(0.15, 0.6)
                note = _tone(freq, length, sample_rate, lead_harm, attack_s=0.008, decay_s=decay)
                _add(melody, round((bar_start + t) * sample_rate), note, rng.uniform(0.6, 1.0))
            t += dur
        # Drums on a 16-step grid, with a seeded fill now and then.
        fill = rng.random() < 0.2
        for step in range(16):
            at_s = round((bar_start + step * beat / 4) * sample_rate)
            velocity = rng.uniform(0.75, 1.0)
            if kick_steps[step] or (fill and step >= 12 and rng.random() < 0.5):
                _add(drums, at_s, kick, 0.9 * velocity)
            if step in (4, 12) or (fill and step >= 12 and step % 2 == 1):
                _add(drums, at_s, snare, 0.5 * velocity)
            if step % hat_every == 0:
                _add(drums, at_s, hat, 0.25 * velocity)
    mix = 0.5 * melody + harmony + rng.uniform(0.35, 0.65) * drums
    peak = float(np.max(np.abs(mix)))
    if peak > 0:
        mix *= _PEAK / peak
    return mix.astype(np.float32)


# ----------------------------------------------------------------------------------------- video


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth random field in [0, 1]: coarse noise upsampled, plus a random gradient."""
    cells_y, cells_x = int(rng.integers(3, 7)), int(rng.integers(3, 9))
    coarse = rng.random((cells_y + 1, cells_x + 1))
    ys = np.linspace(0, cells_y, height)
    xs = np.linspace(0, cells_x, width)
    y0 = np.minimum(ys.astype(int), cells_y - 1)
    x0 = np.minimum(xs.astype(int), cells_x - 1)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    field = top * (1 - fy) + bottom * fy
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (
        np.cos(angle) * np.linspace(-1, 1, width)[None, :]
        + np.sin(angle) * np.linspace(-1, 1, height)[:, None]
    )
    field = 0.6 * field + 0.4 * (ramp + 1) / 2
    low, high = field.min(), field.max()
    return (field - low) / max(high - low, 1e-9)


class _Scene:
    """One shot: a textured background panned by the camera and shapes moving across it."""

    def __init__(self, rng: np.random.Generator, width: int, height: int, fps: float) -> None:
        self.width, self.height = width, height
        margin = int(0.5 * max(width, height))
        self.canvas_h, self.canvas_w = height + margin, width + margin
        field = _texture(rng, self.canvas_h, self.canvas_w)
        dark, light = rng.integers(0, 90, size=3), rng.integers(150, 256, size=3)
        canvas = dark + field[:, :, None] * (light - dark)
        self.canvas = canvas.astype(np.uint8)
        self.pan = rng.uniform(-1, 1, size=2) * margin / (10 * fps)
        self.origin = rng.uniform(0, margin, size=2)
        count = int(rng.integers(3, 7))
        scale = min(width, height)
        self.shapes = [
            (
                bool(rng.random() < 0.5),
                rng.uniform(0.06, 0.18) * scale,
                rng.uniform(0, 1, size=2) * (width, height),
                rng.uniform(-1, 1, size=2) * scale / (4 * fps),
                rng.integers(0, 256, size=3).astype(np.uint8),
            )
            for _ in range(count)
        ]

    def frame(self, index: int) -> np.ndarray:
        margin_y, margin_x = self.canvas_h - self.height, self.canvas_w - self.width
        x0, y0 = self.origin + index * self.pan
        x = int(abs((x0 % (2 * margin_x)) - margin_x)) if margin_x else 0
        y = int(abs((y0 % (2 * margin_y)) - margin_y)) if margin_y else 0
        image = self.canvas[y : y + self.height, x : x + self.width].copy()
        for round_shape, radius, start, velocity, colour in self.shapes:
            cx, cy = (start + index * velocity) % (self.width, self.height)
            r = int(radius)
            top, bottom = max(0, int(cy) - r), min(self.height, int(cy) + r + 1)
            left, right = max(0, int(cx) - r), min(self.width, int(cx) + r + 1)
            if top >= bottom or left >= right:
                continue
            if round_shape:
                yy = np.arange(top, bottom)[:, None] - cy
                xx = np.arange(left, right)[None, :] - cx
                mask = yy * yy + xx * xx <= radius * radius
                image[top:bottom, left:right][mask] = colour
            else:
                image[top:bottom, left:right] = colour
        return image


def synth_video_frames(
    seed: int, seconds: float, *, fps: float = 25.0, size: tuple[int, int] = (320, 240)
) -> Iterator[np.ndarray]:
    """``(H, W, 3)`` uint8 frames of ``size`` = (width, height): scenes of 2.5 to 5 seconds.

    Each scene has its own textured, panned background and coloured shapes in motion, so scenes
    and seeds differ even as 32x32 grey thumbnails (what perceptual hashes see).
    """
    rng = np.random.default_rng(seed)
    width, height = size
    total = max(1, round(seconds * fps))
    produced = 0
    while produced < total:
        length = min(total - produced, round(rng.uniform(2.5, 5.0) * fps))
        scene = _Scene(rng, width, height, fps)
        for index in range(length):
            yield scene.frame(index)
        produced += length


def synth_video(
    path: Path,
    seed: int,
    seconds: float,
    *,
    fps: float = 25.0,
    size: tuple[int, int] = (320, 240),
    with_audio: bool = True,
) -> Path:
    """Write an H.264 mp4 of ``synth_video_frames``, with ``synth_music(seed + 1000)`` as AAC."""
    audio_rate = 22050
    audio = synth_music(seed + 1000, seconds, sample_rate=audio_rate) if with_audio else None
    frames = synth_video_frames(seed, seconds, fps=fps, size=size)
    return write_video(path, frames, fps, audio=audio, audio_rate=audio_rate)


# ----------------------------------------------------------------------------------------- prose


def _words(text: str) -> list[str]:
    return text.split()


_EN_NOUNS = _words(
    """
river window lantern letter garden harbour bridge tower kettle mirror orchard cellar village
meadow storm candle ribbon saddle compass ledger cottage forest valley mountain island carriage
chapel market doorway staircase blanket basket hammer needle violin painting journal pocket
shadow whisper promise secret fortune stranger soldier merchant farmer teacher sailor widow
doctor baker blacksmith priest thief captain servant daughter brother cousin neighbour traveller
horse raven sparrow wolf lamb mule heron fox badger moth beetle oak willow birch thistle ivy
rose barley wheat apple pear plum honey bread cheese wine salt pepper copper silver iron glass
stone timber canvas velvet linen paper ink wax rope chain lock key gate fence wall roof chimney
hearth oven table chair bench bed cradle coffin boat oar anchor sail mast wheel cart plough
clock bell drum flute map coin purse ring crown sword shield spear arrow helmet boot glove scarf
cloak hat collar button thread quilt pillow curtain lamp fire smoke ash frost snow rain fog
dawn dusk noon midnight season harvest winter summer autumn spring festival funeral wedding
quarrel bargain journey errand rumour verdict sermon ballad riddle lesson wound fever remedy
"""
)
_EN_PREPOSITIONS = _words("beside beneath behind across toward inside near past along above below")
_EN_SAYING = _words("said whispered asked muttered replied called answered insisted admitted")
_ONSETS = _words("b br c cl d dr f fr g gl h j k kr l m n p pr qu r s st t tr v w y z th sh")
_NUCLEI = _words("a e i o u a e i o ai ou")
_CODAS = ["", "", "n", "r", "l", "s", "th", "m"]

_ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_ZH_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰春梅建国文辉鹏飞云峰婷雪琳晨"
    "宇浩然子轩思雨欣怡佳俊志远海波宁安和顺德仁义礼智信"
)
_ZH_NOUNS = _words(
    """
河流 窗户 灯笼 书信 花园 码头 石桥 高塔 茶壶 镜子 果园 地窖 村庄 草地 风暴 蜡烛 丝带 马鞍 罗盘
账本 小屋 森林 山谷 高山 海岛 马车 祠堂 集市 门口 楼梯 毯子 篮子 锤子 针线 琵琶 画卷 日记 口袋
影子 誓言 秘密 命运 陌生人 士兵 商人 农夫 先生 水手 寡妇 郎中 铁匠 和尚 小偷 船长 仆人 女儿
兄弟 表妹 邻居 旅人 骏马 乌鸦 麻雀 野狼 羊羔 白鹭 狐狸 橡树 柳树 桃花 稻米 小麦 苹果 梨子
蜂蜜 馒头 米酒 铜钱 银子 铁链 玻璃 石头 木头 绸缎 纸张 墨水 绳子 锁头 钥匙 城门 篱笆 屋顶
烟囱 火炉 桌子 椅子 板凳 床铺 摇篮 小船 船桨 船帆 车轮 犁头 钟声 鼓声 笛子 地图 钱袋 戒指
宝剑 盾牌 长枪 箭矢 头盔 靴子 斗篷 帽子 纽扣 枕头 帘子 油灯 火光 烟雾 寒霜 大雪 细雨 浓雾
黎明 黄昏 正午 半夜 季节 收成 冬天 夏天 秋天 春天 庙会 婚礼 争吵 买卖 旅途 差事 传言 判决
"""
)
_ZH_ADJECTIVES = _words(
    """
安静 弯曲 金色 狭窄 遥远 古老 不安 苦涩 温柔 空荡 疲倦 急切 脆弱 耐心 倔强 欢快 庄严 泥泞
冰冷 闪亮 褪色 生锈 寂静 拥挤 空旷 聪明 愚蠢 谦虚 骄傲 诚实 紧张 勇敢 胆小 阴沉 活泼 饥饿
孤独 小心 结实 沉重 苗条 宽阔 明亮 昏暗 苍白 鲜红 翠绿 灰暗 潮湿 干燥 温暖 香甜 酸涩 芬芳
成熟 粗糙 光滑 锋利 迟钝 迅速 隐秘 破旧 神圣 普通 奇怪 熟悉 陌生 慷慨 贪婪 焦虑 忠诚 鲁莽
"""
)
_ZH_VERBS = _words(
    """
拿起 打开 关上 折好 画下 修好 埋下 找到 丢了 数了 量了 擦亮 收集 撒下 借来 还回 卖掉 买下
藏起 看着 跟着 守着 寻找 发现 忽略 回答 追问 记起 忘记 称赞 咒骂 拖着 举起 放下 推开 拉住
爬上 穿过 绕过 走进 离开 抛下 拜访 烧掉 晒干 磨快 包好 系紧 锁上 抄写 签下 撕碎 封好 送去
偷走 救出 提醒 问候 感谢 怀疑 相信 害怕 羡慕 可怜 雕刻 种下 收割 蒸熟 尝了 闻到
"""
)
_ZH_ADVERBS = _words(
    "慢慢地 匆匆地 悄悄地 轻轻地 忽然 小心地 高兴地 难过地"
    " 疲惫地 大胆地 平静地 默默地 终于 几乎 偷偷地 骄傲地"
)
_ZH_PLACES = _words(
    "城东 河边 山脚 镇上 渡口 庙前 院子里 集市上 树林里 桥头 井边 田埂上 船上 屋后 巷口 岸边"
)
_ZH_SAYING = _words("说 低声说 问 嘟囔着 回答 喊道 坚持说 承认")


def _pick(rng: np.random.Generator, words: list[str]) -> str:
    return words[int(rng.integers(0, len(words)))]


def _invented_name(rng: np.random.Generator) -> str:
    """A pronounceable word of two or three syllables (about 2 000 syllables to draw from)."""
    syllables = (
        _pick(rng, _ONSETS) + _pick(rng, _NUCLEI) + _pick(rng, _CODAS)
        for _ in range(int(rng.integers(2, 4)))
    )
    return "".join(syllables).capitalize()


class _Lexicon:
    """One seed's English vocabulary: invented words with English endings, plus common nouns.

    A fixed list of real adjectives and verbs makes two seeds share 20-character runs such as
    "patiently stole the "; so, as in "Jabberwocky", each seed invents its own verbs,
    adjectives, things, cast and places, and only short glue ("the", "of", "beside") and a few
    common nouns are real. Any 20-character window then holds invented letters.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        def coin(count: int, endings: tuple[str, ...]) -> list[str]:
            return [_invented_name(rng).lower() + _pick(rng, list(endings)) for _ in range(count)]

        self.adjectives = coin(60, ("ous", "ish", "y", "en", "ful", "less", "ant", "ic"))
        self.verbs = coin(60, ("ed", "ed", "ted", "ened", "ished"))
        self.adverbs = [word + "ly" for word in coin(20, ("ous", "ful", "ish", "ant"))]
        self.cast = [_invented_name(rng) for _ in range(8)]
        self.places = [_invented_name(rng) for _ in range(6)]
        self.things = coin(120, ("",))


def _en_phrase(rng: np.random.Generator, lex: _Lexicon) -> str:
    """A noun phrase: an adjective and a thing, sometimes a common noun "of" a thing."""
    adjective = _pick(rng, lex.adjectives)
    if rng.random() < 0.25:
        return f"the {adjective} {_pick(rng, _EN_NOUNS)} of {_pick(rng, lex.things)}"
    return f"the {adjective} {_pick(rng, lex.things)}"


def _en_sentence(rng: np.random.Generator, lex: _Lexicon) -> str:
    who, other, place = _pick(rng, lex.cast), _pick(rng, lex.cast), _pick(rng, lex.places)

    def thing() -> str:
        return _en_phrase(rng, lex)

    def did() -> str:
        return _pick(rng, lex.verbs)

    def how() -> str:
        return _pick(rng, lex.adverbs)

    form = int(rng.integers(0, 6))
    if form == 0:
        text = f"{who} {did()} {thing()} {_pick(rng, _EN_PREPOSITIONS)} {thing()}."
    elif form == 1:
        text = f"{thing()} was {_pick(rng, lex.adjectives)}, so {who} {how()} {did()} {thing()}."
    elif form == 2:
        text = f'"{other}, {how()} {did()} {thing()}," {who} {_pick(rng, _EN_SAYING)}.'
    elif form == 3:
        text = f"At {place} {who} {how()} {did()} {thing()} as {other} {did()} {thing()}."
    elif form == 4:
        text = f"{who} and {other} {did()} {thing()} till {thing()} {did()} {thing()}."
    else:
        text = f"{place} {how()} {did()} {thing()} when {who} {did()} {thing()}."
    return text[0].upper() + text[1:]


def _zh_name(rng: np.random.Generator) -> str:
    given = "".join(_pick(rng, list(_ZH_GIVEN)) for _ in range(int(rng.integers(1, 3))))
    return _pick(rng, list(_ZH_SURNAMES)) + given


def _zh_sentence(rng: np.random.Generator, cast: list[str]) -> str:
    who, other = _pick(rng, cast), _pick(rng, cast)
    noun = f"{_pick(rng, _ZH_ADJECTIVES)}的{_pick(rng, _ZH_NOUNS)}"
    noun2 = f"{_pick(rng, _ZH_ADJECTIVES)}的{_pick(rng, _ZH_NOUNS)}"
    place = _pick(rng, _ZH_PLACES)
    form = int(rng.integers(0, 5))
    if form == 0:
        return f"{who}在{place}{_pick(rng, _ZH_ADVERBS)}{_pick(rng, _ZH_VERBS)}{noun}。"
    if form == 1:
        return f"{who}{_pick(rng, _ZH_VERBS)}{noun}，{other}却{_pick(rng, _ZH_VERBS)}{noun2}。"
    if form == 2:
        end = "！" if rng.random() < 0.5 else "？"
        said = _pick(rng, _ZH_SAYING)
        return f"“{other}，你{_pick(rng, _ZH_VERBS)}{noun}了{end}”{who}{said}。"
    if form == 3:
        how = f"{_pick(rng, _ZH_ADVERBS)}{_pick(rng, _ZH_VERBS)}"
        return (
            f"{place}的{_pick(rng, _ZH_NOUNS)}{_pick(rng, _ZH_ADJECTIVES)}极了，{who}{how}{noun2}。"
        )
    return (
        f"自从{who}{_pick(rng, _ZH_VERBS)}{noun}，{place}再没有人{_pick(rng, _ZH_VERBS)}过{noun2}。"
    )


def synth_prose(
    seed: int, *, lang: str = "en", n_chapters: int = 3, chapter_chars: int = 3000
) -> list[str]:
    """Novel chapters of about ``chapter_chars`` characters, paragraphs separated by blank lines.

    ``lang`` is "en" (sentences over an embedded vocabulary, with a cast and places invented per
    seed) or "zh" (common hanzi words with Chinese punctuation). Every slot of every sentence is
    drawn from the seed, so two seeds share no long passage for a text fingerprint to match.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    rng = np.random.default_rng(seed)
    sentence: Callable[[], str]
    if lang == "en":
        lexicon = _Lexicon(rng)
        sentence, joiner = (lambda: _en_sentence(rng, lexicon)), " "
    else:
        cast = [_zh_name(rng) for _ in range(8)]
        sentence, joiner = (lambda: _zh_sentence(rng, cast)), ""
    chapters: list[str] = []
    for _ in range(n_chapters):
        paragraphs: list[str] = []
        length = 0
        while length < chapter_chars:
            paragraph = joiner.join(sentence() for _ in range(int(rng.integers(2, 7))))
            paragraphs.append(paragraph)
            length += len(paragraph) + 2
        chapters.append("\n\n".join(paragraphs))
    return chapters
