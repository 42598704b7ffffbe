"""The documentation tells the truth: docstring examples run, every kinpaint name the
README and docs/ use imports, and every one they write as a call can be called."""

import doctest
import importlib
import os
import pkgutil
import re

import pytest

import kinpaint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(info.name for info in pkgutil.walk_packages(kinpaint.__path__, "kinpaint.")
                 if not info.name.startswith(("kinpaint.cli", "kinpaint.__main__")))


@pytest.mark.slow
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"


def test_every_model_has_a_docstring_example():
    from kinpaint import models

    for model in (models.ContextEncoder, models.DCGAN, models.GatedPixelInpainter, models.SemanticInpainter):
        assert ">>> " in model.__doc__, f"{model.__name__} has no example"


def documented_texts():
    """The text of the README and of each docs/*.md."""
    paths = [os.path.join(ROOT, "README.md")] + [os.path.join(ROOT, "docs", name)
                                                 for name in sorted(os.listdir(os.path.join(ROOT, "docs")))
                                                 if name.endswith(".md")]
    texts = []
    for path in paths:
        with open(path, encoding="utf-8") as file:
            texts.append(file.read())
    return texts


def documented_names():
    """Every dotted `kinpaint.x.y` name in the README and docs/*.md."""
    names = set()
    for text in documented_texts():
        names.update(re.findall(r"\bkinpaint(?:\.[A-Za-z_][A-Za-z0-9_]*)+", text))
    return sorted(names)


def documented_callables():
    """The names the docs write as calls: `kinpaint.x.y(...)`, and `y(...)` on a page that
    has `from kinpaint.x import y`."""
    names = set()
    for text in documented_texts():
        names.update(re.findall(r"\bkinpaint(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?=\()", text))
        imports = re.findall(r"^\s*(?:>>> )?from (kinpaint(?:\.\w+)*) import ([\w, ()]+)$", text, re.MULTILINE)
        for module, imported in imports:
            for name in re.findall(r"\w+", imported):
                if name != "as" and re.search(rf"(?<![\w.]){name}\(", text):
                    names.add(f"{module}.{name}")
    return sorted(names)


def resolve(dotted):
    """Import the longest module prefix of `dotted`, then follow attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for part in parts[cut:]:
            target = getattr(target, part)
        return target
    raise ModuleNotFoundError(dotted)


def test_every_name_the_docs_use_imports():
    names = documented_names()
    assert "kinpaint.models.ContextEncoder" in names or "kinpaint.models" in names
    missing = []
    for name in names:
        try:
            resolve(name)
        except (AttributeError, ModuleNotFoundError) as error:
            missing.append(f"{name}: {error}")
    assert not missing, "names in README/docs that do not import:\n" + "\n".join(missing)


def test_every_name_the_docs_call_is_callable():
    names = documented_callables()
    assert "kinpaint.data.photo_catalogue" in names and "kinpaint.pretrained" in names
    wrong = []
    for name in names:
        try:
            target = resolve(name)
        except (AttributeError, ModuleNotFoundError) as error:
            wrong.append(f"{name}: {error}")
            continue
        if not callable(target):
            wrong.append(f"{name}: a {type(target).__name__}, not callable")
    assert not wrong, "names README/docs call that cannot be called:\n" + "\n".join(wrong)


def test_public_surface_is_one_list():
    for name in kinpaint.__all__:
        assert getattr(kinpaint, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        kinpaint.nothing_here
