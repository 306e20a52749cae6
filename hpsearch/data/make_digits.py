"""Rebuild `digits.npz` (shipped in this folder) from the copy inside scikit-learn's wheel.

Run once, by a maintainer, with scikit-learn installed: `python -m hpsearch.data.make_digits`.
hpsearch itself never needs scikit-learn or a network to load the digits.

Provenance: the test set of the UCI "Optical Recognition of Handwritten Digits" data set
(E. Alpaydin and C. Kaynak, 1998; https://doi.org/10.24432/C50P49), 1,797 images of 8x8
pixels with values 0..16, 10 classes, as scikit-learn ships it (sklearn/datasets/data/
digits.csv.gz: 64 pixel columns then the label). Licence: Creative Commons Attribution 4.0
International (CC BY 4.0), as UCI publishes it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("digits.npz")


def main() -> None:
    import sklearn  # noqa: PLC0415  (only to rebuild the shipped file)

    source = Path(sklearn.__file__).parent / "datasets" / "data" / "digits.csv.gz"
    table = np.loadtxt(source, delimiter=",", dtype=np.uint8)
    X, y = table[:, :-1], table[:, -1]
    assert X.shape == (1797, 64) and set(np.unique(y)) == set(range(10))
    np.savez_compressed(
        OUT,
        X=X,
        y=y,
        provenance=np.array(__doc__.split("Provenance: ")[1].strip()),
        sklearn_version=np.array(sklearn.__version__),
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) from {source}")


if __name__ == "__main__":
    main()
