"""`mer protocol megc|au5`: protocol label lists from the coding sheets, with class counts."""
from collections import Counter


def register(subparsers):
    parser = subparsers.add_parser("protocol", help="write a protocol's label list and print class counts")
    sub = parser.add_subparsers(dest="protocol", required=True, metavar="PROTOCOL")
    megc = sub.add_parser("megc", help="MEGC 2019 composite list (3 classes), official format")
    au5 = sub.add_parser("au5", help="5 objective classes I..V for CASME II + SAMM")
    for p in (megc, au5):
        p.add_argument("--casme2-coding", metavar="FILE", help="CASME II coding sheet (.xlsx)")
        p.add_argument("--samm-coding", metavar="FILE", help="SAMM coding sheet (.xlsx, header on row 14)")
        p.add_argument("--out", metavar="CSV", help="where to write the list")
        p.add_argument("--region-labels-out", metavar="CSV",
                       help="also write each sample's six region labels (spec section 3)")
        p.add_argument("--whole-face-labels", action="store_true",
                       help="region label files give every region the whole-face label")
        p.set_defaults(func=run)
    megc.add_argument("--smic-root", metavar="DIR", help="SMIC root (with HS/s1/micro/...)")
    au5.add_argument("--source", choices=["column", "au_rules"], default="column",
                     help="objective class from the sheet's column (default) or from the AU rules")


def run(args):
    from data_prep import protocols
    from data_prep.errors import InputError

    if not (args.casme2_coding or args.samm_coding or getattr(args, "smic_root", None)):
        raise InputError("give at least one of --casme2-coding, --samm-coding" +
                         (", --smic-root" if args.protocol == "megc" else ""))
    if args.protocol == "megc":
        samples = protocols.megc_samples(args.casme2_coding, args.samm_coding, args.smic_root)
        title = "MEGC 2019 composite (Aouayeb et al. 2021 Table 3: SMIC 70/51/43, CASME II 88/32/25, SAMM 92/26/15)"
        if args.out:
            protocols.write_megc_list(samples, args.out)
    else:
        samples = protocols.au5_samples(args.casme2_coding, args.samm_coding, args.source)
        title = "5 objective classes (Aouayeb et al. 2021 Table 4: CASME II 25/15/99/26/20, SAMM 24/13/20/8/3)"
        sources = Counter((s.dataset, s.source) for s in samples)
        for (dataset, source), n in sorted(sources.items()):
            print(f"{dataset}: {n} labels from {'the Objective Classes column' if source == 'column' else 'the AU rules'}")
        if args.out:
            with open(args.out, "w") as handle:
                handle.writelines(f"{s.dataset},{s.subject},{s.sample},{s.label}\n" for s in samples)
    if args.region_labels_out:
        protocols.write_label_table(samples, args.protocol, args.region_labels_out,
                                    region_labels=not args.whole_face_labels)
    print(protocols.format_counts(protocols.class_counts(samples, args.protocol), title))
    if args.out:
        print(f"wrote {len(samples)} rows to {args.out}")
    return 0
