"""`kinpaint demo`: train a caption-conditioned context encoder on built-in data, no download."""

import os


def add_parser(commands):
    parser = commands.add_parser(
        "demo",
        help="train and evaluate a caption-conditioned context encoder on built-in data",
        description="Prepares the built-in `shapes` data (captions describe the hidden centre), "
        "trains a context encoder with learned word vectors for a few minutes, and writes image "
        "grids, a loss-curve PNG, an evaluation table and the saved model into --out.",
    )
    parser.add_argument("--out", default="kinpaint-output/demo", help="folder of the run")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument("--force", action="store_true", help="replace an earlier demo in --out")
    parser.set_defaults(run=run)


def run(args):
    from kinpaint.data import Store, open_reader, write_store
    from kinpaint.recipes import (CURVES_FILE, MODEL_FILE, TABLE_FILE, evaluate_model,
                                  train_context_encoder, write_table)

    store = os.path.join(args.out, "shapes.h5")
    counts = {"train": args.train_images, "val": 256, "test": 1000}
    if args.force or not os.path.exists(store):
        print(f"preparing the built-in shapes data -> {store}")
        write_store(store, open_reader("shapes", counts=counts), force=True, source="shapes")
    elif Store(store).splits.get("train", (0, 0))[1] != args.train_images:
        raise FileExistsError(f"{store} holds another demo's data; pass --force to rebuild it")
    policy = "joined"  # evaluated as trained
    model, _ = train_context_encoder(store, args.out, captions="words", epochs=args.epochs, force=args.force,
                                     caption_policy=policy)
    rows = evaluate_model(model, store, "test", caption_policy=policy)
    print(write_table(rows, os.path.join(args.out, TABLE_FILE), "Demo: context encoder on the shapes test split"))
    for label, name in (("model", MODEL_FILE), ("loss curves", CURVES_FILE), ("evaluation", TABLE_FILE),
                        ("image grids", "grids")):
        print(f"{label:>12}: {os.path.join(args.out, name)}")
