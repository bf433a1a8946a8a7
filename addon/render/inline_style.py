"""The part of a ``style`` attribute (and of ``<font color>``) that is kept.

Polar's editors colour text the way browsers' rich-text editing does:
Summernote writes ``<font color="#ff0000">`` or ``<span style="color:
rgb(255, 0, 0);">``, a highlight as ``<span style="background-color: …">``,
and pasted text brings ``font-weight``/``font-style``/``text-decoration``
as styles. A user's colour-coded cards mean something by those colours, so
the sanitiser keeps them — and nothing else of a style:

* ``color``, ``background-color`` (and ``background`` holding a colour
  alone): ``#rgb``/``#rgba``/``#rrggbb``/``#rrggbbaa``, ``rgb()``/``rgba()``,
  ``hsl()``/``hsla()`` (numbers only) and the CSS colour names;
* ``font-weight`` (``normal``, ``bold``, ``bolder``, ``lighter``, 100–900),
  ``font-style`` (``normal``, ``italic``, ``oblique``);
* ``text-decoration``/``text-decoration-line``: its ``underline`` and
  ``line-through`` only.

The output is never the input's text: each kept declaration is written anew
from the parsed value (``color:#ff0000``), so no ``url(``, ``expression``,
escape, comment or quote can pass, whatever the input holds.

**Night mode.** Anki's reviewer shows a field's colours as they are (its
night mode only inverts LaTeX images and drawings; its editor drops colours
pasted in night mode), so dark blue text is unreadable on Anki's night
background (#2c2c2c) and a yellow highlight under the night text colour
(#fcfcfc) as well. A colour that reads poorly in one theme (contrast under
3:1 against that theme's background, or a background under its text) gets a
variant for that theme, as near the written colour as reaches 4.5:1, through
CSS ``light-dark()`` after the written colour as fallback:
``color:#00008b;color:light-dark(#00008b,#8585ff)``. Anki sets
``color-scheme: dark`` in night mode, so Chromium ≥ 123 (Anki 26.09's Qt
WebEngine 6.11, AnkiDroid's system web view, Safari 17.5) picks the variant;
an older engine ignores that declaration. Anki 23.10 to 25.07 at least (Qt
WebEngine 6.6 to 6.8: Chromium 112 in 23.10.1 and 25.02.7, 122 in 25.07.5,
each checked) do not know ``light-dark()`` but know
``color-mix()`` (Chromium 111) and set ``color-scheme`` in night mode too,
so a declaration between the two serves them: a text colour mixed with
``CanvasText`` (black in light mode, white in night mode: the colour pulled
toward the theme's text colour), a background mixed with ``transparent`` (made
translucent over the theme's page), each by the least share that reads in
both themes: ``color:#00008b;color:color-mix(in srgb,#00008b 44%,CanvasText);
color:light-dark(#00008b,#8585ff)``. (Without it dark blue text and a yellow
highlight under white text were unreadable in their night mode.) An engine
older still (Chromium < 111) shows the colour as written, as before. A text
colour set together with a background in one style is a pair chosen to go
together and is kept as written.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Tuple

RGBA = Tuple[int, int, int, float]

# The CSS colour names (CSS Color 4), as their sRGB value.
_NAMES = (
    "aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc bisque:ffe4c4 "
    "black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a burlywood:deb887 "
    "cadetblue:5f9ea0 chartreuse:7fff00 chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc "
    "crimson:dc143c cyan:00ffff darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 "
    "darkgreen:006400 darkgrey:a9a9a9 darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 "
    "darkorchid:9932cc darkred:8b0000 darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b "
    "darkslategray:2f4f4f darkslategrey:2f4f4f darkturquoise:00ced1 darkviolet:9400d3 deeppink:ff1493 "
    "deepskyblue:00bfff dimgray:696969 dimgrey:696969 dodgerblue:1e90ff firebrick:b22222 floralwhite:fffaf0 "
    "forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 "
    "green:008000 greenyellow:adff2f grey:808080 honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082 "
    "ivory:fffff0 khaki:f0e68c lavender:e6e6fa lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd "
    "lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff lightgoldenrodyellow:fafad2 lightgray:d3d3d3 "
    "lightgreen:90ee90 lightgrey:d3d3d3 lightpink:ffb6c1 lightsalmon:ffa07a lightseagreen:20b2aa "
    "lightskyblue:87cefa lightslategray:778899 lightslategrey:778899 lightsteelblue:b0c4de lightyellow:ffffe0 "
    "lime:00ff00 limegreen:32cd32 linen:faf0e6 magenta:ff00ff maroon:800000 mediumaquamarine:66cdaa "
    "mediumblue:0000cd mediumorchid:ba55d3 mediumpurple:9370db mediumseagreen:3cb371 mediumslateblue:7b68ee "
    "mediumspringgreen:00fa9a mediumturquoise:48d1cc mediumvioletred:c71585 midnightblue:191970 mintcream:f5fffa "
    "mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080 oldlace:fdf5e6 olive:808000 olivedrab:6b8e23 "
    "orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa palegreen:98fb98 paleturquoise:afeeee "
    "palevioletred:db7093 papayawhip:ffefd5 peachpuff:ffdab9 peru:cd853f pink:ffc0cb plum:dda0dd powderblue:b0e0e6 "
    "purple:800080 rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f royalblue:4169e1 saddlebrown:8b4513 "
    "salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee sienna:a0522d silver:c0c0c0 skyblue:87ceeb "
    "slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa springgreen:00ff7f steelblue:4682b4 "
    "tan:d2b48c teal:008080 thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0 violet:ee82ee wheat:f5deb3 "
    "white:ffffff whitesmoke:f5f5f5 yellow:ffff00 yellowgreen:9acd32"
)
NAMED: Dict[str, str] = dict(pair.split(":") for pair in _NAMES.split())

_HEX = re.compile(r"#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})")
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
# rgb()/rgba()/hsl()/hsla(): three numbers (%, deg allowed where CSS allows
# them), then an optional alpha, by commas or by spaces and "/".
_FUNC = re.compile(
    rf"(rgba?|hsla?)\(\s*({_NUM})(%|deg)?\s*(?:,\s*|\s+)({_NUM})(%)?\s*(?:,\s*|\s+)({_NUM})(%)?"
    rf"\s*(?:[,/]\s*({_NUM})(%)?\s*)?\)"
)
_IMPORTANT = re.compile(r"\s*!\s*important\s*$")
_WEIGHTS = frozenset("normal bold bolder lighter 100 200 300 400 500 600 700 800 900".split())
_STYLES = frozenset(("normal", "italic", "oblique"))
_LINES = ("underline", "line-through")

# The two themes: Anki's card background and text colour in each
# (aqt/colors.py CANVAS/FG; a stock card is white in light mode).
_LIGHT_BG: RGBA = (255, 255, 255, 1.0)
_LIGHT_FG: RGBA = (2, 2, 2, 1.0)
_NIGHT_BG: RGBA = (44, 44, 44, 1.0)
_NIGHT_FG: RGBA = (252, 252, 252, 1.0)
READABLE = 3.0  # under this a colour gets a variant for the theme ...
TARGET = 4.5  # ... made readable to this (WCAG AA for text)


def parse_colour(value: str) -> Optional[RGBA]:
    """A CSS colour value as (r, g, b, alpha), or None (not a plain colour:
    ``transparent``, ``currentColor``, ``var()``, anything else)."""
    value = value.strip().lower()
    if not value:
        return None
    if value[0] == "#":
        m = _HEX.fullmatch(value)
        if m is None:
            return None
        digits = m.group(1)
        if len(digits) <= 4:
            digits = "".join(c + c for c in digits)
        alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha
    if value in NAMED:
        h = NAMED[value]
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0
    m = _FUNC.fullmatch(value)
    if m is None:
        return None
    kind, a, a_unit, b, b_unit, c, c_unit, alpha_text, alpha_pct = m.groups()
    try:
        alpha = 1.0 if alpha_text is None else float(alpha_text) / (100 if alpha_pct else 1)
        x, y, z = float(a), float(b), float(c)
    except (ValueError, OverflowError):
        return None
    if kind.startswith("rgb"):
        if a_unit == "deg":
            return None

        def channel(v: float, pct: Optional[str]) -> int:
            return round(min(255.0, max(0.0, v * 2.55 if pct else v)))

        r, g, bl = channel(x, a_unit), channel(y, b_unit), channel(z, c_unit)
    else:
        if a_unit == "%" or not (b_unit and c_unit):
            return None
        r, g, bl = _hsl(x % 360, min(100.0, max(0.0, y)) / 100, min(100.0, max(0.0, z)) / 100)
    return r, g, bl, min(1.0, max(0.0, alpha))


def _hsl(h: float, s: float, lightness: float) -> Tuple[int, int, int]:
    def f(n: float) -> int:
        k = (n + h / 30) % 12
        amount = s * min(lightness, 1 - lightness)
        return round(255 * (lightness - amount * max(-1.0, min(k - 3, 9 - k, 1.0))))

    return f(0), f(8), f(4)


def hex_of(c: RGBA) -> str:
    r, g, b, a = c
    text = f"#{r:02x}{g:02x}{b:02x}"
    return text if a >= 1 else text + f"{round(a * 255):02x}"


def _over(c: RGBA, bg: RGBA) -> RGBA:
    """``c`` composited over the opaque ``bg``."""
    r, g, b, a = c
    return (round(r * a + bg[0] * (1 - a)), round(g * a + bg[1] * (1 - a)), round(b * a + bg[2] * (1 - a)), 1.0)


def _luminance(c: RGBA) -> float:
    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])


def contrast(a: RGBA, b: RGBA) -> float:
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _to_hsl(c: RGBA) -> Tuple[float, float, float]:
    r, g, b = c[0] / 255, c[1] / 255, c[2] / 255
    hi, lo = max(r, g, b), min(r, g, b)
    lightness = (hi + lo) / 2
    if hi == lo:
        return 0.0, 0.0, lightness
    d = hi - lo
    s = d / (1 - abs(2 * lightness - 1))
    if hi == r:
        h = 60 * (((g - b) / d) % 6)
    elif hi == g:
        h = 60 * ((b - r) / d + 2)
    else:
        h = 60 * ((r - g) / d + 4)
    return h, s, lightness


def _readable(c: RGBA, against: RGBA, lighter: bool) -> RGBA:
    """``c`` (opaque) with its HSL lightness moved (up when ``lighter``)
    just enough to reach ``TARGET`` against ``against``: hue and saturation
    kept, so navy becomes a light blue, not a grey."""
    h, s, lightness = _to_hsl(c)
    lo, hi = (lightness, 1.0) if lighter else (0.0, lightness)
    for _ in range(12):  # the least change that reads: toward the written lightness
        mid = (lo + hi) / 2
        ok = contrast((*_hsl(h, s, mid), 1.0), against) >= TARGET
        if ok == lighter:
            hi = mid
        else:
            lo = mid
    return (*_hsl(h, s, hi if lighter else lo), 1.0)


def _text_variant(c: RGBA, bg: RGBA) -> Optional[RGBA]:
    """A text colour for a theme whose background is ``bg`` (None: as written)."""
    seen = _over(c, bg)
    if contrast(seen, bg) >= READABLE:
        return None
    return _readable(seen, bg, lighter=_luminance(bg) < 0.18)


def _background_variant(c: RGBA, bg: RGBA, fg: RGBA) -> Optional[RGBA]:
    """A background colour for a theme whose page is ``bg`` and text ``fg``."""
    seen = _over(c, bg)
    if contrast(seen, fg) >= READABLE:
        return None
    return _readable(seen, fg, lighter=_luminance(fg) < 0.18)


# What CSS's CanvasText is in each theme (Chromium's, by ``color-scheme``).
_LIGHT_CANVAS_TEXT: RGBA = (0, 0, 0, 1.0)
_NIGHT_CANVAS_TEXT: RGBA = (255, 255, 255, 1.0)
_TRANSPARENT: RGBA = (0, 0, 0, 0.0)


def mix(c: RGBA, other: RGBA, share: float) -> RGBA:
    """CSS ``color-mix(in srgb, c (1 - share), other share)``: premultiplied
    by alpha, as the browser mixes (``transparent`` only fades ``c``)."""
    alpha = c[3] * (1 - share) + other[3] * share
    if alpha <= 0:
        return _TRANSPARENT

    def channel(i: int) -> int:
        return round((c[i] * c[3] * (1 - share) + other[i] * other[3] * share) / alpha)

    return channel(0), channel(1), channel(2), alpha


def _least_share(reads: Callable[[float], bool]) -> int:
    """The least whole percentage for which ``reads`` holds (100 does)."""
    lo, hi = 0, 100
    while lo < hi:
        mid = (lo + hi) // 2
        if reads(mid / 100):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _fallback(prop: str, c: RGBA) -> str:
    """The ``color-mix()`` for engines without ``light-dark()``: one value
    that reads in both themes (see the module's docstring)."""
    if prop == "color":
        def reads(share: float) -> bool:
            return (contrast(_over(mix(c, _LIGHT_CANVAS_TEXT, share), _LIGHT_BG), _LIGHT_BG) >= TARGET
                    and contrast(_over(mix(c, _NIGHT_CANVAS_TEXT, share), _NIGHT_BG), _NIGHT_BG) >= TARGET)
        other = "CanvasText"
    else:
        def reads(share: float) -> bool:
            faded = mix(c, _TRANSPARENT, share)
            return (contrast(_over(faded, _LIGHT_BG), _LIGHT_FG) >= TARGET
                    and contrast(_over(faded, _NIGHT_BG), _NIGHT_FG) >= TARGET)
        other = "transparent"
    return f"{prop}:color-mix(in srgb,{hex_of(c)} {100 - _least_share(reads)}%,{other})"


def _themed(prop: str, c: RGBA, light: Optional[RGBA], night: Optional[RGBA]) -> List[str]:
    """``prop`` as written, then when a theme needs a variant: the mix for
    engines without ``light-dark()``, and the variants for the two themes."""
    written = hex_of(c)
    if light is None and night is None:
        return [f"{prop}:{written}"]
    return [f"{prop}:{written}", _fallback(prop, c),
            f"{prop}:light-dark({hex_of(light) if light else written},{hex_of(night) if night else written})"]


# A library's coloured words repeat a few styles (Polar's palette): each is
# worked out once (~100-200 us: the contrast searches of both themes).
@lru_cache(maxsize=1024)
def clean_style(value: str, font_color: Optional[str] = None) -> str:
    """The kept declarations of a ``style`` value, written anew ("" = none).
    ``font_color``: a ``<font color>``'s value, used unless the style sets
    the colour itself (as a browser does)."""
    colour: Optional[RGBA] = None
    background: Optional[RGBA] = None
    weight = style = ""
    lines: Tuple[str, ...] = ()
    for declaration in value.split(";"):
        prop, sep, val = declaration.partition(":")
        if not sep:
            continue
        prop = prop.strip().lower()
        val = _IMPORTANT.sub("", val.strip().lower())
        if prop == "color":
            c = parse_colour(val)
            if c is not None:  # (a light-dark() is skipped: ours follows the colour as written)
                colour = c
        elif prop in ("background-color", "background"):
            c = parse_colour(val)
            if c is not None:
                background = c
            elif prop == "background" and not val.startswith("light-dark("):
                background = None  # an image, a gradient ...: none of it kept
        elif prop == "font-weight":
            if val in _WEIGHTS:
                weight = val
        elif prop == "font-style":
            if val in _STYLES:
                style = val
        elif prop in ("text-decoration", "text-decoration-line"):
            words = val.split()
            lines = tuple(w for w in _LINES if w in words)
    if colour is None and font_color is not None:
        colour = parse_colour(font_color)
    out: List[str] = []
    if colour is not None and background is not None:
        out += [f"color:{hex_of(colour)}", f"background-color:{hex_of(background)}"]  # a pair: kept as is
    elif colour is not None:
        out += _themed("color", colour, _text_variant(colour, _LIGHT_BG), _text_variant(colour, _NIGHT_BG))
    elif background is not None:
        out += _themed("background-color", background, _background_variant(background, _LIGHT_BG, _LIGHT_FG),
                       _background_variant(background, _NIGHT_BG, _NIGHT_FG))
    if weight:
        out.append(f"font-weight:{weight}")
    if style:
        out.append(f"font-style:{style}")
    if lines:
        out.append(f"text-decoration:{' '.join(lines)}")
    return ";".join(out)


def font_colour(value: str) -> Optional[str]:
    """A ``<font color>`` value as written anew (``#rrggbb``), or None."""
    value = value.strip()
    if not (value.startswith("#") or value.isalpha()):
        return None
    c = parse_colour(value)
    return None if c is None else hex_of(c)
