"""Tux Paint's photographic templates (Debian `tuxpaint-data`, GPL-2+).

`/usr/share/tuxpaint/templates/` holds 19 photographs (bark, a cliff, a lighthouse,
jellyfish, sheep, ...) children paint over. Every JPEG there is kept: the photographic
templates are JPEGs, while drawn templates (in other Tux Paint versions, or added by
other packages) are PNG or SVG line art and are left out by that rule. `LEFT_OUT` names
any JPEG that is not a photograph (none in tuxpaint-data 0.9.27). The caption is the
file name made readable ("sun_behind_clouds" -> "sun behind clouds").
"""

import os

from kinpaint.data.corpus.photo_sources.base import (Photograph, copyright_licence, kept_files, readable_name,
                                                     system_path, warner)

PACKAGE = "tuxpaint-data"
REGISTRY = "debian"
INSTALL = "sudo apt-get install tuxpaint-data"

TEMPLATES = "/usr/share/tuxpaint/templates"
COPYRIGHT = "/usr/share/doc/tuxpaint-data/copyright"
FALLBACK_LICENCE = "GPL-2+ (2002-2021 Bill Kendrick)"
EXTENSIONS = (".jpg", ".jpeg")  # photographs; drawn templates are .png / .svg
LEFT_OUT = {}  # stem -> why: JPEG templates that are not photographs (none today)


def find(root=None, warn=None):
    """The photographic templates (see the module docstring); `[]` when tuxpaint-data is missing."""
    warn = warner(warn)
    folder = system_path(root, TEMPLATES)
    if not os.path.isdir(folder):
        return []
    photographs = []
    for stem, file, path in kept_files(folder, EXTENSIONS, LEFT_OUT, warn, PACKAGE):
        licence = copyright_licence(system_path(root, COPYRIGHT), f"templates/{file}", FALLBACK_LICENCE)
        photographs.append(Photograph(f"{PACKAGE}/{stem}", PACKAGE, path, licence, (readable_name(stem),)))
    return photographs
