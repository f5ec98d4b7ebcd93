//! End-to-end tests of whole workflows with the real stages (LAMMPS quench,
//! analytic Hessian, dense spectrum, kernels, response). The tests live in
//! `tests/`; this library is empty. They need the `nonaffine-lammps-worker`
//! binary built beside the test executable (`scripts/test.sh` builds it first).
