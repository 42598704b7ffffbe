"""`kinpaint info STORE.h5`: what a store holds; `kinpaint info photos` / `objects`: what the photo
corpus and the photographic stamps found."""


def add_parser(commands):
    parser = commands.add_parser("info", help="describe an HDF5 store, the photo corpus ('photos') or the "
                                              "photographic stamps ('objects')")
    parser.add_argument("store", help="a .h5 store written by `kinpaint prepare`, 'photos' or 'objects'")
    parser.add_argument("--root", help="photos, objects: a folder the packages were extracted into with `dpkg-deb -x`")
    parser.set_defaults(run=run)


def run(args):
    if args.store == "photos":
        from kinpaint.data.corpus.catalogue import corpus_report

        print(corpus_report(args.root))
        return
    if args.store == "objects":
        from kinpaint.data.corpus.stamps import stamps_report

        print(stamps_report(args.root))
        return
    from kinpaint.data.store import Store

    print(Store(args.store).summary())
