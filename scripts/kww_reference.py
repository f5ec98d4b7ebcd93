#!/usr/bin/env python3
"""Independent high-precision reference grid for crates/nonaffine-kww.

Computes C(beta, w) = int_0^inf exp(-t^beta) cos(w t) dt and
S(beta, w) = int_0^inf exp(-t^beta) sin(w t) dt with mpmath at 40 digits by
tanh-sinh quadrature along the ray t = v exp(-i theta), theta = pi/(2(1+beta))
(Cauchy's theorem; the integrand decays on the whole sector), in the variable
x = ln v. Where the convergent series exists and its cancellation is affordable
at 80 digits (beta < 1: the large-w series, which converges for every w; beta > 1:
the moment series, which converges for every w), the value is cross-checked
against it and the script fails if the two disagree beyond 1e-25. At beta = 2,
C is the closed form (sqrt(pi)/2) exp(-w^2/4), checked against the quadrature
where the quadrature can resolve it.

Output: CSV beta,w,C,S with 20 significant digits (more than f64 needs).
Run: python3 scripts/kww_reference.py > crates/nonaffine-kww/tests/data/kww_mpmath_grid.csv
     python3 scripts/kww_reference.py --random > crates/nonaffine-kww/tests/data/kww_mpmath_random.csv
"""
import sys
import mpmath as mp

mp.mp.dps = 40


def ray(beta, w):
    beta = mp.mpf(beta)
    w = mp.mpf(w)
    th = mp.pi / (2 * (1 + beta))
    a = mp.expj(-beta * th)
    b = mp.j * mp.expj(-th)

    def f(x):
        v = mp.exp(x)
        return v * mp.exp(-mp.exp(beta * x) * a - w * v * b)

    hi = min(mp.log(300 / mp.cos(beta * th)) / beta, mp.log(300 / (w * mp.sin(th))))
    lo = hi - 120
    marks = sorted({lo, hi, min(max(lo, -mp.log(w)), hi), min(max(lo, 0), hi)})
    pts = []
    x = marks[0]
    for p in marks[1:]:
        n = int(mp.ceil((p - x) / 2))
        pts.extend(x + (p - x) * i / n for i in range(n))
        x = p
    pts.append(marks[-1])
    val = mp.quad(f, pts)
    z = mp.expj(-th) * val
    return z.real, -z.imag


def series(beta, w):
    """Convergent series at 80 digits, or None when cancellation is too large."""
    with mp.workdps(80):
        beta = mp.mpf(beta)
        w = mp.mpf(w)
        c = mp.mpf(0)
        s = mp.mpf(0)
        big = mp.mpf(0)
        if beta < 1:
            x = w ** (-beta)
            for k in range(0, 400):
                t = (-1) ** k * mp.gamma(k * beta + 1) / mp.factorial(k) * x**k / w
                c -= t * mp.sin(mp.pi * k * beta / 2)
                s += t * mp.cos(mp.pi * k * beta / 2)
                big = max(big, abs(t))
                if k > 5 and abs(t) < mp.mpf(10) ** -70 * (abs(c) + abs(s)):
                    break
            else:
                return None
        elif beta > 1:
            for k in range(0, 400):
                tc = (-1) ** k * w ** (2 * k) * mp.gamma((2 * k + 1) / beta) / mp.factorial(2 * k) / beta
                ts = (-1) ** k * w ** (2 * k + 1) * mp.gamma((2 * k + 2) / beta) / mp.factorial(2 * k + 1) / beta
                c += tc
                s += ts
                big = max(big, abs(tc), abs(ts))
                if k > 5 and max(abs(tc), abs(ts)) < mp.mpf(10) ** -70 * (abs(c) + abs(s)):
                    break
            else:
                return None
        else:
            return None
        if big > mp.mpf(10) ** 40 * min(abs(c), abs(s)):
            return None
        return c, s


def main():
    betas = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2,
             1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 1.95, 1.99, 1.999, 1.9999, 2.0]
    omegas = [10 ** (-8 + k / 3) for k in range(49)]
    if len(sys.argv) > 1 and sys.argv[1] == "--random":
        # Off-grid points: 40 with log-uniform w in [1e-8, 1e8], 80 in [1e-3, 1e2]
        # (where the quadrature works), beta uniform in [0.1, 2], seed 7.
        import random
        random.seed(7)
        print("beta,w,C,S")
        for i in range(120):
            b = random.uniform(0.1, 2.0)
            w = 10 ** random.uniform(-8, 8) if i < 40 else 10 ** random.uniform(-3, 2)
            c, s = ray(b, w)
            print(f"{b!r},{w!r},{mp.nstr(c, 20, min_fixed=1, max_fixed=0)},"
                  f"{mp.nstr(s, 20, min_fixed=1, max_fixed=0)}")
        return
    if len(sys.argv) > 1:  # resume: only betas >= argv[1], no header
        betas = [b for b in betas if b >= float(sys.argv[1])]
    else:
        print("beta,w,C,S")
    checked = 0
    for beta in betas:
        for w in omegas:
            c, s = ray(beta, w)
            if beta == 2.0:
                # Exact C = (sqrt(pi)/2) exp(-w^2/4); the 40-digit quadrature cannot
                # resolve it once C < 1e-35 S, so check it only above that floor.
                exact = mp.sqrt(mp.pi) / 2 * mp.exp(-mp.mpf(w) ** 2 / 4)
                if exact > mp.mpf(10) ** -35 * s and abs(c - exact) > mp.mpf(10) ** -14 * exact:
                    sys.exit(f"beta=2 w={w}: quadrature {c} vs closed form {exact}")
                c = exact
            ref = series(beta, w)
            if ref is not None:
                checked += 1
                for a, b, name in ((c, ref[0], "C"), (s, ref[1], "S")):
                    if abs(a - b) > mp.mpf(10) ** -25 * abs(b):
                        sys.exit(f"beta={beta} w={w} {name}: quadrature {a} vs series {b}")
            print(f"{beta!r},{w!r},{mp.nstr(c, 20, min_fixed=1, max_fixed=0)},"
                  f"{mp.nstr(s, 20, min_fixed=1, max_fixed=0)}", flush=True)
    print(f"cross-checked {checked} points against convergent series", file=sys.stderr)


if __name__ == "__main__":
    main()
