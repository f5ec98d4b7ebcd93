//! A safe, in-process handle on one LAMMPS instance.
//!
//! Debian's liblammps has no exceptions: an input error ends this process. Only
//! the worker binary holds a [`Lammps`]; the parent talks to it through
//! [`crate::run_job`].
#![allow(unsafe_code)]

use lammps_sys as sys;
use std::ffi::{c_char, c_int, c_void, CStr, CString};

/// The box of a LAMMPS instance (`lammps_extract_box`), lengths in Å.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BoxInfo {
    /// Lower corner.
    pub lo: [f64; 3],
    /// Upper corner.
    pub hi: [f64; 3],
    /// Tilt factors.
    pub xy: f64,
    /// Tilt factor xz.
    pub xz: f64,
    /// Tilt factor yz.
    pub yz: f64,
    /// Periodicity flags.
    pub periodic: [bool; 3],
}

/// One LAMMPS instance (serial, or all ranks of MPI_COMM_WORLD under mpirun).
pub struct Lammps {
    handle: *mut c_void,
}

fn cstring(s: &str) -> CString {
    // Interior NULs cannot occur in LAMMPS input; replace rather than fail.
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

impl Lammps {
    /// Opens LAMMPS with command-line `args` (e.g. `-screen none -log FILE`).
    pub fn open(args: &[&str]) -> Option<Self> {
        let mut owned: Vec<CString> = std::iter::once("nonaffine")
            .chain(args.iter().copied())
            .map(cstring)
            .collect();
        let mut argv: Vec<*mut c_char> = owned
            .iter_mut()
            .map(|c| c.as_ptr() as *mut c_char)
            .collect();
        // SAFETY: argv holds valid NUL-terminated strings that outlive the call.
        let handle = unsafe {
            sys::lammps_open_no_mpi(argv.len() as c_int, argv.as_mut_ptr(), std::ptr::null_mut())
        };
        if handle.is_null() {
            None
        } else {
            Some(Self { handle })
        }
    }

    /// Executes one input line. A LAMMPS error ends the process (no exceptions).
    pub fn command(&mut self, line: &str) {
        let c = cstring(line);
        // SAFETY: valid handle and string.
        unsafe {
            sys::lammps_command(self.handle, c.as_ptr());
        }
    }

    /// LAMMPS version as YYYYMMDD.
    pub fn version(&self) -> i32 {
        // SAFETY: valid handle.
        unsafe { sys::lammps_version(self.handle) }
    }

    /// An integer setting (`world_rank`, `world_size`, `ntypes`, ...).
    pub fn setting(&self, name: &str) -> i32 {
        let c = cstring(name);
        // SAFETY: valid handle and string.
        unsafe { sys::lammps_extract_setting(self.handle, c.as_ptr()) }
    }

    /// Number of atoms.
    pub fn natoms(&self) -> usize {
        // SAFETY: valid handle.
        unsafe { sys::lammps_get_natoms(self.handle) as usize }
    }

    /// Current timestep.
    pub fn timestep(&self) -> u64 {
        let c = cstring("ntimestep");
        // SAFETY: `ntimestep` is a bigint (int64 in LAMMPS_SMALLBIG) or null.
        unsafe {
            let p = sys::lammps_extract_global(self.handle, c.as_ptr()) as *const i64;
            if p.is_null() {
                0
            } else {
                (*p).max(0) as u64
            }
        }
    }

    /// A thermo keyword's current value. The keyword must be in the active
    /// `thermo_style` (otherwise LAMMPS errors: "not current").
    pub fn thermo(&self, keyword: &str) -> f64 {
        let c = cstring(keyword);
        // SAFETY: valid handle and string.
        unsafe { sys::lammps_get_thermo(self.handle, c.as_ptr()) }
    }

    /// The simulation box.
    pub fn extract_box(&self) -> BoxInfo {
        let (mut lo, mut hi) = ([0.0f64; 3], [0.0f64; 3]);
        let (mut xy, mut yz, mut xz) = (0.0, 0.0, 0.0);
        let mut pflags = [0 as c_int; 3];
        let mut boxflag: c_int = 0;
        // SAFETY: all out-pointers are valid for the sizes LAMMPS writes.
        unsafe {
            sys::lammps_extract_box(
                self.handle,
                lo.as_mut_ptr(),
                hi.as_mut_ptr(),
                &mut xy,
                &mut yz,
                &mut xz,
                pflags.as_mut_ptr(),
                &mut boxflag,
            );
        }
        BoxInfo {
            lo,
            hi,
            xy,
            xz,
            yz,
            periodic: pflags.map(|p| p != 0),
        }
    }

    /// Gathers a per-atom double property or compute/fix (`x`, `f`, `c_ID`),
    /// `count` values per atom, ordered by atom ID. Collective under MPI.
    pub fn gather_f64(&self, name: &str, count: usize) -> Vec<f64> {
        let n = self.natoms();
        let mut data = vec![0.0f64; n * count];
        let c = cstring(name);
        // SAFETY: data has natoms*count doubles, as LAMMPS writes.
        unsafe {
            sys::lammps_gather(
                self.handle,
                c.as_ptr() as *mut c_char,
                1,
                count as c_int,
                data.as_mut_ptr() as *mut c_void,
            );
        }
        data
    }

    /// Gathers a per-atom integer property (`type`, `image`), ordered by atom ID.
    pub fn gather_i32(&self, name: &str, count: usize) -> Vec<i32> {
        let n = self.natoms();
        let mut data = vec![0i32; n * count];
        let c = cstring(name);
        // SAFETY: data has natoms*count ints, as LAMMPS writes.
        unsafe {
            sys::lammps_gather_atoms(
                self.handle,
                c.as_ptr() as *mut c_char,
                0,
                count as c_int,
                data.as_mut_ptr() as *mut c_void,
            );
        }
        data
    }

    /// Per-type masses in amu (index 0 is type 1).
    pub fn type_masses(&self) -> Vec<f64> {
        let ntypes = self.setting("ntypes").max(0) as usize;
        let c = cstring("mass");
        // SAFETY: LAMMPS returns a pointer to ntypes+1 doubles (index 0 unused) or null.
        unsafe {
            let p = sys::lammps_extract_atom(self.handle, c.as_ptr()) as *const f64;
            if p.is_null() {
                return vec![0.0; ntypes];
            }
            (1..=ntypes).map(|t| *p.add(t)).collect()
        }
    }

    /// A compute's global scalar, computed now if it is not current (on
    /// every rank: a collective call when the compute reduces over atoms).
    pub fn compute_scalar(&self, id: &str) -> f64 {
        let c = cstring(id);
        // SAFETY: a global scalar compute returns a pointer to one double or null.
        unsafe {
            let p = sys::lammps_extract_compute(self.handle, c.as_ptr(), 0, 0) as *const f64;
            if p.is_null() {
                f64::NAN
            } else {
                *p
            }
        }
    }

    /// A global vector of a compute (e.g. a `pressure` compute: 6 values in bar).
    pub fn compute_vector(&self, id: &str, len: usize) -> Vec<f64> {
        let c = cstring(id);
        // SAFETY: a global vector compute returns a pointer to at least `len` doubles or null.
        unsafe {
            let p = sys::lammps_extract_compute(self.handle, c.as_ptr(), 0, 1) as *const f64;
            if p.is_null() {
                return Vec::new();
            }
            std::slice::from_raw_parts(p, len).to_vec()
        }
    }

    /// Creates atoms with IDs 1..N at exact positions (inside the box).
    pub fn create_atoms(&mut self, types: &[i32], positions: &[f64], images: &[i32]) -> usize {
        let n = types.len();
        let ids: Vec<c_int> = (1..=n as c_int).collect();
        // SAFETY: arrays have n (types, ids, images) and 3n (positions) entries.
        unsafe {
            sys::lammps_create_atoms(
                self.handle,
                n as c_int,
                ids.as_ptr(),
                types.as_ptr(),
                positions.as_ptr(),
                std::ptr::null(),
                images.as_ptr(),
                0,
            ) as usize
        }
    }

    /// Shuts MPI down (call once, after every instance is dropped, before exit;
    /// required under `mpirun`, harmless in serial).
    pub fn finalize_mpi() {
        // SAFETY: no arguments; LAMMPS checks whether MPI was initialized.
        unsafe { sys::lammps_mpi_finalize() }
    }

    /// Whether this library was built with C++ exceptions (Debian's: no).
    pub fn has_exceptions() -> bool {
        // SAFETY: no arguments.
        unsafe { sys::lammps_config_has_exceptions() != 0 }
    }

    /// Installed packages of this library.
    pub fn packages() -> Vec<String> {
        // SAFETY: buffer is large enough and NUL-terminated by LAMMPS.
        unsafe {
            let n = sys::lammps_config_package_count();
            (0..n)
                .filter_map(|i| {
                    let mut buf = [0 as c_char; 128];
                    if sys::lammps_config_package_name(i, buf.as_mut_ptr(), buf.len() as c_int) != 0
                    {
                        Some(CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned())
                    } else {
                        None
                    }
                })
                .collect()
        }
    }
}

impl Drop for Lammps {
    fn drop(&mut self) {
        // SAFETY: the handle came from lammps_open_no_mpi and is closed once.
        unsafe { sys::lammps_close(self.handle) }
    }
}

/// Unpacks LAMMPS' packed image flags (`imageint` = int: 10 bits per axis, offset 512).
pub fn unpack_image(packed: i32) -> [i32; 3] {
    const BITS: i32 = 10;
    const MASK: i32 = (1 << BITS) - 1;
    const MAX: i32 = 1 << (BITS - 1);
    [
        (packed & MASK) - MAX,
        ((packed >> BITS) & MASK) - MAX,
        (packed >> (2 * BITS)) - MAX,
    ]
}

/// Packs image flags as LAMMPS does.
pub fn pack_image(image: [i32; 3]) -> i32 {
    const BITS: i32 = 10;
    const MAX: i32 = 1 << (BITS - 1);
    ((image[2] + MAX) << (2 * BITS)) | ((image[1] + MAX) << BITS) | (image[0] + MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_packing_round_trips_lammps_layout() {
        // LAMMPS default: image of an atom in the home box packs to
        // (512 << 20) | (512 << 10) | 512.
        assert_eq!(pack_image([0, 0, 0]), (512 << 20) | (512 << 10) | 512);
        for im in [[0, 0, 0], [1, -1, 3], [-511, 511, -2]] {
            assert_eq!(unpack_image(pack_image(im)), im);
        }
    }
}
