//! States as text: `x=[3, 5], done=false` out, and the same form read back in, for users who
//! pass a state on the command line or read a samples file.

use super::Environment;
use crate::hir::{FieldType, Value};

impl Environment {
    /// `x=[3, 5]`, `chosen={0, 4}`, `s=[1, 0, 2]`; fields joined by `, `.
    pub fn render(&self, state: &[i32]) -> String {
        let layout = &self.program.layout;
        let mut out = String::new();
        for (k, (field, (base, shape))) in self
            .program
            .interface
            .fields
            .iter()
            .zip(&layout.fields)
            .enumerate()
        {
            if k > 0 {
                out.push_str(", ");
            }
            out.push_str(&field.name);
            out.push('=');
            if state.len() == layout.width {
                layout.render(*shape, state, *base as usize, &mut out);
            } else {
                out.push('?');
            }
        }
        out
    }

    /// Whether `state` holds a value of the state type: the right width, every field within its
    /// range, flags 0 or 1, sequence lengths within bounds and unused positions zero. States
    /// that come from outside (Python arrays) are checked with it before they are stepped.
    pub fn is_valid_state(&self, state: &[i32]) -> bool {
        let layout = &self.program.layout;
        state.len() == layout.width
            && layout
                .fields
                .iter()
                .all(|(base, shape)| layout.is_valid(*shape, state, *base as usize))
    }

    /// Terminal objects, one state per line as [`Environment::render`] writes them (blank
    /// lines and `#` comments skipped), back to back; errors name the line.
    pub fn parse_objects(&self, text: &str) -> Result<Vec<i32>, String> {
        let mut ws = super::Workspace::default();
        let mut out = Vec::new();
        for (k, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let state = self
                .parse_state(line)
                .map_err(|e| format!("line {}: {e}", k + 1))?;
            if !self.is_terminal(&state, &mut ws).unwrap_or(false) {
                return Err(format!(
                    "line {}: {} is not a terminal object (it cannot stop and is not done)",
                    k + 1,
                    self.render(&state)
                ));
            }
            out.extend_from_slice(&state);
        }
        if out.is_empty() {
            return Err("no objects: write one state per line, e.g. `x=[3, 5]`".to_string());
        }
        Ok(out)
    }

    /// Read a state in the form [`Environment::render`] writes. Every field must be given, each
    /// once, with a value of its type.
    pub fn parse_state(&self, text: &str) -> Result<Vec<i32>, String> {
        let mut reader = Reader { text, at: 0 };
        let fields = &self.program.interface.fields;
        let mut values: Vec<Option<Value>> = vec![None; fields.len()];
        loop {
            reader.skip_space();
            if reader.done() {
                break;
            }
            let name = reader.name()?;
            let Some(index) = fields.iter().position(|f| f.name == name) else {
                let known: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                return Err(format!(
                    "there is no field `{name}` (the fields are {})",
                    known.join(", ")
                ));
            };
            reader.expect('=')?;
            let value = reader.value(&fields[index].ty)?;
            if values[index].is_some() {
                return Err(format!("field `{name}` is given twice"));
            }
            fields[index]
                .ty
                .admits(&value)
                .map_err(|why| format!("field `{name}`: {why}"))?;
            values[index] = Some(value);
            reader.skip_space();
            if !reader.done() {
                reader.expect(',')?;
            }
        }
        let mut state = vec![0; self.width()];
        for ((field, value), (base, shape)) in
            fields.iter().zip(values).zip(&self.program.layout.fields)
        {
            let value = value.ok_or_else(|| format!("field `{}` is missing", field.name))?;
            self.program
                .layout
                .write_value(*shape, &value, &mut state, *base as usize);
        }
        Ok(state)
    }
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl Reader<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn done(&self) -> bool {
        self.rest().is_empty()
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.text.len() - trimmed.len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.rest().chars().next()
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.peek() {
            Some(found) if found == c => {
                self.at += c.len_utf8();
                Ok(())
            }
            Some(found) => Err(format!(
                "expected `{c}` at character {}, found `{found}`",
                self.at + 1
            )),
            None => Err(format!("expected `{c}` at the end")),
        }
    }

    fn word(&mut self) -> &str {
        self.skip_space();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let start = self.at;
        self.at += len;
        &self.text[start..start + len]
    }

    fn name(&mut self) -> Result<String, String> {
        let at = self.at;
        let word = self.word().to_string();
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return Err(format!("expected a field name at character {}", at + 1));
        }
        Ok(word)
    }

    fn value(&mut self, ty: &FieldType) -> Result<Value, String> {
        match ty {
            FieldType::Bool => match self.word() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                other => Err(format!("expected true or false, found `{other}`")),
            },
            FieldType::Int { .. } => {
                let word = self.word();
                word.parse()
                    .map(Value::Int)
                    .map_err(|_| format!("expected an integer, found `{word}`"))
            }
            FieldType::Array(element, _) => Ok(Value::Array(self.list('[', ']', element)?)),
            FieldType::Seq(element, _) => Ok(Value::Seq(self.list('[', ']', element)?)),
            FieldType::Set { lo, hi } => {
                let items = self.list('{', '}', &FieldType::Int { lo: *lo, hi: *hi })?;
                let mut members: Vec<i64> = items.iter().filter_map(Value::as_int).collect();
                members.sort_unstable();
                members.dedup();
                Ok(Value::Set(members))
            }
        }
    }

    fn list(&mut self, open: char, close: char, element: &FieldType) -> Result<Vec<Value>, String> {
        self.expect(open)?;
        let mut items = Vec::new();
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(items);
        }
        loop {
            items.push(self.value(element)?);
            match self.peek() {
                Some(',') => self.at += 1,
                Some(c) if c == close => {
                    self.at += 1;
                    return Ok(items);
                }
                _ => {
                    return Err(format!(
                        "expected `,` or `{close}` at character {}",
                        self.at + 1
                    ))
                }
            }
        }
    }
}
