"""Local stand-ins for the outside world, so the product can be demonstrated and tested offline.

``synth`` makes deterministic music, video and prose to protect and to pirate; the sandbox sites
serve them on 127.0.0.1. The sandbox depends only on the media layer.
"""
