"""The report's own CJK font: Noto Sans CJK SC, subset to what a page uses and embedded.

A machine without a Chinese font draws every Chinese string of a report (the
title, sub-districts, targets, 亿元) as empty boxes. So the package ships one
open-licensed font, Noto Sans CJK SC Regular (SIL Open Font License 1.1,
``fonts/OFL.txt``), already cut down to GB 2312 (7,445 characters: every
hanzi and symbol of the standard) plus Latin, general punctuation, arrows and
the CJK and full-width punctuation blocks: ``fonts/NotoSansCJKsc-Regular-
gb2312.woff2``, about 2.0 MB (``fonts/README.md`` says where it comes from and
how it was made, :func:`build_subset`). Each page embeds only the glyphs of its
own text (:func:`font_face_css`: subset again with fontTools when the page is
written, WOFF2 in a ``data:`` URL), typically 20–120 kB, so a report stays one
small offline file. Matplotlib figures (a sweep's ``pareto.png``, the
notebook's maps) use the same font (:func:`use_in_matplotlib`).

>>> FAMILY
'Siting Noto Sans SC'
>>> missing_characters("回天 25.0亿元 ≥ 85%")
''
>>> css = font_face_css("回天")
>>> css.startswith("@font-face{font-family:'Siting Noto Sans SC';src:url(data:font/woff2;base64,")
True
>>> font_face_css("回天") == css  # the same text gives the same bytes
True
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import sys
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

#: The CSS family name of the embedded face (matplotlib knows it by its own name).
FAMILY = "Siting Noto Sans SC"
#: The shipped pre-subset (package data).
FONT_FILE = "NotoSansCJKsc-Regular-gb2312.woff2"
#: Layout features kept: kerning, ligatures, language forms, proportional CJK punctuation.
FEATURES = ["kern", "liga", "locl", "palt"]
#: Characters always embedded: printable ASCII (numbers and Latin words change per page).
ASCII = "".join(map(chr, range(0x20, 0x7F)))


def font_bytes() -> bytes:
    """The shipped font file (WOFF2)."""
    return _font_bytes()


@functools.cache
def _font_bytes() -> bytes:
    return files("siting.report").joinpath("fonts", FONT_FILE).read_bytes()


def _open(data: bytes) -> Any:
    from fontTools.ttLib import TTFont

    # recalcTimestamp=False: the same text gives the same bytes (no "modified" date)
    return TTFont(io.BytesIO(data), recalcTimestamp=False)


@functools.cache
def covered_codepoints() -> frozenset[int]:
    """Every code point the shipped font draws."""
    return frozenset(_open(font_bytes()).getBestCmap())


def missing_characters(text: str) -> str:
    """The characters of ``text`` the font cannot draw (in order, once each; no spaces)."""
    have = covered_codepoints()
    return "".join(dict.fromkeys(c for c in text if ord(c) not in have and not c.isspace()))


@functools.lru_cache(maxsize=16)
def subset_woff2(text: str) -> bytes:
    """The font cut down to the characters of ``text`` (plus ASCII), as WOFF2 bytes."""
    from fontTools import subset

    font = _open(font_bytes())
    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.layout_features = FEATURES
    options.name_IDs = ["*"]  # keep the copyright and licence entries (OFL)
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) | set(ASCII))))
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out)
    return out.getvalue()


def font_face_css(text: str) -> str:
    """An ``@font-face`` rule embedding the glyphs of ``text`` as a WOFF2 ``data:`` URL."""
    data = base64.b64encode(subset_woff2(text)).decode("ascii")
    return (
        f"@font-face{{font-family:'{FAMILY}';src:url(data:font/woff2;base64,{data}) "
        "format('woff2');font-weight:400 700;font-style:normal;font-display:block}"
    )


# ------------------------------------------------------------- matplotlib
def font_file() -> Path:
    """The shipped font as an OpenType file on disk (for matplotlib, which reads no WOFF2).

    Written once into the temporary folder, named by a hash of its bytes.
    """
    data = font_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"siting-font-{digest}.otf"
    if not path.is_file():
        font = _open(data)
        font.flavor = None
        tmp = path.with_name(f".{path.name}.{id(font)}.tmp")
        font.save(str(tmp))
        tmp.replace(path)
    return path


@functools.cache
def matplotlib_font() -> str:
    """Register the font with matplotlib (once per process); returns its family name."""
    from matplotlib import font_manager

    path = font_file()
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def use_in_matplotlib(*figures: Any) -> str:
    """Make the font matplotlib's default family (set again on every call: other code may
    have changed ``rcParams`` since); returns its name.

    Latin and digits come from the same face, so a figure reads the same on any machine.
    A text takes its font when it is made, so the figures that exist already (those pyplot
    holds open, and any ``figures`` given) have their texts set too: calling this after
    ``plt.subplots()`` works as well as before.
    """
    import matplotlib
    from matplotlib.text import Text

    name = matplotlib_font()
    family = [name, "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = family
    matplotlib.rcParams["axes.unicode_minus"] = False
    shown = list(figures)
    if "matplotlib.pyplot" in sys.modules:  # never import pyplot here: it picks a backend
        from matplotlib._pylab_helpers import Gcf

        shown += [m.canvas.figure for m in Gcf.get_all_fig_managers()]
    for fig in dict.fromkeys(shown):
        for text in fig.findobj(Text):
            text.set_fontfamily(family)
    return name


# ------------------------------------------------------------ provenance
def gb2312_characters() -> str:
    """Every character of GB 2312 (rows 0xA1–0xF7, cells 0xA1–0xFE), in code order."""
    chars = []
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def subset_codepoints() -> set[int]:
    """What the shipped pre-subset holds: GB 2312, Latin, punctuation, arrows, CJK symbols."""
    ranges = [
        (0x20, 0x7F),  # ASCII
        (0xA0, 0x180),  # Latin-1 and Latin Extended-A
        (0x2000, 0x2070),  # general punctuation (– — · …), super- and subscripts
        (0x2190, 0x2200),  # arrows
        (0x3000, 0x3040),  # CJK symbols and punctuation
        (0xFF00, 0xFF66),  # full-width forms
    ]
    extra = "²³−≤≥≈≠×÷±∞℃№™①■□●○▲△"
    points = {ord(c) for c in gb2312_characters()} | {ord(c) for c in extra}
    for start, stop in ranges:
        points.update(range(start, stop))
    return points


def build_subset(source: str | Path, out: str | Path, face: int = 2) -> Path:
    """Make the shipped pre-subset from Noto Sans CJK (``NotoSansCJK-Regular.ttc``, face 2
    is SC, as in Debian's ``fonts-noto-cjk``), written as WOFF2 (takes about a minute)."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection, TTFont

    path = Path(source)
    font = (
        TTCollection(str(path)).fonts[face]
        if path.suffix.lower() == ".ttc"
        else TTFont(str(path), recalcTimestamp=False)
    )
    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False
    options.layout_features = [*FEATURES, "vert", "vrt2"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(subset_codepoints()))
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(str(out))
    return Path(out)


if __name__ == "__main__":  # python -m siting.report.fonts NotoSansCJK-Regular.ttc OUT.woff2
    print(build_subset(sys.argv[1], sys.argv[2]))
