#include <lammps/library.h>
