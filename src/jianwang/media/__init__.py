"""The media layer: probe inputs and decode them into the canonical forms the signals use.

Audio becomes mono float32 PCM at one sample rate, video becomes small grey or RGB frames at a
chosen rate; both stream so that a feature film never sits in memory. Every av/FFmpeg failure
surfaces as ``MediaError`` (or ``DecodeTimeout``) naming the input. ``synth`` makes deterministic
music, video and prose, and the writers and transforms turn them into real media files, for the
sandbox, the demo, the signals' examples, the tests and the benchmarks.
"""

from jianwang.media.audio import decode_audio, iter_audio_blocks
from jianwang.media.encode import MediaWriter, write_audio, write_video
from jianwang.media.limits import Deadline, DecodeLimits
from jianwang.media.probe import MediaInfo, probe
from jianwang.media.transform import Transform, apply_transform, retimed_frames
from jianwang.media.video import Frame, decoded_frames, iter_frames

__all__ = [
    "Deadline",
    "DecodeLimits",
    "Frame",
    "MediaInfo",
    "MediaWriter",
    "Transform",
    "apply_transform",
    "decode_audio",
    "decoded_frames",
    "iter_audio_blocks",
    "iter_frames",
    "probe",
    "retimed_frames",
    "write_audio",
    "write_video",
]
