#!/usr/bin/env bash
# Installs the Debian 12 packages nonaffine needs, when any is missing.
# LAMMPS (library, potentials, the `lmp` reference binary), ARPACK, OpenBLAS/LAPACK,
# libclang (bindgen), pkg-config, OpenMPI (`mpirun` for parallel LAMMPS workers)
# DejaVu fonts (plot labels), and for the Python package (scripts/python.sh):
# the venv module, numpy, scipy, pytest, ASE and LAMMPS' Python module (the
# reference its tests compare with), and a single-host Slurm for the Slurm
# executor's end-to-end test (munge, slurmctld, slurmd, the client commands;
# started by scripts/slurm-local.sh).
set -euo pipefail
packages=(liblammps-dev lammps-data lammps libarpack2-dev libopenblas-dev liblapack-dev
          libclang-dev pkg-config openmpi-bin fonts-dejavu-core
          python3-venv python3-numpy python3-scipy python3-pytest python3-ase python3-lammps
          munge slurmctld slurmd slurm-client)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust (https://rustup.rs)" >&2; exit 1; }
