"""Where the photo corpus's photographs come from: one module per package that ships them.

Each source module has `PACKAGE` (the package name), `REGISTRY` (`"debian"` or `"pypi"`),
`INSTALL` (the command that installs it) and `find(root=None, warn=None)`, which returns
the `Photograph`s it keeps (photographs only: drawings, clip art, charts and
near-duplicates are left out by a documented rule or list in the module). `root` is a
folder the Debian packages were extracted into with `dpkg-deb -x` (it holds
`ROOT/usr/share/...`); `None` reads the system paths. A source whose package is missing
returns an empty list. `warn(message)` is told of every file skipped.
"""
