"""How a run reads captions, resolved once from a `--captions` name and a store.

Training, resuming, evaluation and `kinpaint inpaint` all ask one `CaptionSetup`: which
encoder a new model gets (or which cached vectors it reads, and their size), and which
caption policy the pipeline uses.
"""

import dataclasses
from typing import Optional

from kinpaint.captions.mean_word_embedding import MeanWordEmbedding, word_counts
from kinpaint.captions.registry import cache_name, caption_encoder
from kinpaint.options import CAPTION_SEPARATOR, TRAINING_CAPTION_POLICIES

# The learned word vectors of `--captions words`.
LEARNED_WORDS_DIM = 64
LEARNED_WORDS_MIN_COUNT = 2  # rarer training words share the unknown word's vector
LEARNED_WORDS_MIN_LENGTH = 32  # words read per text, at least


@dataclasses.dataclass(frozen=True)
class CaptionSetup:
    """How a model reads captions.

    Attributes:
        name: the caption choice: `"none"`, `"words"` (learned word vectors), `"chars"`,
            or a frozen encoder (`"minilm"`, `"words:VECTORS.txt"`, `"hub:DIR"`).
        policy: `"random"` (one of an image's captions per step) or `"joined"` (all of
            them as one text, or the mean of their cached vectors).
        conditioned: whether the model reads captions at all.
        encoder: the caption encoder layer a new model gets, or `None`.
        caption_dim: the size of the cached vectors the model reads, or `None`.
        embeddings: the store's cache those vectors come from, or `None`.
    """

    name: str = "none"
    policy: str = "random"
    conditioned: bool = False
    encoder: Optional[object] = None
    caption_dim: Optional[int] = None
    embeddings: Optional[str] = None

    def __post_init__(self):
        if self.policy not in TRAINING_CAPTION_POLICIES:
            raise ValueError(f"caption_policy must be one of {TRAINING_CAPTION_POLICIES}, got {self.policy!r}")

    @classmethod
    def for_training(cls, store, name="words", policy="random"):
        """The setup of a new model trained on `store` (a `kinpaint.data.Store`).

        `"words"` builds a `MeanWordEmbedding` over the training captions' words, trained
        with the model, reading as many words as the longest training text under `policy`.
        A frozen encoder's vectors are read from the store's cache when `kinpaint prepare
        --embed` filled it; otherwise the encoder runs inside the model.
        """
        if name in (None, "none"):
            return cls("none", policy)
        if not store.has_captions:
            raise ValueError(f"{store.path} has no captions; train with --captions none")
        if name == "words":
            return cls(name, policy, True, encoder=_learned_words(store, policy))
        cached = cache_name(name)
        if cached in store.embedding_names:
            dimension = store.read_embeddings(cached, 0, 1)[0].shape[-1]
            return cls(name, policy, True, caption_dim=int(dimension), embeddings=cached)
        return cls(name, policy, True, encoder=caption_encoder(name))

    @classmethod
    def of_model(cls, model, store, name, policy="random"):
        """The setup of a trained `model` (to resume or evaluate it on `store`): a model of
        cached vectors reads the cache of `name`, which must be in the store."""
        if not model.conditioned:
            return cls("none", policy)
        if model.caption_encoder is not None:
            return cls(name, policy, True, encoder=model.caption_encoder)
        cached = cache_name(name)
        if cached not in store.embedding_names:
            raise KeyError(f"the model reads cached caption vectors but {store.path} has no {cached!r} cache; "
                           f"run `kinpaint prepare ... --embed {name}`")
        return cls(name, policy, True, caption_dim=model.caption_dim, embeddings=cached)

    def pipeline_policy(self, use_captions=True):
        """The `make_dataset` caption policy: `"none"`, `"random"`, `"joined"` or `"mean"`."""
        if not (self.conditioned and use_captions):
            return "none"
        return "mean" if self.policy == "joined" and self.embeddings is not None else self.policy

    def dataset(self, store, split, batch_size, use_captions=True, **options):
        """`kinpaint.data.make_dataset` of `store` with this setup's captions (see there for `options`)."""
        from kinpaint.data import make_dataset

        return make_dataset(store, split, batch_size, self.pipeline_policy(use_captions), self.embeddings, **options)


def _learned_words(store, policy):
    start, stop = store.split_range("train" if "train" in store.splits else None)
    per_image = store.read_captions(start, stop)
    texts = [text for image in per_image for text in image]
    longest = [CAPTION_SEPARATOR.join(image) for image in per_image] if policy == "joined" else texts
    max_words = max(LEARNED_WORDS_MIN_LENGTH, int(word_counts(longest).max()))
    return MeanWordEmbedding.from_captions(texts, output_dim=LEARNED_WORDS_DIM, min_count=LEARNED_WORDS_MIN_COUNT,
                                           max_words=max_words)
