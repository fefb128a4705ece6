"""Local stand-ins for the outside world, so the product can be demonstrated and tested offline.

The sandbox sites serve works (pages, files, HLS and live HLS) on 127.0.0.1: given files, or the
deterministic music, video and prose of ``jianwang.media.synth`` that the demo protects and
pirates. The sandbox depends only on the media layer.
"""
