# Generates ase_cuzr.extxyz with real ASE (run once; the tests read the committed output).
#   pip install ase==3.29.0 && python3 make_ase_fixture.py
import numpy as np
import ase
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write

cell = [[5.1, 0.0, 0.0], [0.9, 4.8, 0.0], [-0.7, 0.4, 6.2]]
frac = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.25, 0.75, 0.5], [0.1, 0.3, 0.8], [0.6, 0.2, 0.4]]
first = Atoms("CuZrCuZrCu", scaled_positions=frac, cell=cell, pbc=True)
first.info["temperature"] = 670.0
first.info["step"] = 12000
first.info["label"] = "Cu-Zr glass sample"
first.info["minimized"] = True
first.new_array("tag_id", np.arange(5, dtype=int) * 3)
first.calc = SinglePointCalculator(first, energy=-21.456789, forces=np.linspace(-1, 1, 15).reshape(5, 3))

second = Atoms("Zr2", positions=[[0.1, 0.2, 0.3], [2.0, 2.1, 2.2]], cell=[4.0, 4.5, 5.0], pbc=True)
second.info["temperature"] = 536.0

write("ase_cuzr.extxyz", [first, second], format="extxyz")
# Reference values printed by ASE, asserted in tests/reference.rs.
print("ase", ase.__version__)
for a in (first, second):
    print(len(a), a.cell.volume, a.get_chemical_symbols(), a.get_masses().tolist())
    print(a.positions.tolist())
