"""kww and memory kernels against closed forms."""

import math

import numpy as np
import pytest

import nonaffine


def test_kww_closed_forms():
    w = np.array([0.0, 0.3, 1.0, 7.5])
    # β = 1: ∫ e^{−t} cos ωt = 1/(1+ω²), ∫ e^{−t} sin ωt = ω/(1+ω²).
    c, s = nonaffine.kww(1.0, w)
    assert np.allclose(c, 1 / (1 + w**2), rtol=1e-10)
    assert np.allclose(s, w / (1 + w**2), rtol=1e-10)
    # β = 2: ∫ e^{−t²} cos ωt dt = (√π/2) e^{−ω²/4}.
    c, _ = nonaffine.kww(2.0, w)
    assert np.allclose(c, math.sqrt(math.pi) / 2 * np.exp(-(w**2) / 4), rtol=1e-9)
    # A scalar in, floats out.
    c0, s0 = nonaffine.kww(0.5, 0.0)
    assert isinstance(c0, float) and c0 == pytest.approx(math.gamma(3.0), rel=1e-10) and s0 == 0.0


def test_kww_refuses_beta_out_of_range():
    with pytest.raises(nonaffine.NonaffineError, match="0.05"):
        nonaffine.kww(0.05, [1.0])


def test_exponential_kernel():
    # ν(t) = ν0 e^{−t/τ} → ν̃(ω) = ν0 τ / (1 + iωτ).
    k = nonaffine.kernel("exponential", nu0=2.0, tau=0.5)
    w = np.array([[0.1, 1.0], [3.0, 10.0]])
    assert np.allclose(k.nu(w), 2.0 * 0.5 / (1 + 1j * w * 0.5), rtol=1e-14)
    assert k.nu_time(1.0) == pytest.approx(2.0 * math.exp(-2.0), rel=1e-14)
    assert k.nu(w).shape == (2, 2)


def test_markovian_kernel():
    k = nonaffine.kernel("markovian", nu0=0.137)
    assert k.nu(5.0) == 0.137 + 0j
    assert k.name == "markovian"
