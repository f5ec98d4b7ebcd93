"""Calls from several threads at once (the GIL is released) give the serial results."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

import nonaffine
from conftest import b2_cuzr


def test_threads_give_serial_results(eam):
    structures = [b2_cuzr(3, seed=seed, tilt=(0.1 * seed, 0.0, 0.0)) for seed in range(6)]
    serial = [nonaffine.get_born_elastic_constants(s, eam) for s in structures]
    with ThreadPoolExecutor(max_workers=3) as pool:
        threaded = list(pool.map(lambda s: nonaffine.get_born_elastic_constants(s, eam), structures))
    for a, b in zip(serial, threaded):
        # (rayon may sum in another order: round-off only)
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12 * np.abs(a).max())
    # Different structures give different answers (the comparison can fail).
    assert not np.array_equal(serial[0], serial[1])
