"""Kalzium's photographs of laboratory equipment (Debian `kalzium-data`, GPL-2.0-or-later).

`/usr/share/kalzium/data/toolpics/` holds about 40 photographs of lab tools (a beaker, a
Bunsen burner, a mortar, ...). Every image there is kept except `LEFT_OUT`. Captions are
the tool's name and description from `/usr/share/kalzium/data/tools.xml` (English), or
none when the picture is not described there.
"""

import os
import re
import xml.etree.ElementTree as ElementTree

from kinpaint.data.corpus.photo_sources.base import Photograph, copyright_licence, kept_files, system_path, warner

PACKAGE = "kalzium-data"
REGISTRY = "debian"
INSTALL = "sudo apt-get install kalzium-data"

TOOLPICS = "/usr/share/kalzium/data/toolpics"
TOOLS_XML = "/usr/share/kalzium/data/tools.xml"
COPYRIGHT = "/usr/share/doc/kalzium-data/copyright"
FALLBACK_LICENCE = "GPL-2.0-or-later (2003-2008 Carsten Niehaus and the Kalzium authors)"
EXTENSIONS = (".jpg", ".jpeg", ".png")
# stem -> why it is left out.
LEFT_OUT = {
    "kolbenprober": "a line drawing of a gas syringe with a label, not a photograph",
}


def find(root=None, warn=None):
    """The lab-equipment photographs (see the module docstring); `[]` when kalzium-data is missing."""
    warn = warner(warn)
    folder = system_path(root, TOOLPICS)
    if not os.path.isdir(folder):
        return []
    captions = tool_captions(system_path(root, TOOLS_XML), warn)
    photographs = []
    for stem, file, path in kept_files(folder, EXTENSIONS, LEFT_OUT, warn, PACKAGE):
        licence = copyright_licence(system_path(root, COPYRIGHT), f"data/toolpics/{file}", FALLBACK_LICENCE)
        photographs.append(Photograph(f"{PACKAGE}/{stem}", PACKAGE, path, licence, captions.get(file, ())))
    return photographs


def tool_captions(path, warn):
    """`{picture file: (name, description)}` from Kalzium's tools.xml; `{}` when unreadable."""
    if not os.path.exists(path):
        return {}
    try:
        tree = ElementTree.parse(path)
    except (OSError, ElementTree.ParseError) as error:
        warn(f"{PACKAGE}: no captions from {path}: {error}")
        return {}
    captions = {}
    for item in tree.getroot().iter("item"):
        picture = (item.findtext("picture") or "").strip()
        texts = [_clean(item.findtext(tag) or "") for tag in ("name", "desc")]
        if picture:
            captions[picture] = tuple(text for text in texts if text)
    return captions


def _clean(text):
    text = re.sub(r"<[^>]*>", " ", text)  # "<br>" in descriptions
    return " ".join(text.split())
