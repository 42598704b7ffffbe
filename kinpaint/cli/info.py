"""`kinpaint info STORE.h5`: what a store holds."""

from kinpaint.data.store import Store


def add_parser(commands):
    parser = commands.add_parser("info", help="describe an HDF5 store")
    parser.add_argument("store", help="a .h5 store written by `kinpaint prepare`")
    parser.set_defaults(run=run)


def run(args):
    print(Store(args.store).summary())
