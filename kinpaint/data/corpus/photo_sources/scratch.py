"""Scratch's photographic stage backgrounds (Debian `scratch`, 480x360, CC-BY-SA-3.0).

Scratch 1.4 ships its backgrounds in `/usr/share/scratch/Media/Backgrounds/CATEGORY/`;
most are photographs (a beach, a kitchen, train tracks), some are drawn. Every image file
there is kept except the drawn ones listed in `LEFT_OUT`. The caption is the background's
name made readable ("train-tracks1" -> "train tracks").

This module also holds the helpers the other source modules share (`copyright_licence`,
`image_is_readable`, `readable_name`, `warner`).
"""

import os

from kinpaint.data.corpus.photo_sources.base import (Photograph, copyright_licence, image_is_readable, readable_name,
                                                     system_path, warner)

PACKAGE = "scratch"
REGISTRY = "debian"
INSTALL = "sudo apt-get install scratch"

BACKGROUNDS = "/usr/share/scratch/Media/Backgrounds"
SHARE = "/usr/share/scratch"  # paths under it are the upstream source paths (`Media/...`)
COPYRIGHT = "/usr/share/doc/scratch/copyright"
FALLBACK_LICENCE = "CC-BY-SA-3.0 (2011 Massachusetts Institute of Technology)"
EXTENSIONS = (".jpg", ".jpeg", ".gif", ".png")

# stem -> why it is left out. Each was looked at on a contact sheet.
LEFT_OUT = {
    # Drawn (cartoon) rooms and stages, not photographs.
    **dict.fromkeys(("bedroom1", "bedroom2", "party-room", "room1", "room2", "room3", "spotlight-stage"),
                    "drawn interior"),
    # Drawn landscapes and night skies.
    **dict.fromkeys(("desert", "stars", "underwater", "woods", "night-city", "night-city-with-street"),
                    "drawn landscape"),
    # Drawn buildings, a flat-colour brick wall, a drawn railway and a drawn basketball court.
    **dict.fromkeys(("school1", "school2", "brick-wall1", "train-tracks3", "basketball-court2"),
                    "drawn scene"),
    # The x-y coordinate grid at the top of Backgrounds/: a chart.
    "xy-grid": "coordinate grid chart",
}
# Two shots of one place share a scene, so they land in one split.
SCENES = {
    "basketball-court1-a": "basketball-court1",
    "basketball-court1-b": "basketball-court1",
    "city-with-water": "city-with-water",  # the Boston skyline across the Charles, by night
    "city-with-water2": "city-with-water",  # and by day
}


def find(root=None, warn=None):
    """The photographic backgrounds (see the module docstring); `[]` when scratch is missing."""
    warn = warner(warn)
    folder = system_path(root, BACKGROUNDS)
    if not os.path.isdir(folder):
        return []
    photographs = []
    for path in sorted(_image_files(folder)):
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in LEFT_OUT or not image_is_readable(path, warn, PACKAGE):
            continue
        source_path = os.path.relpath(path, system_path(root, SHARE)).replace(os.sep, "/")
        licence = copyright_licence(system_path(root, COPYRIGHT), source_path, FALLBACK_LICENCE)
        scene = f"{PACKAGE}/{SCENES[stem]}" if stem in SCENES else ""
        photographs.append(Photograph(f"{PACKAGE}/{stem}", PACKAGE, path, licence, (readable_name(stem),), scene))
    return photographs


def _image_files(folder):
    for directory, _, files in os.walk(folder):
        for file in files:
            if file.lower().endswith(EXTENSIONS):
                yield os.path.join(directory, file)


# --- helpers shared by the source modules -------------------------------------------------
