"""Compare the two OpenCC packages on PyPI: correctness on one-to-many cases, and speed.

Both install a module named `opencc`, so each goes to its own folder:
    pip install --target /tmp/occ-a opencc
    pip install --target /tmp/occ-b opencc-python-reimplemented
    python scripts/compare_opencc.py /tmp/occ-a
    python scripts/compare_opencc.py /tmp/occ-b
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
T2S = [("樂山", "乐山"), ("釩電池", "钒电池"), ("電池", "电池"), ("臺灣", "台湾"), ("颱風", "台风"), ("檯燈", "台灯"),
       ("乾燥", "干燥"), ("幹部", "干部"), ("乾隆", "乾隆"), ("頭髮", "头发"), ("發展", "发展"), ("著名", "著名"),
       ("裡面", "里面"), ("裏面", "里面"), ("爲了", "为了"), ("為了", "为了"), ("峯會", "峰会"), ("綫路", "线路"),
       ("後來", "后来"), ("皇后", "皇后"), ("鐘錶", "钟表"), ("一隻", "一只"), ("只有", "只有"), ("２０２５年", "２０２５年"),
       ("輕鬆", "轻松"), ("聯繫", "联系"), ("範圍", "范围"), ("著作", "著作"), ("乾坤", "乾坤")]
S2T = [("乐山", "樂山"), ("钒电池", "釩電池"), ("台湾", "臺灣"), ("台风", "颱風"), ("干部", "幹部"), ("干燥", "乾燥"),
       ("头发", "頭髮"), ("发展", "發展"), ("后来", "後來"), ("皇后", "皇后"), ("一只", "一隻"), ("只有", "只有"),
       ("里面", "裏面"), ("理发店", "理髮店"), ("干净", "乾淨"), ("系统", "系統"), ("联系", "聯繫"), ("关系", "關係"),
       ("钟表", "鐘錶"), ("范围", "範圍"), ("一台电脑", "一臺電腦"), ("轻松", "輕鬆")]


def main(folder: str) -> None:
    sys.path.insert(0, folder)
    start = time.perf_counter()
    import opencc

    imported = time.perf_counter()
    binding = hasattr(opencc, "CONFIGS") or Path(opencc.__file__).with_name("clib").exists()
    make = (lambda c: opencc.OpenCC(f"{c}.json")) if binding else opencc.OpenCC
    t2s, s2t = make("t2s"), make("s2t")
    loaded = time.perf_counter()
    wrong = [f"t2s {a} -> {t2s.convert(a)} (want {b})" for a, b in T2S if t2s.convert(a) != b]
    wrong += [f"s2t {a} -> {s2t.convert(a)} (want {b})" for a, b in S2T if s2t.convert(a) != b]
    text = (ROOT / "source" / "leshan-2024.zh.txt").read_text(encoding="utf-8")
    traditional = s2t.convert(text)
    rounds = 20
    t0 = time.perf_counter()
    for _ in range(rounds):
        t2s.convert(traditional)
    t1 = time.perf_counter()
    for _ in range(rounds):
        s2t.convert(text)
    t2 = time.perf_counter()
    for line in wrong:
        print("  ", line)
    print(f"{opencc.__file__}: import {1000 * (imported - start):.0f} ms, load {1000 * (loaded - imported):.0f} ms, "
          f"correct {len(T2S) + len(S2T) - len(wrong)}/{len(T2S) + len(S2T)}, "
          f"t2s {len(traditional) * rounds / (t1 - t0) / 1e6:.2f} M chars/s, s2t {len(text) * rounds / (t2 - t1) / 1e6:.2f} M chars/s")


if __name__ == "__main__":
    main(sys.argv[1])
