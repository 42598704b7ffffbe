"""The corpus builders: photographs and stamps read from the packages that ship them.

- `catalogue`: the photo corpus, `photo_catalogue(root=None)` (also `kinpaint.data.photo_catalogue`),
  one `CatalogueEntry` per photograph kept, split by scene; behind the built-in `photos`;
- `photo_sources/`: one module per package that ships photographs, each keeping
  photographs only;
- `qt_resources`: reads Qt's compiled resource files (`.rcc`), where GCompris keeps its images;
- `stamps`: Tux Paint's photographic stamps, the objects of the built-in `objects`.

None of them imports TensorFlow.
"""
