//! Sparse matrices in scipy's `.npz` CSR layout (`scipy.sparse.save_npz` /
//! `load_npz`): a zip archive of five NumPy `.npy` arrays,
//!
//! | member | dtype | content |
//! |---|---|---|
//! | `format.npy` | `\|S3` (or `<U3`) | `csr` |
//! | `shape.npy` | `<i8`, (2,) | rows, columns |
//! | `indptr.npy` | `<i4` or `<i8`, (rows + 1,) | row starts |
//! | `indices.npy` | `<i4` or `<i8`, (nnz,) | column of each entry |
//! | `data.npy` | `<f8`, (nnz,) | the entries |
//!
//! Written uncompressed (zip method 0, ZIP64 fields when a size or offset
//! passes 4 GiB), indices as `<i4` when they fit (as scipy does); both
//! triangles of a symmetric matrix are stored, so `load_npz` gives the whole
//! matrix. Read: stored or deflated members (`save_npz`'s default
//! `compressed=True`), ZIP64, `<i4`/`<i8` indices, unsorted columns; each
//! member's CRC-32 is checked. The binary beside Matrix Market text: about ten
//! times faster to write and read (README, Performance).

use crate::products::{file_err, HessianError};
use nalgebra_sparse::CsrMatrix;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const END64: u32 = 0x0606_4b50;
const END64_LOCATOR: u32 = 0x0706_4b50;
/// Largest size or offset a plain (not ZIP64) zip field holds.
const MAX32: u64 = 0xFFFF_FFFF;
/// Values converted per write or read call.
const CHUNK: usize = 1 << 13;

/// One array to write: its `.npy` header fields and how its bytes are made.
enum Column<'a> {
    Bytes(&'static str, &'a [u8]),
    I64(&'a [usize]),
    I32(&'a [usize]),
    F64(&'a [f64]),
}

impl Column<'_> {
    fn descr(&self) -> &'static str {
        match self {
            Column::Bytes(d, _) => d,
            Column::I64(_) => "<i8",
            Column::I32(_) => "<i4",
            Column::F64(_) => "<f8",
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::Bytes(_, b) => b.len(),
            Column::I64(v) | Column::I32(v) => v.len(),
            Column::F64(v) => v.len(),
        }
    }

    fn item_bytes(&self) -> u64 {
        match self {
            Column::Bytes(..) => 1,
            Column::I32(_) => 4,
            Column::I64(_) | Column::F64(_) => 8,
        }
    }

    /// The `.npy` version 1.0 header (magic, length, dict padded to 64 bytes).
    fn npy_header(&self) -> Vec<u8> {
        let shape = match self {
            Column::Bytes(..) => "()".to_string(),
            _ => format!("({},)", self.len()),
        };
        let mut dict = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
            self.descr()
        );
        while (10 + dict.len() + 1) % 64 != 0 {
            dict.push(' ');
        }
        dict.push('\n');
        let mut h = b"\x93NUMPY\x01\x00".to_vec();
        h.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        h.extend_from_slice(dict.as_bytes());
        h
    }

    /// Writes the values (little-endian) to `out` and into the CRC.
    fn write_values(
        &self,
        out: &mut impl Write,
        crc: &mut crc32fast::Hasher,
    ) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(8 * CHUNK);
        let mut flush = |buf: &mut Vec<u8>| -> std::io::Result<()> {
            crc.update(buf);
            out.write_all(buf)?;
            buf.clear();
            Ok(())
        };
        match self {
            Column::Bytes(_, b) => buf.extend_from_slice(b),
            Column::I64(v) => {
                for c in v.chunks(CHUNK) {
                    c.iter()
                        .for_each(|x| buf.extend_from_slice(&(*x as i64).to_le_bytes()));
                    flush(&mut buf)?;
                }
            }
            Column::I32(v) => {
                for c in v.chunks(CHUNK) {
                    c.iter()
                        .for_each(|x| buf.extend_from_slice(&(*x as i32).to_le_bytes()));
                    flush(&mut buf)?;
                }
            }
            Column::F64(v) => {
                for c in v.chunks(CHUNK) {
                    c.iter()
                        .for_each(|x| buf.extend_from_slice(&x.to_le_bytes()));
                    flush(&mut buf)?;
                }
            }
        }
        flush(&mut buf)
    }
}

/// A member written: name, CRC-32, size, offset of its local header.
struct Written {
    name: &'static str,
    crc: u32,
    size: u64,
    offset: u64,
}

/// ZIP64 extra field with the given 8-byte values (sizes, then offset).
fn zip64_extra(values: &[u64]) -> Vec<u8> {
    let mut e = Vec::with_capacity(4 + 8 * values.len());
    e.extend_from_slice(&1u16.to_le_bytes());
    e.extend_from_slice(&(8 * values.len() as u16).to_le_bytes());
    values
        .iter()
        .for_each(|v| e.extend_from_slice(&v.to_le_bytes()));
    e
}

/// Writes `m` to `path` in scipy's `.npz` CSR layout (module docs).
pub fn write_csr_npz(path: &Path, m: &CsrMatrix<f64>) -> Result<(), HessianError> {
    write_npz(path, m).map_err(|e| file_err(path, e))
}

fn write_npz(path: &Path, m: &CsrMatrix<f64>) -> std::io::Result<()> {
    let (indptr, indices, data) = (m.row_offsets(), m.col_indices(), m.values());
    let limit = i32::MAX as usize;
    let small = data.len() <= limit && m.nrows() <= limit && m.ncols() <= limit;
    let index = |v| {
        if small {
            Column::I32(v)
        } else {
            Column::I64(v)
        }
    };
    let shape = [m.nrows(), m.ncols()];
    let members = [
        ("indices.npy", index(indices)),
        ("indptr.npy", index(indptr)),
        ("format.npy", Column::Bytes("|S3", b"csr")),
        ("shape.npy", Column::I64(&shape)),
        ("data.npy", Column::F64(data)),
    ];
    let mut file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut offset = 0u64;
    let mut written = Vec::new();
    for (name, column) in &members {
        let header = column.npy_header();
        let size = header.len() as u64 + column.item_bytes() * column.len() as u64;
        let big = size >= MAX32;
        let extra = if big {
            zip64_extra(&[size, size])
        } else {
            Vec::new()
        };
        let mut h = Vec::with_capacity(30 + name.len() + extra.len());
        h.extend_from_slice(&LOCAL.to_le_bytes());
        h.extend_from_slice(&(if big { 45u16 } else { 20 }).to_le_bytes());
        h.extend_from_slice(&[0; 8]); // flags, method 0 (stored), time, date
        h.extend_from_slice(&0u32.to_le_bytes()); // CRC-32, patched below
        let size32 = if big { MAX32 as u32 } else { size as u32 };
        h.extend_from_slice(&size32.to_le_bytes());
        h.extend_from_slice(&size32.to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        h.extend_from_slice(&extra);
        file.write_all(&h)?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header);
        file.write_all(&header)?;
        column.write_values(&mut file, &mut crc)?;
        written.push(Written {
            name,
            crc: crc.finalize(),
            size,
            offset,
        });
        offset += h.len() as u64 + size;
    }
    let central_start = offset;
    for w in &written {
        let mut big = Vec::new();
        if w.size >= MAX32 {
            big.extend([w.size, w.size]);
        }
        if w.offset >= MAX32 {
            big.push(w.offset);
        }
        let extra = if big.is_empty() {
            Vec::new()
        } else {
            zip64_extra(&big)
        };
        let version: u16 = if big.is_empty() { 20 } else { 45 };
        let mut c = Vec::with_capacity(46 + w.name.len() + extra.len());
        c.extend_from_slice(&CENTRAL.to_le_bytes());
        c.extend_from_slice(&version.to_le_bytes()); // made by
        c.extend_from_slice(&version.to_le_bytes()); // needed
        c.extend_from_slice(&[0; 8]); // flags, method, time, date
        c.extend_from_slice(&w.crc.to_le_bytes());
        let size32 = w.size.min(MAX32) as u32;
        c.extend_from_slice(&size32.to_le_bytes());
        c.extend_from_slice(&size32.to_le_bytes());
        c.extend_from_slice(&(w.name.len() as u16).to_le_bytes());
        c.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        c.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        c.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // external: -rw-r--r--
        c.extend_from_slice(&(w.offset.min(MAX32) as u32).to_le_bytes());
        c.extend_from_slice(w.name.as_bytes());
        c.extend_from_slice(&extra);
        file.write_all(&c)?;
        offset += c.len() as u64;
    }
    let central_size = offset - central_start;
    let n = written.len() as u64;
    if central_start >= MAX32 {
        let mut e = Vec::with_capacity(76);
        e.extend_from_slice(&END64.to_le_bytes());
        e.extend_from_slice(&44u64.to_le_bytes());
        e.extend_from_slice(&45u16.to_le_bytes());
        e.extend_from_slice(&45u16.to_le_bytes());
        e.extend_from_slice(&[0; 8]); // this disk, central directory's disk
        e.extend_from_slice(&n.to_le_bytes());
        e.extend_from_slice(&n.to_le_bytes());
        e.extend_from_slice(&central_size.to_le_bytes());
        e.extend_from_slice(&central_start.to_le_bytes());
        e.extend_from_slice(&END64_LOCATOR.to_le_bytes());
        e.extend_from_slice(&0u32.to_le_bytes());
        e.extend_from_slice(&offset.to_le_bytes());
        e.extend_from_slice(&1u32.to_le_bytes());
        file.write_all(&e)?;
    }
    let mut e = Vec::with_capacity(22);
    e.extend_from_slice(&END.to_le_bytes());
    e.extend_from_slice(&[0; 4]); // disks
    e.extend_from_slice(&(n as u16).to_le_bytes());
    e.extend_from_slice(&(n as u16).to_le_bytes());
    e.extend_from_slice(&(central_size.min(MAX32) as u32).to_le_bytes());
    e.extend_from_slice(&(central_start.min(MAX32) as u32).to_le_bytes());
    e.extend_from_slice(&0u16.to_le_bytes());
    file.write_all(&e)?;
    let mut file = file.into_inner().map_err(|e| e.into_error())?;
    // The CRCs, now known, into the local headers (14 bytes in).
    for w in &written {
        file.seek(SeekFrom::Start(w.offset + 14))?;
        file.write_all(&w.crc.to_le_bytes())?;
    }
    file.sync_data()
}

/// A member of the archive, from the central directory.
#[derive(Clone, Debug)]
struct Member {
    name: String,
    method: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// The central directory of a zip archive.
fn members(file: &mut File, path: &Path) -> Result<Vec<Member>, HessianError> {
    let bad = |what: &str| file_err(path, format!("not a zip archive (.npz): {what}"));
    let io = |e: std::io::Error| file_err(path, e);
    let len = file.metadata().map_err(io)?.len();
    // The end record: 22 bytes plus a comment of up to 64 KiB, at the end.
    let tail_len = len.min(22 + 65_535 + 20 + 56);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    file.read_exact(&mut tail).map_err(io)?;
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&k| u32_at(&tail, k) == END)
        .ok_or_else(|| bad("no end-of-central-directory record"))?;
    let mut count = u64::from(u16_at(&tail, at + 10));
    let mut size = u64::from(u32_at(&tail, at + 12));
    let mut start = u64::from(u32_at(&tail, at + 16));
    if at >= 20 && u32_at(&tail, at - 20) == END64_LOCATOR {
        let end64 = u64_at(&tail, at - 20 + 8);
        let mut e = [0u8; 56];
        file.seek(SeekFrom::Start(end64)).map_err(io)?;
        file.read_exact(&mut e).map_err(io)?;
        if u32_at(&e, 0) != END64 {
            return Err(bad("damaged ZIP64 end record"));
        }
        count = u64_at(&e, 32);
        size = u64_at(&e, 40);
        start = u64_at(&e, 48);
    }
    if start.checked_add(size).is_none_or(|e| e > len) || count > 1 << 16 {
        return Err(bad("central directory outside the file"));
    }
    let mut dir = vec![0u8; size as usize];
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    file.read_exact(&mut dir).map_err(io)?;
    let mut out = Vec::new();
    let mut k = 0usize;
    for _ in 0..count {
        if k + 46 > dir.len() || u32_at(&dir, k) != CENTRAL {
            return Err(bad("damaged central directory"));
        }
        let name_len = usize::from(u16_at(&dir, k + 28));
        let extra_len = usize::from(u16_at(&dir, k + 30));
        let comment_len = usize::from(u16_at(&dir, k + 32));
        let end = k + 46 + name_len + extra_len;
        if end + comment_len > dir.len() {
            return Err(bad("damaged central directory"));
        }
        let name = String::from_utf8_lossy(&dir[k + 46..k + 46 + name_len]).into_owned();
        let mut m = Member {
            name,
            method: u16_at(&dir, k + 10),
            crc: u32_at(&dir, k + 16),
            compressed: u64::from(u32_at(&dir, k + 20)),
            size: u64::from(u32_at(&dir, k + 24)),
            offset: u64::from(u32_at(&dir, k + 42)),
        };
        // ZIP64 extra: the 8-byte values of the fields that hold 0xFFFFFFFF, in order.
        let mut e = k + 46 + name_len;
        while e + 4 <= end {
            let (id, len) = (u16_at(&dir, e), usize::from(u16_at(&dir, e + 2)));
            if id == 1 {
                let mut v = e + 4;
                for field in [&mut m.size, &mut m.compressed, &mut m.offset] {
                    if *field == MAX32 && v + 8 <= e + 4 + len {
                        *field = u64_at(&dir, v);
                        v += 8;
                    }
                }
            }
            e += 4 + len;
        }
        out.push(m);
        k = end + comment_len;
    }
    Ok(out)
}

/// A reader of one member's uncompressed bytes that checks its CRC-32 at the end.
struct MemberReader<R> {
    inner: R,
    crc: crc32fast::Hasher,
    left: u64,
    want: u32,
}

impl<R: Read> Read for MemberReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let cap = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..cap])?;
        self.crc.update(&buf[..n]);
        self.left -= n as u64;
        if n == 0 && cap > 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "member shorter than its size: truncated file?",
            ));
        }
        if self.left == 0 && cap > 0 && self.crc.clone().finalize() != self.want {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "CRC-32 mismatch: the file is damaged",
            ));
        }
        Ok(n)
    }
}

/// The uncompressed bytes of member `name`.
fn open_member(
    path: &Path,
    all: &[Member],
    name: &str,
) -> Result<MemberReader<Box<dyn Read>>, HessianError> {
    let m = all.iter().find(|m| m.name == name).ok_or_else(|| {
        file_err(
            path,
            format!(
                "no {name} in the archive: not a scipy.sparse.save_npz CSR matrix (members: {})",
                all.iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let io = |e: std::io::Error| file_err(path, format!("{name}: {e}"));
    let mut file = File::open(path).map_err(io)?;
    let mut h = [0u8; 30];
    file.seek(SeekFrom::Start(m.offset)).map_err(io)?;
    file.read_exact(&mut h).map_err(io)?;
    if u32_at(&h, 0) != LOCAL {
        return Err(file_err(path, format!("{name}: damaged local header")));
    }
    let skip = i64::from(u16_at(&h, 26)) + i64::from(u16_at(&h, 28));
    file.seek(SeekFrom::Current(skip)).map_err(io)?;
    let raw = BufReader::with_capacity(1 << 20, file).take(m.compressed);
    let inner: Box<dyn Read> = match m.method {
        0 => Box::new(raw),
        8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
        other => {
            return Err(file_err(
                path,
                format!("{name}: zip method {other}; only stored (0) and deflate (8) are read"),
            ))
        }
    };
    Ok(MemberReader {
        inner,
        crc: crc32fast::Hasher::new(),
        left: m.size,
        want: m.crc,
    })
}

/// `descr` and `shape` of a `.npy` header, leaving `r` at the data.
fn npy_header(r: &mut impl Read, what: &str) -> Result<(String, Vec<usize>), String> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)
        .map_err(|e| format!("{what}: {e}"))?;
    if &magic[..6] != b"\x93NUMPY" {
        return Err(format!("{what}: not a .npy array"));
    }
    let len = if magic[6] == 1 {
        let mut l = [0u8; 2];
        r.read_exact(&mut l).map_err(|e| format!("{what}: {e}"))?;
        usize::from(u16::from_le_bytes(l))
    } else {
        let mut l = [0u8; 4];
        r.read_exact(&mut l).map_err(|e| format!("{what}: {e}"))?;
        u32::from_le_bytes(l) as usize
    };
    let mut dict = vec![0u8; len];
    r.read_exact(&mut dict)
        .map_err(|e| format!("{what}: {e}"))?;
    let dict = String::from_utf8_lossy(&dict).into_owned();
    let value = |key: &str| -> Option<String> {
        let at = dict.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = dict[at..].trim_start().strip_prefix(':')?.trim_start();
        if let Some(q) = rest.strip_prefix('\'') {
            Some(q[..q.find('\'')?].to_string())
        } else if rest.starts_with('(') {
            Some(rest[..=rest.find(')')?].to_string())
        } else {
            Some(rest[..rest.find(',')?].trim().to_string())
        }
    };
    let bad = || format!("{what}: unreadable .npy header `{}`", dict.trim());
    let descr = value("descr").ok_or_else(bad)?;
    if value("fortran_order").as_deref() == Some("True") {
        return Err(format!("{what}: Fortran order; expected a C-order array"));
    }
    let shape: Option<Vec<usize>> = value("shape")
        .ok_or_else(bad)?
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect();
    Ok((descr, shape.ok_or_else(bad)?))
}

/// Reads `count` values of `width` bytes, each converted by `convert`.
fn read_values<T>(
    r: &mut impl Read,
    count: usize,
    width: usize,
    convert: impl Fn(&[u8]) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::with_capacity(count);
    let mut buf = vec![0u8; width * CHUNK];
    let mut left = count;
    while left > 0 {
        let k = left.min(CHUNK);
        r.read_exact(&mut buf[..k * width])
            .map_err(|e| e.to_string())?;
        for c in buf[..k * width].chunks_exact(width) {
            out.push(convert(c)?);
        }
        left -= k;
    }
    Ok(out)
}

/// A 1-D array of non-negative integers (`<i4` or `<i8`).
fn read_index_array(path: &Path, all: &[Member], name: &str) -> Result<Vec<usize>, HessianError> {
    let mut r = open_member(path, all, name)?;
    let (descr, shape) = npy_header(&mut r, name).map_err(|e| file_err(path, e))?;
    let [count] = shape[..] else {
        return Err(file_err(
            path,
            format!("{name}: shape {shape:?}, expected 1-D"),
        ));
    };
    let negative = || format!("{name}: a negative index");
    let values = match descr.as_str() {
        "<i4" => read_values(&mut r, count, 4, |b| {
            usize::try_from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])).map_err(|_| negative())
        }),
        "<i8" => read_values(&mut r, count, 8, |b| {
            usize::try_from(i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                .map_err(|_| negative())
        }),
        other => Err(format!(
            "{name}: dtype {other}, expected <i4 or <i8 (little-endian integers)"
        )),
    };
    let values = values.map_err(|e| file_err(path, format!("{name}: {e}")))?;
    finish(r, path, name)?;
    Ok(values)
}

/// Reads what is left of a member so that its CRC is checked.
fn finish(mut r: impl Read, path: &Path, name: &str) -> Result<(), HessianError> {
    std::io::copy(&mut r, &mut std::io::sink())
        .map(|_| ())
        .map_err(|e| file_err(path, format!("{name}: {e}")))
}

/// `format` and `shape` of a `.npz` CSR matrix, and its entry count from the
/// header of `data.npy` (what a reader checks before reading the entries).
pub fn npz_size(path: &Path) -> Result<(usize, usize, usize), HessianError> {
    let mut file = File::open(path).map_err(|e| file_err(path, e))?;
    let all = members(&mut file, path)?;
    let (rows, cols) = read_format_and_shape(path, &all)?;
    let mut r = open_member(path, &all, "data.npy")?;
    let (_, shape) = npy_header(&mut r, "data.npy").map_err(|e| file_err(path, e))?;
    let [nnz] = shape[..] else {
        return Err(file_err(
            path,
            format!("data.npy: shape {shape:?}, expected 1-D"),
        ));
    };
    Ok((rows, cols, nnz))
}

fn read_format_and_shape(path: &Path, all: &[Member]) -> Result<(usize, usize), HessianError> {
    let mut r = open_member(path, all, "format.npy")?;
    let (descr, _) = npy_header(&mut r, "format.npy").map_err(|e| file_err(path, e))?;
    let mut raw = Vec::new();
    r.read_to_end(&mut raw)
        .map_err(|e| file_err(path, format!("format.npy: {e}")))?;
    // `|S3` holds bytes, `<U3` UTF-32 code units.
    let text: String = if descr.starts_with("<U") {
        raw.chunks_exact(4)
            .filter_map(|c| char::from_u32(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect()
    } else {
        String::from_utf8_lossy(&raw).into_owned()
    };
    let text = text.trim_end_matches('\0');
    if text != "csr" {
        return Err(file_err(
            path,
            format!(
                "format.npy says `{text}`; only CSR is read (in Python: \
                 scipy.sparse.save_npz(path, matrix.tocsr()))"
            ),
        ));
    }
    let shape = read_index_array(path, all, "shape.npy")?;
    match shape[..] {
        [rows, cols] if rows > 0 && cols > 0 => Ok((rows, cols)),
        _ => Err(file_err(
            path,
            format!("shape.npy holds {shape:?}, expected two positive sizes"),
        )),
    }
}

/// Reads a CSR matrix written by [`write_csr_npz`] or `scipy.sparse.save_npz`
/// (module docs); columns of a row may be unsorted, duplicates are refused.
pub fn read_csr_npz(path: &Path) -> Result<CsrMatrix<f64>, HessianError> {
    let mut file = File::open(path).map_err(|e| file_err(path, e))?;
    let all = members(&mut file, path)?;
    let (rows, cols) = read_format_and_shape(path, &all)?;
    let indptr = read_index_array(path, &all, "indptr.npy")?;
    let indices = read_index_array(path, &all, "indices.npy")?;
    let mut r = open_member(path, &all, "data.npy")?;
    let (descr, shape) = npy_header(&mut r, "data.npy").map_err(|e| file_err(path, e))?;
    if descr != "<f8" {
        return Err(file_err(
            path,
            format!("data.npy: dtype {descr}, expected <f8 (float64)"),
        ));
    }
    let [nnz] = shape[..] else {
        return Err(file_err(
            path,
            format!("data.npy: shape {shape:?}, expected 1-D"),
        ));
    };
    let data = read_values(&mut r, nnz, 8, |b| {
        Ok(f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    })
    .map_err(|e| file_err(path, format!("data.npy: {e}")))?;
    finish(r, path, "data.npy")?;
    if indptr.len() != rows + 1 || indices.len() != nnz || indptr.last() != Some(&nnz) {
        return Err(file_err(
            path,
            format!(
                "inconsistent arrays: shape {rows}×{cols}, indptr of length {} ending at {:?}, \
                 {} indices, {nnz} values",
                indptr.len(),
                indptr.last(),
                indices.len()
            ),
        ));
    }
    let sorted = (0..rows).all(|r| {
        indptr[r] <= indptr[r + 1]
            && indptr[r + 1] <= nnz
            && indices[indptr[r]..indptr[r + 1]]
                .windows(2)
                .all(|w| w[0] < w[1])
    });
    let m = if sorted {
        CsrMatrix::try_from_csr_data(rows, cols, indptr, indices, data)
    } else {
        CsrMatrix::try_from_unsorted_csr_data(rows, cols, indptr, indices, data)
    };
    m.map_err(|e| file_err(path, format!("not a valid CSR matrix: {e}")))
}
