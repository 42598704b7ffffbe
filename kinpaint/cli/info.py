"""`kinpaint info STORE.h5`: what a store holds; `kinpaint info photos`: what the photo corpus found."""


def add_parser(commands):
    parser = commands.add_parser("info", help="describe an HDF5 store, or the photo corpus ('photos')")
    parser.add_argument("store", help="a .h5 store written by `kinpaint prepare`, or 'photos'")
    parser.add_argument("--root", help="photos: a folder the packages were extracted into with `dpkg-deb -x`")
    parser.set_defaults(run=run)


def run(args):
    if args.store == "photos":
        from kinpaint.data.photo_catalogue import corpus_report

        print(corpus_report(args.root))
        return
    from kinpaint.data.store import Store

    print(Store(args.store).summary())
