//! `load("PATH")`: numeric tables read from `.csv`, `.json` and `.npy` files into constant
//! values, typed like the array literal that would spell them out.

use super::checker::MAX_VALUES;
use super::error::parse_float_text;
use crate::files::{self, quote, ReadError};
use crate::hir::types::{Type, Value};
use crate::number::Number;
use std::path::Path;

/// Files larger than this are refused before reading: a table of 2^20 values fits in far less.
const MAX_FILE_BYTES: u64 = 256 << 20;

/// The help of a file that cannot be opened (the caller may say where paths start instead).
pub(crate) const RELATIVE_HELP: &str = "paths are relative to the folder of the .gfn file";

/// The most characters of user data a message quotes.
const QUOTED: usize = 40;

/// A loaded table: its value and its type (`[T; n]`, `[[T; m]; n]`, ...).
pub(crate) type Table = (Value, Type);

/// What went wrong reading a table: a sentence naming the file and, where it can, the line
/// and column, and what to do about it.
#[derive(Debug)]
pub(crate) struct LoadError {
    pub(crate) message: String,
    pub(crate) help: String,
}

fn fail<T>(message: String, help: &str) -> Result<T, LoadError> {
    Err(LoadError {
        message,
        help: help.to_string(),
    })
}

/// Read the table at `path`, by its extension.
pub(crate) fn load_table(path: &Path, shown: &str) -> Result<Table, LoadError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let kind = match extension.as_deref() {
        Some(kind @ ("csv" | "json" | "npy")) => kind,
        _ => {
            return fail(
                format!("`{shown}`: load reads .csv, .json and .npy files"),
                "convert the table to one of these, e.g. numbers separated by commas in a .csv",
            )
        }
    };
    let bytes = match files::read_bounded(path, MAX_FILE_BYTES) {
        Ok(b) => b,
        Err(ReadError::Io(e)) => return fail(format!("cannot read `{shown}`: {e}"), RELATIVE_HELP),
        Err(ReadError::TooLarge { limit }) => {
            return fail(
                format!("`{shown}` is larger than {limit} bytes, the most load reads"),
                "a table holds at most 1,048,576 values",
            )
        }
        Err(e @ ReadError::NotRegular(_)) => {
            return fail(
                format!("cannot read `{shown}`: {e}"),
                "load reads regular files: a pipe or a device would block or never end",
            )
        }
    };
    let table = match kind {
        "csv" => csv_table(&bytes, shown)?,
        "json" => json_table(&bytes, shown)?,
        _ => npy_table(&bytes, shown)?,
    };
    Ok(table)
}

/// One cell of a table, before the table's element type is known.
#[derive(Clone, Copy, Debug)]
enum Cell {
    Bool(bool),
    Int(i64),
    Float(Number),
}

impl Cell {
    fn parse(text: &str) -> Option<Cell> {
        let text = text.trim();
        match text {
            "true" | "True" | "TRUE" => return Some(Cell::Bool(true)),
            "false" | "False" | "FALSE" => return Some(Cell::Bool(false)),
            _ => {}
        }
        if let Ok(i) = text.parse::<i64>() {
            return Some(Cell::Int(i));
        }
        // Digits only but no 64-bit int: refused rather than read as an inexact float.
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parse_float_text(text).map(Cell::Float)
    }
}

/// Whether a cell that is not a value reads as a column name rather than as a number gfnc
/// cannot hold: a name does not start with a digit, a point, a sign, and is not `nan` or `inf` (so `nan`,
/// `1e400`, `0x10`, `.5` and 2^63 are bad values, not a header).
fn is_name(text: &str) -> bool {
    let text = text.trim();
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    let numeric = unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        || matches!(lower.as_str(), "nan" | "inf" | "infinity");
    !numeric
}

/// The element type of cells that may mix ints and floats (then all are floats), or `None`
/// when bools meet numbers.
fn element_type(cells: impl Iterator<Item = Cell>) -> Option<Type> {
    let mut ty: Option<Type> = None;
    for cell in cells {
        let this = match cell {
            Cell::Bool(_) => Type::Bool,
            Cell::Int(_) => Type::Int,
            Cell::Float(_) => Type::Float,
        };
        ty = Some(match ty {
            None => this,
            Some(t) => t.unify(&this)?,
        });
    }
    Some(ty.unwrap_or(Type::Float))
}

fn cell_value(cell: Cell, ty: &Type) -> Value {
    match (cell, ty) {
        (Cell::Int(i), Type::Float) => Value::Float(Number::from(i)),
        (Cell::Int(i), _) => Value::Int(i),
        (Cell::Float(n), _) => Value::Float(n),
        (Cell::Bool(b), _) => Value::Bool(b),
    }
}

/// Cells in row-major order and a shape: the value nested to that shape, and its type.
fn nest(cells: &[Cell], shape: &[usize], shown: &str) -> Result<Table, LoadError> {
    let Some(element) = element_type(cells.iter().copied()) else {
        return fail(
            format!("`{shown}` mixes true/false with numbers"),
            "a table holds numbers or bools, not both",
        );
    };
    let count: usize = shape.iter().product();
    if count > MAX_VALUES {
        return fail(
            format!("`{shown}` holds {count} values; a table holds at most {MAX_VALUES}"),
            "split the table, or compute the values with an expression",
        );
    }
    fn build(cells: &[Cell], shape: &[usize], element: &Type) -> Value {
        match shape.split_first() {
            None => cells
                .first()
                .map_or(Value::Int(0), |&c| cell_value(c, element)),
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                Value::Array(
                    (0..n)
                        .map(|k| build(&cells[k * stride..(k + 1) * stride], rest, element))
                        .collect(),
                )
            }
        }
    }
    let ty = shape
        .iter()
        .rev()
        .fold(element.clone(), |t, &n| Type::Array(Box::new(t), n));
    Ok((build(cells, shape, &element), ty))
}

fn csv_table(bytes: &[u8], shown: &str) -> Result<Table, LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut cells = Vec::new();
    let mut columns: Option<usize> = None;
    let mut rows = 0usize;
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => return fail(format!("`{shown}`: {e}"), "save the table as plain CSV"),
        };
        let line = record.position().map_or(index as u64 + 1, |p| p.line());
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        let parsed: Vec<Option<Cell>> = record.iter().map(Cell::parse).collect();
        // A first row of names only is a header; one with a typo among numbers, or a value
        // out of range (`nan`, `1e400`, 2^63), is an error below, not a header that would drop
        // the row and shift every index by one.
        if rows == 0
            && columns.is_none()
            && parsed
                .iter()
                .zip(record.iter())
                .all(|(cell, text)| cell.is_none() && is_name(text))
        {
            columns = Some(record.len());
            continue;
        }
        let width = *columns.get_or_insert(record.len());
        if record.len() != width {
            return fail(
                format!(
                    "`{shown}` line {line}: {} columns where the rows above have {width}",
                    record.len()
                ),
                "every row of a table has the same number of columns",
            );
        }
        for (column, (cell, text)) in parsed.iter().zip(record.iter()).enumerate() {
            match cell {
                Some(cell) => cells.push(*cell),
                None => {
                    return fail(
                        format!(
                            "`{shown}` line {line}, column {}: `{}` is not {}",
                            column + 1,
                            quote(text, QUOTED),
                            if is_name(text) {
                                "a number"
                            } else {
                                "a finite number or a 64-bit int"
                            }
                        ),
                        "cells hold ints, decimals (1.5, 2e-3) or true/false",
                    )
                }
            }
        }
        rows += 1;
        if cells.len() > MAX_VALUES {
            return fail(
                format!("`{shown}` holds more than {MAX_VALUES} values"),
                "split the table, or compute the values with an expression",
            );
        }
    }
    if rows == 0 {
        return fail(
            format!("`{shown}` has no rows of numbers"),
            "write one value per line, or one row per line with values separated by commas",
        );
    }
    let width = columns.unwrap_or(1);
    let shape = if width == 1 {
        vec![rows]
    } else {
        vec![rows, width]
    };
    nest(&cells, &shape, shown)
}

/// A table written inline as JSON (`--set W=[1.5, 2, 0]`).
pub(crate) fn json_text_table(text: &str, shown: &str) -> Result<Table, LoadError> {
    json_table(text.as_bytes(), shown)
}

fn json_table(bytes: &[u8], shown: &str) -> Result<Table, LoadError> {
    // A byte-order mark (editors on some systems write one) is not JSON, but CSV accepts it.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let json: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return fail(
                format!(
                    "`{shown}` line {}, column {}: not valid JSON ({e})",
                    e.line(),
                    e.column()
                ),
                "a table in JSON is a number, or nested arrays of numbers or of true/false",
            )
        }
    };
    if let Some((line, column, digits)) = json_big_integer(bytes) {
        return fail(
            format!(
                "`{shown}` line {line}, column {column}: `{}` does not fit in a 64-bit int",
                quote(&digits, QUOTED)
            ),
            "ints fit in 64 bits; write a float with a decimal point (1.8e19) if one is meant",
        );
    }
    let mut shape = Vec::new();
    let mut probe = &json;
    while let serde_json::Value::Array(items) = probe {
        shape.push(items.len());
        match items.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    if shape.is_empty() || shape.contains(&0) {
        return fail(
            format!("`{shown}` is not a non-empty array"),
            "write the table as [1, 2, 3] or [[1, 2], [3, 4]]",
        );
    }
    let mut cells = Vec::new();
    json_cells(&json, &shape, &mut String::new(), &mut cells, shown)?;
    nest(&cells, &shape, shown)
}

fn json_cells(
    json: &serde_json::Value,
    shape: &[usize],
    path: &mut String,
    out: &mut Vec<Cell>,
    shown: &str,
) -> Result<(), LoadError> {
    let here = || {
        if path.is_empty() {
            "the top".to_string()
        } else {
            path.clone()
        }
    };
    match (json, shape.split_first()) {
        (serde_json::Value::Array(items), Some((&n, rest))) => {
            if items.len() != n {
                return fail(
                    format!(
                        "`{shown}` at {}: {} elements where the first has {n}",
                        here(),
                        items.len()
                    ),
                    "every row of a table has the same length",
                );
            }
            for (k, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{k}]"));
                json_cells(item, rest, path, out, shown)?;
                path.truncate(len);
                if out.len() > MAX_VALUES {
                    return fail(
                        format!("`{shown}` holds more than {MAX_VALUES} values"),
                        "split the table, or compute the values with an expression",
                    );
                }
            }
            Ok(())
        }
        (serde_json::Value::Bool(b), None) => {
            out.push(Cell::Bool(*b));
            Ok(())
        }
        (serde_json::Value::Number(n), None) => {
            // An integer past i64 (a u64) is refused, as in CSV, not read as an inexact float.
            let cell = match n.as_i64() {
                Some(i) => Some(Cell::Int(i)),
                None if n.is_f64() => parse_float_text(&n.to_string()).map(Cell::Float),
                None => None,
            };
            match cell {
                Some(cell) => {
                    out.push(cell);
                    Ok(())
                }
                None => fail(
                    format!("`{shown}` at {}: {n} is out of range", here()),
                    "ints fit in 64 bits; floats are finite",
                ),
            }
        }
        (other, _) => fail(
            format!(
                "`{shown}` at {}: expected {}, found {}",
                here(),
                if shape.is_empty() {
                    "a number or true/false"
                } else {
                    "an array"
                },
                json_kind(other)
            ),
            "every row of a table has the same length and holds numbers or true/false",
        ),
    }
}

/// The first number of a JSON text written with digits only (no point, no exponent) that does
/// not fit in an int, with its line and column (1-based, in bytes): serde_json reads one past
/// u64 as a float, which would silently round it where CSV refuses it.
fn json_big_integer(text: &[u8]) -> Option<(usize, usize, String)> {
    let (mut line, mut line_start, mut k) = (1, 0, 0);
    while k < text.len() {
        match text[k] {
            b'\n' => {
                line += 1;
                line_start = k + 1;
                k += 1;
            }
            b'"' => {
                // A string (valid JSON: it ends on this line); escapes skip a byte.
                k += 1;
                while k < text.len() {
                    match text[k] {
                        b'\\' => k += 2,
                        b'"' => {
                            k += 1;
                            break;
                        }
                        _ => k += 1,
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = k;
                k += 1;
                while k < text.len()
                    && matches!(text[k], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    k += 1;
                }
                let token = String::from_utf8_lossy(&text[start..k]);
                let digits = token.strip_prefix('-').unwrap_or(&token);
                if digits.bytes().all(|b| b.is_ascii_digit()) && token.parse::<i64>().is_err() {
                    return Some((line, start - line_start + 1, token.into_owned()));
                }
            }
            _ => k += 1,
        }
    }
    None
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The largest .npy header read (numpy itself refuses headers past 10,000 bytes).
const MAX_NPY_HEADER_BYTES: usize = 10_000;

/// What a .npy file's header says, read before npyz is given the file: npyz allocates the
/// length its preamble announces and multiplies the shape unchecked, so a file of a few bytes
/// would abort the process or panic.
struct NpyLayout {
    /// The byte offset of the data.
    data_start: usize,
    /// The shape as written.
    shape: Vec<u64>,
}

fn npy_unreadable<T>(shown: &str, why: &str) -> Result<T, LoadError> {
    fail(
        format!("`{shown}`: not a readable .npy file ({why})"),
        "save it with numpy.save from an int, float or bool array",
    )
}

/// The preamble (magic, version, header length) and the shape of a .npy file, every length
/// compared with the bytes present.
fn npy_layout(bytes: &[u8], shown: &str) -> Result<NpyLayout, LoadError> {
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
        return npy_unreadable(shown, "it does not start with the .npy magic string");
    }
    let (length, data_start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => match bytes.get(8..12) {
            Some(&[a, b, c, d]) => (u32::from_le_bytes([a, b, c, d]) as usize, 12),
            _ => return npy_unreadable(shown, "the file ends inside its preamble"),
        },
        version => return npy_unreadable(shown, &format!("unknown format version {version}")),
    };
    if length > MAX_NPY_HEADER_BYTES {
        return npy_unreadable(
            shown,
            &format!(
                "its header announces {length} bytes; at most {MAX_NPY_HEADER_BYTES} are read"
            ),
        );
    }
    let Some(header) = bytes.get(data_start..data_start + length) else {
        return npy_unreadable(
            shown,
            &format!(
                "its header announces {length} bytes but the file holds {}",
                bytes.len()
            ),
        );
    };
    let Some(shape) = npy_shape(&String::from_utf8_lossy(header)) else {
        return npy_unreadable(shown, "no shape of non-negative ints in its header");
    };
    Ok(NpyLayout {
        data_start: data_start + length,
        shape,
    })
}

/// The `'shape'` entry of a .npy header (a Python dict literal such as
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`): the key at the top level of
/// the dict, its tuple read as ints. `None` when it is missing, malformed, or the header nests
/// deeper than any numpy writes (npyz's parser recurses).
fn npy_shape(header: &str) -> Option<Vec<u64>> {
    const MAX_DEPTH: usize = 16;
    let bytes = header.as_bytes();
    let mut depth = 0usize;
    let mut shape = None;
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
            }
            b'}' | b')' | b']' => depth = depth.checked_sub(1)?,
            quote @ (b'\'' | b'"') => {
                let start = k + 1;
                k = start;
                while k < bytes.len() && bytes[k] != quote {
                    k += if bytes[k] == b'\\' { 2 } else { 1 };
                }
                let key = header.get(start..k.min(bytes.len()))?;
                let rest = header.get(k + 1..).unwrap_or("").trim_start();
                if depth == 1 && key == "shape" && rest.starts_with(':') {
                    if shape.is_some() {
                        return None;
                    }
                    shape = Some(npy_tuple(rest[1..].trim_start())?);
                }
            }
            _ => {}
        }
        k += 1;
    }
    shape
}

/// `(3, 4)`, `(3,)`, `()` or `[3, 4]` at the start of `text`, as non-negative ints.
fn npy_tuple(text: &str) -> Option<Vec<u64>> {
    let close = match text.as_bytes().first()? {
        b'(' => ')',
        b'[' => ']',
        _ => return None,
    };
    let inner = &text[1..text.find(close)?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.parse::<u64>().ok())
        .collect()
}

fn npy_table(bytes: &[u8], shown: &str) -> Result<Table, LoadError> {
    use npyz::DType;
    let layout = npy_layout(bytes, shown)?;
    let described = || {
        let dims: Vec<String> = layout.shape.iter().map(u64::to_string).collect();
        format!("({})", dims.join(", "))
    };
    if layout.shape.is_empty() || layout.shape.contains(&0) {
        return fail(
            format!(
                "`{shown}` is empty or a single number (shape {})",
                described()
            ),
            "load a non-empty array of rank 1 or more",
        );
    }
    // Checked: a shape such as (2^32, 2^32) multiplies past 2^64.
    let count = layout
        .shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= MAX_VALUES);
    let Some(count) = count else {
        return fail(
            format!(
                "`{shown}` has shape {}: more than {MAX_VALUES} values",
                described()
            ),
            "split the table, or compute the values with an expression",
        );
    };
    let bad = |e: std::io::Error| LoadError {
        message: format!(
            "`{shown}`: not a readable .npy file ({})",
            quote(&e.to_string(), 2 * QUOTED)
        ),
        help: "save it with numpy.save from an int, float or bool array".to_string(),
    };
    let npy = npyz::NpyFile::new(bytes).map_err(bad)?;
    let shape: Vec<usize> = npy.shape().iter().map(|&n| n as usize).collect();
    if npy.shape() != layout.shape.as_slice() {
        return npy_unreadable(shown, "its shape cannot be read");
    }
    let fortran = matches!(npy.order(), npyz::Order::Fortran);
    let DType::Plain(ty) = npy.dtype() else {
        return fail(
            format!("`{shown}`: structured arrays cannot be loaded"),
            "save a plain int, float or bool array",
        );
    };
    // The data the header announces must be there before anything is allocated for it.
    // (An object array has no size: it is refused below without reading.)
    let present = bytes.len().saturating_sub(layout.data_start);
    let item = npy.dtype().num_bytes();
    if let Some(item) = item.filter(|&item| count.saturating_mul(item) > present) {
        return fail(
            format!(
                "`{shown}`: its header announces {count} values of {item} bytes but {present} bytes of data follow"
            ),
            "the file is cut short: save it again with numpy.save",
        );
    }
    let mut cells = npy_cells(npy, &ty, shown)?;
    if fortran && shape.len() > 1 {
        cells = fortran_to_c(&cells, &shape);
    }
    nest(&cells, &shape, shown)
}

/// The values of a plain .npy array in file order, by its element type.
fn npy_cells(
    npy: npyz::NpyFile<&[u8]>,
    ty: &npyz::TypeStr,
    shown: &str,
) -> Result<Vec<Cell>, LoadError> {
    use npyz::TypeChar;
    let bad = |e: std::io::Error| LoadError {
        message: format!(
            "`{shown}`: not a readable .npy file ({})",
            quote(&e.to_string(), 2 * QUOTED)
        ),
        help: "save it with numpy.save from an int, float or bool array".to_string(),
    };
    let ints = |v: Vec<i64>| v.into_iter().map(Cell::Int).collect::<Vec<_>>();
    let floats = |v: Vec<f64>| -> Result<Vec<Cell>, LoadError> {
        v.into_iter()
            .enumerate()
            .map(|(k, x)| {
                if x.is_finite() {
                    Ok(Cell::Float(Number::from(x)))
                } else {
                    fail(
                        format!("`{shown}`: value {k} (in file order) is {x}"),
                        "a table holds finite numbers",
                    )
                }
            })
            .collect()
    };
    let size = ty.size_field();
    let cells = match (ty.type_char(), size) {
        (TypeChar::Bool, _) => npy
            .into_vec::<bool>()
            .map_err(bad)?
            .into_iter()
            .map(Cell::Bool)
            .collect(),
        (TypeChar::Int, 1) => ints(
            npy.into_vec::<i8>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Int, 2) => ints(
            npy.into_vec::<i16>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Int, 4) => ints(
            npy.into_vec::<i32>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Int, 8) => ints(npy.into_vec::<i64>().map_err(bad)?),
        (TypeChar::Uint, 1) => ints(
            npy.into_vec::<u8>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Uint, 2) => ints(
            npy.into_vec::<u16>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Uint, 4) => ints(
            npy.into_vec::<u32>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (TypeChar::Uint, 8) => {
            let values = npy.into_vec::<u64>().map_err(bad)?;
            let mut out = Vec::with_capacity(values.len());
            for (k, v) in values.into_iter().enumerate() {
                match i64::try_from(v) {
                    Ok(i) => out.push(Cell::Int(i)),
                    Err(_) => {
                        return fail(
                            format!("`{shown}`: value {k} ({v}) does not fit in an int"),
                            "ints are 64-bit signed",
                        )
                    }
                }
            }
            out
        }
        (TypeChar::Float, 4) => floats(
            npy.into_vec::<f32>()
                .map_err(bad)?
                .into_iter()
                .map(f64::from)
                .collect(),
        )?,
        (TypeChar::Float, 8) => floats(npy.into_vec::<f64>().map_err(bad)?)?,
        (other, size) => {
            return fail(
                format!("`{shown}`: arrays of {other:?} ({size} bytes) cannot be loaded"),
                "save an int, unsigned, float32/float64 or bool array",
            )
        }
    };
    Ok(cells)
}

/// Column-major cells in row-major order.
fn fortran_to_c(cells: &[Cell], shape: &[usize]) -> Vec<Cell> {
    let count = cells.len();
    let mut out = Vec::with_capacity(count);
    let mut index = vec![0usize; shape.len()];
    for _ in 0..count {
        // Position of `index` in column-major order: the first index varies fastest.
        let mut at = 0;
        for d in (0..shape.len()).rev() {
            at = at * shape[d] + index[d];
        }
        out.push(cells[at]);
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, bytes: &[u8]) -> Result<Table, LoadError> {
        let dir = std::env::temp_dir().join(format!("gfnc-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("writes");
        load_table(&path, name)
    }

    #[test]
    fn csv_columns_header_and_errors() {
        let (value, ty) = table("a.csv", b"x\n1\n2\n3\n").expect("loads");
        assert_eq!(ty.to_string(), "[int; 3]");
        assert_eq!(
            value,
            Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
        );
        let (_, ty) = table("b.csv", b"a,b\n1,2.5\n3,4\n").expect("loads");
        assert_eq!(ty.to_string(), "[[float; 2]; 2]");
        let error = table("c.csv", b"1,2\n3,x\n").expect_err("a word");
        assert!(
            error.message.contains("line 2, column 2"),
            "{}",
            error.message
        );
        let error = table("d.csv", b"1,2\n3\n").expect_err("ragged");
        assert!(error.message.contains("line 2"), "{}", error.message);
        assert!(table("e.csv", b"").is_err());
        // A typo in the first row is an error, not a header that drops the row.
        let error = table("f.csv", b"1,2,x\n3,4,5\n").expect_err("a typo");
        assert!(
            error.message.contains("line 1, column 3"),
            "{}",
            error.message
        );
        // Digits beyond 64 bits are refused, not read as an inexact float.
        assert!(table("g.csv", b"1\n99999999999999999999\n").is_err());
    }

    #[test]
    fn json_shapes_and_errors() {
        let (_, ty) = table("a.json", b"[[true, false], [false, true]]").expect("loads");
        assert_eq!(ty.to_string(), "[[bool; 2]; 2]");
        let error = table("b.json", b"[[1, 2], [3]]").expect_err("ragged");
        assert!(error.message.contains("[1]"), "{}", error.message);
        let error = table("c.json", b"[1, \"a\"]").expect_err("string");
        assert!(error.message.contains("[1]"), "{}", error.message);
        let error = table("d.json", b"[1, 2").expect_err("syntax");
        assert!(error.message.contains("line 1"), "{}", error.message);
    }

    #[test]
    fn npy_of_every_dtype_and_order() {
        // A 2x3 int32 array in C order, then the same in Fortran order.
        fn npy(descr: &str, fortran: bool, data: &[u8]) -> Vec<u8> {
            let header = format!(
                "{{'descr': '{descr}', 'fortran_order': {}, 'shape': (2, 3), }}",
                if fortran { "True" } else { "False" }
            );
            let mut padded = header.into_bytes();
            while !(10 + padded.len() + 1).is_multiple_of(64) {
                padded.push(b' ');
            }
            padded.push(b'\n');
            let mut out = b"\x93NUMPY\x01\x00".to_vec();
            out.extend_from_slice(&(padded.len() as u16).to_le_bytes());
            out.extend_from_slice(&padded);
            out.extend_from_slice(data);
            out
        }
        let c: Vec<u8> = [1i32, 2, 3, 4, 5, 6]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (value, ty) = table("c.npy", &npy("<i4", false, &c)).expect("loads");
        assert_eq!(ty.to_string(), "[[int; 3]; 2]");
        let f: Vec<u8> = [1i32, 4, 2, 5, 3, 6]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (fvalue, _) = table("f.npy", &npy("<i4", true, &f)).expect("loads");
        assert_eq!(value, fvalue);
        let d: Vec<u8> = [0.5f64, 1., 2., 3., 4., 5.]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (_, ty) = table("d.npy", &npy("<f8", false, &d)).expect("loads");
        assert_eq!(ty.to_string(), "[[float; 3]; 2]");
        let b = [1u8, 0, 1, 0, 1, 0];
        let (_, ty) = table("b.npy", &npy("|b1", false, &b)).expect("loads");
        assert_eq!(ty.to_string(), "[[bool; 3]; 2]");
        assert!(table("x.npy", b"not numpy").is_err());
        let nan: Vec<u8> = [f64::NAN, 1., 2., 3., 4., 5.]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert!(table("n.npy", &npy("<f8", false, &nan)).is_err());
    }

    /// A .npy file of `header` (the dict literal) and `data`, version 1.
    fn npy_with(header: &str, data: &[u8]) -> Vec<u8> {
        let mut padded = header.as_bytes().to_vec();
        while !(10 + padded.len() + 1).is_multiple_of(64) {
            padded.push(b' ');
        }
        padded.push(b'\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(padded.len() as u16).to_le_bytes());
        out.extend_from_slice(&padded);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn hostile_npy_headers_are_refused_before_anything_is_allocated() {
        for order in ["False", "True"] {
            // 2^32 · 2^32 · 2 multiplies past 2^64 (it wraps to 0 unchecked).
            let header = format!(
                "{{'descr': '<f8', 'fortran_order': {order}, 'shape': (4294967296, 4294967296, 2), }}"
            );
            let error = table("wrap.npy", &npy_with(&header, &[])).expect_err("too large");
            assert!(error.message.contains("more than"), "{}", error.message);
        }
        // Within u64 but with no data: refused by size, not allocated.
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000), }";
        let error = table("empty.npy", &npy_with(header, &[])).expect_err("no data");
        assert!(
            error
                .message
                .contains("announces 1000000 values of 8 bytes but 0 bytes"),
            "{}",
            error.message
        );
        let error = table("short.npy", &npy_with(header, &[0; 100])).expect_err("cut short");
        assert!(
            error.message.contains("100 bytes of data"),
            "{}",
            error.message
        );
        // A version 2 preamble announcing a 4 GiB header, in 12 bytes.
        let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
        v2.extend_from_slice(&u32::MAX.to_le_bytes());
        let error = table("v2.npy", &v2).expect_err("a huge header");
        assert!(error.message.contains("announces"), "{}", error.message);
        let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
        v2.extend_from_slice(&9_000u32.to_le_bytes());
        let error = table("v2short.npy", &v2).expect_err("a cut header");
        assert!(
            error.message.contains("the file holds 12"),
            "{}",
            error.message
        );
        // Nesting deep enough to exhaust a recursive parser's stack.
        let header = format!(
            "{{'descr': {}'<f8'{}, 'fortran_order': False, 'shape': (2,), }}",
            "[".repeat(4000),
            "]".repeat(4000)
        );
        let error = table("deep.npy", &npy_with(&header, &[0; 16])).expect_err("deep");
        assert!(error.message.contains("no shape"), "{}", error.message);
        // A field named `shape` in the descr is not the shape.
        let header = "{'descr': [('shape', '<f8')], 'fortran_order': False, 'shape': (2,), }";
        let error = table("field.npy", &npy_with(header, &[0; 16])).expect_err("structured");
        assert!(error.message.contains("structured"), "{}", error.message);
        // A header without a shape, or with a negative one.
        let header = "{'descr': '<i8', 'fortran_order': False, }";
        assert!(table("noshape.npy", &npy_with(header, &[0; 16])).is_err());
        let header = "{'descr': '<i8', 'fortran_order': False, 'shape': (-2,), }";
        assert!(table("negative.npy", &npy_with(header, &[0; 16])).is_err());
    }

    #[test]
    fn a_one_column_csv_does_not_take_a_bad_value_for_a_header() {
        for first in ["nan", "1e400", "0x10", "9223372036854775808", "-inf", ".5"] {
            let bytes = format!("{first}\n1\n2\n");
            let error = table("one.csv", bytes.as_bytes()).expect_err(first);
            assert!(
                error.message.contains("line 1, column 1") && error.message.contains(first),
                "{first}: {}",
                error.message
            );
        }
        for name in ["x", "info", "nancy", "-", "reward (log)"] {
            let bytes = format!("{name}\n1\n2\n");
            let (_, ty) = table("named.csv", bytes.as_bytes()).expect(name);
            assert_eq!(ty.to_string(), "[int; 2]", "{name}");
        }
    }

    #[test]
    fn json_refuses_integers_past_64_bits_and_accepts_a_byte_order_mark() {
        for big in [
            "18446744073709551615",
            "9223372036854775808",
            "-9223372036854775809",
        ] {
            let text = format!("[1,\n {big}]");
            let error = table("big.json", text.as_bytes()).expect_err(big);
            assert!(
                error.message.contains("line 2, column 2") && error.message.contains(big),
                "{big}: {}",
                error.message
            );
        }
        let error = table("huge.json", b"[99999999999999999999999]").expect_err("past u64");
        assert!(error.message.contains("64-bit"), "{}", error.message);
        let (value, _) = table(
            "limits.json",
            b"[9223372036854775807, -9223372036854775808]",
        )
        .expect("the extremes of i64");
        assert_eq!(
            value,
            Value::Array(vec![Value::Int(i64::MAX), Value::Int(i64::MIN)])
        );
        // Digits in a string are not a number; a float with an exponent is a float.
        let error = table("s.json", b"[\"123456789012345678901\"]").expect_err("a string");
        assert!(error.message.contains("a string"), "{}", error.message);
        let (_, ty) = table("e.json", b"[1.8e19, 1]").expect("floats");
        assert_eq!(ty.to_string(), "[float; 2]");
        let (_, ty) = table("bom.json", b"\xef\xbb\xbf[1, 2]").expect("a BOM");
        assert_eq!(ty.to_string(), "[int; 2]");
    }

    #[test]
    fn cells_are_quoted_briefly() {
        let mut bytes = b"1\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 1 << 20));
        bytes.push(b'\n');
        let error = table("long.csv", &bytes).expect_err("a word");
        assert!(error.message.len() < 200, "{}", error.message.len());
        assert!(error.message.contains("bytes in all"), "{}", error.message);
    }

    #[test]
    fn only_regular_files_are_loaded() {
        let dir = std::env::temp_dir().join(format!("gfnc-data-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let link = dir.join("zero.csv");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("a link");
        let error = load_table(&link, "zero.csv").expect_err("a device");
        assert!(
            error.message.contains("it is a device, not a regular file"),
            "{}",
            error.message
        );
        let fifo = dir.join("pipe.csv");
        let c = std::ffi::CString::new(fifo.display().to_string()).expect("a path");
        // SAFETY: mkfifo reads a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let error = load_table(&fifo, "pipe.csv").expect_err("a FIFO");
        assert!(
            error.message.contains("named pipe (FIFO)"),
            "{}",
            error.message
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
