"""`mer blocks IMAGE_OR_VIDEO`: the GIA + BIA identification blocks on a face, aligned as training does.

    mer blocks face.jpg --blocks 24 --out blocks.png
    mer blocks clip.mp4 --json          # one entry per block: centre, side, padding share
"""
import json


def register(subparsers):
    parser = subparsers.add_parser(
        "blocks", help="draw the GIA + BIA identification blocks on a face and print their padding",
        description="Align a photo (or a video's first frame) as gia_bia training does (Zhu et al. 2023, "
                    "section 4.2), draw its identification blocks (sections 3.2.2-3.2.3) and print how much of "
                    "each block is padding rather than face.")
    parser.add_argument("file", help="an image or a video of one face")
    parser.add_argument("--blocks", type=int, choices=(10, 24), default=10, help="10 or 24 blocks (default 10)")
    parser.add_argument("--out", metavar="FIGURE.png", help="write the figure of the blocks here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--compare", action="store_true",
                        help="also show the earlier clips (face canvas, eyes only) before the current alignment")
    parser.set_defaults(func=run)


def run(args):
    from micro_expr.gia_bia.blocks import run_blocks

    report, lines = run_blocks(args.file, args.blocks, args.out, args.compare)
    print(json.dumps(report, indent=2) if args.json else "\n".join(lines))
    return 0
