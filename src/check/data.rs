//! `load("PATH")`: numeric tables read from `.csv`, `.json` and `.npy` files into constant
//! values, typed like the array literal that would spell them out.

use super::checker::MAX_VALUES;
use super::error::parse_float_text;
use super::types::{Type, Value};
use crate::number::Number;
use std::path::Path;

/// Files larger than this are refused before reading: a table of 2^20 values fits in far less.
const MAX_FILE_BYTES: u64 = 256 << 20;

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
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            return fail(
                format!("cannot read `{shown}`: {e}"),
                "paths are relative to the folder of the .gfn file",
            )
        }
    };
    if metadata.len() > MAX_FILE_BYTES {
        return fail(
            format!(
                "`{shown}` is {} bytes; load reads files of at most {MAX_FILE_BYTES}",
                metadata.len()
            ),
            "a table holds at most 1,048,576 values",
        );
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return fail(
                format!("cannot read `{shown}`: {e}"),
                "paths are relative to the folder of the .gfn file",
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
        // A first row of names only is a header; one with a typo among numbers is an error
        // below, not a header that would drop the row.
        if rows == 0 && columns.is_none() && parsed.iter().all(Option::is_none) {
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
                            "`{shown}` line {line}, column {}: `{text}` is not a number",
                            column + 1
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
            let cell = match n.as_i64() {
                Some(i) => Some(Cell::Int(i)),
                None => parse_float_text(&n.to_string()).map(Cell::Float),
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

fn npy_table(bytes: &[u8], shown: &str) -> Result<Table, LoadError> {
    use npyz::DType;
    let bad = |e: std::io::Error| LoadError {
        message: format!("`{shown}`: not a readable .npy file ({e})"),
        help: "save it with numpy.save from an int, float or bool array".to_string(),
    };
    let npy = npyz::NpyFile::new(bytes).map_err(bad)?;
    let shape: Vec<usize> = npy.shape().iter().map(|&n| n as usize).collect();
    let fortran = matches!(npy.order(), npyz::Order::Fortran);
    let DType::Plain(ty) = npy.dtype() else {
        return fail(
            format!("`{shown}`: structured arrays cannot be loaded"),
            "save a plain int, float or bool array",
        );
    };
    if shape.iter().product::<usize>() > MAX_VALUES {
        return fail(
            format!("`{shown}` holds more than {MAX_VALUES} values"),
            "split the table, or compute the values with an expression",
        );
    }
    let mut cells = npy_cells(npy, &ty, shown)?;
    if fortran && shape.len() > 1 {
        cells = fortran_to_c(&cells, &shape);
    }
    if shape.is_empty() || shape.contains(&0) {
        return fail(
            format!("`{shown}` is empty or a single number (shape {shape:?})"),
            "load a non-empty array of rank 1 or more",
        );
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
        message: format!("`{shown}`: not a readable .npy file ({e})"),
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
}
