"""The character classes text is read by: Han ideographs, Chinese written without spaces, and what XML cannot hold."""

from __future__ import annotations

import re

# Han ideographs: the unified block, extension A, the compatibility block, and extensions B-H.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_CHARACTER = re.compile(f"[{HAN}]")
HAN_RUN = re.compile(f"[{HAN}]+")

# What Chinese text writes without spaces between: the ideographs with radicals, kana, CJK symbols
# and punctuation (U+2E80-U+9FFF), and full-width forms. Two pieces of such text join with no space.
UNSPACED_CHARACTER = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")

# What XML 1.0 cannot hold (controls other than tab and the line ends; the non-characters U+FFFE and
# U+FFFF): a model's English or a spreadsheet cell may hold one, and writing it breaks a segment file.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
