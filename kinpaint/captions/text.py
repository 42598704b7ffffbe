"""Caption text: several captions of one image as the one text a `"joined"` model reads."""

from kinpaint.options import CAPTION_SEPARATOR


def join_captions(captions, what="caption"):
    """An image's captions as one text, as `caption_policy="joined"` trains; `None` for none.

    An empty caption is an error naming its position (`what` names the captions in it).
    """
    if not captions:
        return None
    for number, caption in enumerate(captions, 1):
        if not isinstance(caption, str):
            raise TypeError(f"{what} number {number} is a {type(caption).__name__}, not text")
        if not caption.strip():
            raise ValueError(f"{what} number {number} is empty; leave it out to fill without a caption")
    return CAPTION_SEPARATOR.join(captions)
