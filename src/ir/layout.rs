//! The flat state layout: every state is a fixed-width vector of `i32` slots, chosen from the
//! field types (a bool or int is one slot, an array its elements, a set one 0/1 slot per
//! possible member, a sequence its length then its elements, unused elements zero).

use crate::hir::{FieldType, Value};

/// An index into [`Layout::shapes`]; a type of its own so that it cannot be mixed up with a node
/// or a slot.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShapeId(pub u32);

/// `s0`, as the listing of a program names its shapes.
impl std::fmt::Debug for ShapeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s{}", self.0)
    }
}

impl ShapeId {
    /// Its position in [`Layout::shapes`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a value of a field type is laid out in slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    Bool,
    Int {
        lo: i32,
        hi: i32,
    },
    Array {
        element: ShapeId,
        len: u32,
        stride: u32,
    },
    Set {
        lo: i32,
        hi: i32,
    },
    Seq {
        element: ShapeId,
        max: u32,
        stride: u32,
    },
}

/// The layout of a whole state.
#[derive(Clone, Debug)]
pub struct Layout {
    pub shapes: Vec<Shape>,
    /// Per field: its first slot and its shape.
    pub fields: Vec<(u32, ShapeId)>,
    pub width: usize,
}

/// Why a field type cannot be laid out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LayoutError {
    pub field: usize,
    pub message: String,
}

impl Layout {
    /// Lay out the fields one after another.
    pub fn new(fields: &[FieldType]) -> Result<Layout, LayoutError> {
        let mut layout = Layout {
            shapes: Vec::new(),
            fields: Vec::new(),
            width: 0,
        };
        for (index, ty) in fields.iter().enumerate() {
            let shape = layout.shape_of(ty).map_err(|message| LayoutError {
                field: index,
                message,
            })?;
            let start = u32::try_from(layout.width).map_err(|_| LayoutError {
                field: index,
                message: "the state is too wide".to_string(),
            })?;
            layout.fields.push((start, shape));
            layout.width += layout.size(shape) as usize;
        }
        Ok(layout)
    }

    fn shape_of(&mut self, ty: &FieldType) -> Result<ShapeId, String> {
        let narrow =
            |v: i64| i32::try_from(v).map_err(|_| format!("the bound {v} does not fit in 32 bits"));
        let shape = match ty {
            FieldType::Bool => Shape::Bool,
            FieldType::Int { lo, hi } => Shape::Int {
                lo: narrow(*lo)?,
                hi: narrow(*hi)?,
            },
            FieldType::Array(element, len) => {
                let element = self.shape_of(element)?;
                Shape::Array {
                    element,
                    len: *len as u32,
                    stride: self.size(element),
                }
            }
            FieldType::Set { lo, hi } => Shape::Set {
                lo: narrow(*lo)?,
                hi: narrow(*hi)?,
            },
            FieldType::Seq(element, max) => {
                let element = self.shape_of(element)?;
                Shape::Seq {
                    element,
                    max: *max as u32,
                    stride: self.size(element),
                }
            }
        };
        self.shapes.push(shape);
        Ok(ShapeId((self.shapes.len() - 1) as u32))
    }

    pub fn shape(&self, id: ShapeId) -> &Shape {
        &self.shapes[id.index()]
    }

    /// Slots taken by a value of this shape.
    pub fn size(&self, id: ShapeId) -> u32 {
        match self.shape(id) {
            Shape::Bool | Shape::Int { .. } => 1,
            Shape::Array { len, stride, .. } => len * stride,
            Shape::Set { lo, hi } => (hi - lo) as u32,
            Shape::Seq { max, stride, .. } => 1 + max * stride,
        }
    }

    /// Write a constant value of this shape at `base`.
    pub fn write_value(&self, id: ShapeId, value: &Value, slots: &mut [i32], base: usize) {
        match (self.shape(id), value) {
            (Shape::Bool, Value::Bool(b)) => slots[base] = i32::from(*b),
            (Shape::Int { .. }, Value::Int(v)) => slots[base] = *v as i32,
            (
                Shape::Array {
                    element, stride, ..
                },
                Value::Array(items),
            ) => {
                for (k, item) in items.iter().enumerate() {
                    self.write_value(*element, item, slots, base + k * *stride as usize);
                }
            }
            (Shape::Set { lo, hi }, Value::Set(members)) => {
                slots[base..base + (hi - lo) as usize].fill(0);
                for m in members {
                    slots[base + (*m - *lo as i64) as usize] = 1;
                }
            }
            (
                Shape::Seq {
                    element,
                    max,
                    stride,
                },
                Value::Seq(items),
            ) => {
                slots[base..base + 1 + (*max * *stride) as usize].fill(0);
                slots[base] = items.len() as i32;
                for (k, item) in items.iter().enumerate() {
                    self.write_value(*element, item, slots, base + 1 + k * *stride as usize);
                }
            }
            _ => {}
        }
    }

    /// Read the value at `base` back (the inverse of [`Layout::write_value`]).
    pub fn read_value(&self, id: ShapeId, slots: &[i32], base: usize) -> Value {
        match self.shape(id) {
            Shape::Bool => Value::Bool(slots[base] != 0),
            Shape::Int { .. } => Value::Int(i64::from(slots[base])),
            Shape::Array {
                element,
                len,
                stride,
            } => Value::Array(
                (0..*len as usize)
                    .map(|k| self.read_value(*element, slots, base + k * *stride as usize))
                    .collect(),
            ),
            Shape::Set { lo, hi } => Value::Set(
                (0..(hi - lo) as usize)
                    .filter(|k| slots[base + k] != 0)
                    .map(|k| i64::from(*lo) + k as i64)
                    .collect(),
            ),
            Shape::Seq {
                element, stride, ..
            } => Value::Seq(
                (0..slots[base].max(0) as usize)
                    .map(|k| self.read_value(*element, slots, base + 1 + k * *stride as usize))
                    .collect(),
            ),
        }
    }

    /// The number of one-hot features a value of this shape encodes to.
    pub fn features(&self, id: ShapeId) -> usize {
        match self.shape(id) {
            Shape::Bool => 2,
            Shape::Int { lo, hi } => (hi - lo) as usize,
            Shape::Array { element, len, .. } => self.features(*element) * *len as usize,
            Shape::Set { lo, hi } => (hi - lo) as usize,
            // The length one-hot, then each position's element one-hot plus an "empty" flag.
            Shape::Seq { element, max, .. } => {
                (*max as usize + 1) + *max as usize * (self.features(*element) + 1)
            }
        }
    }

    /// One-hot features of the value at `base`, written from `out[0]` on; returns the count.
    pub fn encode(&self, id: ShapeId, slots: &[i32], base: usize, out: &mut [f32]) -> usize {
        match self.shape(id) {
            Shape::Bool => {
                out[0] = f32::from(u8::from(slots[base] == 0));
                out[1] = f32::from(u8::from(slots[base] != 0));
                2
            }
            Shape::Int { lo, hi } => {
                let n = (hi - lo) as usize;
                out[..n].fill(0.0);
                if let Some(cell) = out.get_mut((slots[base] - lo) as usize) {
                    *cell = 1.0;
                }
                n
            }
            Shape::Array {
                element,
                len,
                stride,
            } => {
                let mut written = 0;
                for k in 0..*len as usize {
                    written += self.encode(
                        *element,
                        slots,
                        base + k * *stride as usize,
                        &mut out[written..],
                    );
                }
                written
            }
            Shape::Set { lo, hi } => {
                let n = (hi - lo) as usize;
                for k in 0..n {
                    out[k] = slots[base + k] as f32;
                }
                n
            }
            Shape::Seq {
                element,
                max,
                stride,
            } => {
                let len = slots[base].max(0) as usize;
                let max = *max as usize;
                out[..=max].fill(0.0);
                out[len.min(max)] = 1.0;
                let mut written = max + 1;
                let width = self.features(*element);
                for k in 0..max {
                    if k < len {
                        out[written] = 0.0;
                        self.encode(
                            *element,
                            slots,
                            base + 1 + k * *stride as usize,
                            &mut out[written + 1..],
                        );
                    } else {
                        out[written..written + 1 + width].fill(0.0);
                        out[written] = 1.0;
                    }
                    written += 1 + width;
                }
                written
            }
        }
    }

    /// The most features of [`Layout::encode`] a value of this shape sets to 1.
    pub fn max_active(&self, id: ShapeId) -> usize {
        match self.shape(id) {
            Shape::Bool | Shape::Int { .. } => 1,
            Shape::Array { element, len, .. } => self.max_active(*element) * *len as usize,
            Shape::Set { lo, hi } => (hi - lo) as usize,
            // The length, then per position the "empty" flag or the element's features.
            Shape::Seq { element, max, .. } => 1 + *max as usize * self.max_active(*element).max(1),
        }
    }

    /// The features of [`Layout::encode`] that are 1 for the (valid) value at `base`, as
    /// indices from `offset` on, appended to `out` in increasing order; returns the count of
    /// features the shape spans. Every other feature is 0: the one-hot rows of a wide state
    /// are mostly zeros, and the sparse first layer reads only these.
    pub fn active(
        &self,
        id: ShapeId,
        slots: &[i32],
        base: usize,
        offset: u32,
        out: &mut Vec<u32>,
    ) -> u32 {
        match self.shape(id) {
            Shape::Bool => {
                out.push(offset + u32::from(slots[base] != 0));
                2
            }
            Shape::Int { lo, hi } => {
                let n = (hi - lo) as u32;
                if let Ok(k) = u32::try_from(slots[base] - lo) {
                    if k < n {
                        out.push(offset + k);
                    }
                }
                n
            }
            Shape::Array {
                element,
                len,
                stride,
            } => {
                let mut written = 0;
                for k in 0..*len as usize {
                    written += self.active(
                        *element,
                        slots,
                        base + k * *stride as usize,
                        offset + written,
                        out,
                    );
                }
                written
            }
            Shape::Set { lo, hi } => {
                let n = (hi - lo) as u32;
                for k in 0..n {
                    if slots[base + k as usize] != 0 {
                        out.push(offset + k);
                    }
                }
                n
            }
            Shape::Seq {
                element,
                max,
                stride,
            } => {
                let len = slots[base].max(0) as u32;
                let max = *max;
                out.push(offset + len.min(max));
                let mut written = max + 1;
                let width = self.features(*element) as u32;
                for k in 0..max {
                    if k < len {
                        self.active(
                            *element,
                            slots,
                            base + 1 + k as usize * *stride as usize,
                            offset + written + 1,
                            out,
                        );
                    } else {
                        out.push(offset + written);
                    }
                    written += 1 + width;
                }
                written
            }
        }
    }

    /// Append the readable form of the value at `base`: `3`, `true`, `[3, 5]`, `{0, 4}`.
    pub fn render(&self, id: ShapeId, slots: &[i32], base: usize, out: &mut String) {
        match self.shape(id) {
            Shape::Bool => out.push_str(if slots[base] != 0 { "true" } else { "false" }),
            Shape::Int { .. } => out.push_str(&slots[base].to_string()),
            Shape::Array {
                element,
                len,
                stride,
            } => {
                out.push('[');
                for k in 0..*len as usize {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    self.render(*element, slots, base + k * *stride as usize, out);
                }
                out.push(']');
            }
            Shape::Set { lo, hi } => {
                out.push('{');
                let mut first = true;
                for k in 0..(hi - lo) as usize {
                    if slots[base + k] != 0 {
                        if !first {
                            out.push_str(", ");
                        }
                        first = false;
                        out.push_str(&(*lo as i64 + k as i64).to_string());
                    }
                }
                out.push('}');
            }
            Shape::Seq {
                element,
                stride,
                max,
            } => {
                out.push('[');
                let len = (slots[base].max(0) as u32).min(*max) as usize;
                for k in 0..len {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    self.render(*element, slots, base + 1 + k * *stride as usize, out);
                }
                out.push(']');
            }
        }
    }

    /// Whether the value at `base` is a valid value of its shape (ranges, 0/1 flags, lengths,
    /// unused sequence elements zero).
    pub fn is_valid(&self, id: ShapeId, slots: &[i32], base: usize) -> bool {
        match self.shape(id) {
            Shape::Bool => matches!(slots[base], 0 | 1),
            Shape::Int { lo, hi } => (*lo..*hi).contains(&slots[base]),
            Shape::Array {
                element,
                len,
                stride,
            } => (0..*len as usize)
                .all(|k| self.is_valid(*element, slots, base + k * *stride as usize)),
            Shape::Set { lo, hi } => slots[base..base + (hi - lo) as usize]
                .iter()
                .all(|v| matches!(v, 0 | 1)),
            Shape::Seq {
                element,
                max,
                stride,
            } => {
                let len = slots[base];
                if len < 0 || len as u32 > *max {
                    return false;
                }
                let used = 1 + len as usize * *stride as usize;
                let end = 1 + (*max * *stride) as usize;
                (0..len as usize)
                    .all(|k| self.is_valid(*element, slots, base + 1 + k * *stride as usize))
                    && slots[base + used..base + end].iter().all(|v| *v == 0)
            }
        }
    }
}
