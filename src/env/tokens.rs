//! The state as tokens, for policies built from the state's type: each element of a sequence or
//! array field of scalars is a token (its value id), each possible member of a set field is a
//! token (whether it is in the set), every other field goes to one vector of scalar features;
//! and, per flat action, which token its logit is read from when its family writes
//! `field[arg]`, inserts `arg` into a set or removes it, with `arg` one of its own arguments.
//!
//! A field is a *token field* when it is `seq<T, N>`, `[T; N]` or `[[T; M]; N]` with `T` an int
//! range or `bool`, or `set<lo..hi>`; a nested array is flattened row by row into `N·M` tokens
//! (position `i·M + j` holds `x[i][j]`); a set is `hi - lo` tokens, token `v - lo` saying
//! whether `v` is a member. Every other field (ints, bools, arrays of sets, ...) is encoded
//! one-hot exactly as [`Environment::encode`] does, into the scalar features.

use super::Environment;
use crate::ir::code::Node;
use crate::ir::layout::{Layout, Shape, ShapeId};
use crate::ir::{EffectOp, PlaceCode, Val};

/// One token field: where its elements are and how their values become ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenField {
    /// The field's index in the state.
    pub field: usize,
    /// Its first slot.
    pub base: usize,
    /// A sequence (slot `base` holds the length; unwritten positions get the "empty" id).
    pub sequence: bool,
    /// Rows and columns: `[T; N]` and `seq<T, N>` are `N` rows of one column.
    pub rows: usize,
    /// Elements per row (1 unless the field is an array of arrays).
    pub columns: usize,
    /// Slots between consecutive rows.
    pub row_stride: usize,
    /// The smallest element value (0 for `bool`).
    pub lo: i32,
    /// Element values: `hi - lo` (2 for `bool`).
    pub values: usize,
    /// The id of value `lo` in the shared vocabulary; `first_value + values` is "empty".
    pub first_value: usize,
    /// The index of this field's first token among all tokens.
    pub first_token: usize,
    /// The index value of the first row: a set's `lo` (row `v - lo` is member `v`); 0 for
    /// arrays and sequences.
    pub index_lo: i32,
}

impl TokenField {
    /// Its tokens: rows × columns.
    pub fn tokens(&self) -> usize {
        self.rows * self.columns
    }

    /// Ids it uses in the vocabulary: its values, plus "empty" for a sequence.
    pub fn vocabulary(&self) -> usize {
        self.values + usize::from(self.sequence)
    }
}

/// How states become tokens and scalar features.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLayout {
    /// The token fields, in field order.
    pub fields: Vec<TokenField>,
    /// Tokens per state (every token field's elements).
    pub tokens: usize,
    /// Distinct value ids over all token fields.
    pub vocabulary: usize,
    /// Fields encoded one-hot into the scalar features: (first slot, shape).
    scalar_fields: Vec<(u32, ShapeId)>,
    /// Scalar features per state.
    pub scalars: usize,
}

impl TokenLayout {
    /// Floats per state in [`Environment::encode_tokens`]: the token ids, then the scalars.
    pub fn width(&self) -> usize {
        self.tokens + self.scalars
    }

    /// The token field of state field `field`, if it is one.
    pub fn field(&self, field: usize) -> Option<&TokenField> {
        self.fields.iter().find(|f| f.field == field)
    }
}

/// Where the logit of one flat action comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionHead {
    /// From token `token`'s output, column `column` of family `family`'s tied head.
    Tied {
        /// The token (among all tokens of the state) of the element the action writes.
        token: usize,
        /// The column of the family's head: the combination of its other arguments.
        column: usize,
        /// The action family.
        family: usize,
    },
    /// From the pooled representation, column `column` of the pooled head.
    Pooled {
        /// The column of the pooled head.
        column: usize,
    },
}

/// The element scalar of `shape` as (lo, values), when it is an int range or a bool.
fn scalar(layout: &Layout, shape: ShapeId) -> Option<(i32, usize)> {
    match layout.shape(shape) {
        Shape::Bool => Some((0, 2)),
        Shape::Int { lo, hi } => Some((*lo, (hi - lo) as usize)),
        _ => None,
    }
}

/// The token field a field of `shape` at `base` would be, its counters left at zero.
fn token_field(layout: &Layout, field: usize, base: u32, shape: ShapeId) -> Option<TokenField> {
    let make = |sequence, rows: u32, columns, row_stride: u32, (lo, values)| TokenField {
        field,
        base: base as usize,
        sequence,
        rows: rows as usize,
        columns,
        row_stride: row_stride as usize,
        lo,
        values,
        first_value: 0,
        first_token: 0,
        index_lo: 0,
    };
    match layout.shape(shape) {
        // One membership flag per possible member, in the set's own slots.
        Shape::Set { lo, hi } => Some(TokenField {
            index_lo: *lo,
            ..make(false, (hi - lo) as u32, 1, 1, (0, 2))
        }),
        Shape::Seq {
            element,
            max,
            stride,
        } => Some(make(true, *max, 1, *stride, scalar(layout, *element)?)),
        Shape::Array {
            element,
            len,
            stride,
        } => match layout.shape(*element) {
            Shape::Array {
                element: inner,
                len: columns,
                ..
            } => Some(make(
                false,
                *len,
                *columns as usize,
                *stride,
                scalar(layout, *inner)?,
            )),
            _ => Some(make(false, *len, 1, *stride, scalar(layout, *element)?)),
        },
        _ => None,
    }
}

impl Environment {
    /// How this environment's states become tokens (see the module's documentation).
    pub fn token_layout(&self) -> TokenLayout {
        self.token_layout_with(true)
    }

    /// The same, with set fields among the scalar features instead of tokens when
    /// `set_members` is false (how transformer runs saved before sets were tokens read them).
    pub fn token_layout_with(&self, set_members: bool) -> TokenLayout {
        let layout = &self.program.layout;
        let mut tokens = TokenLayout {
            fields: Vec::new(),
            tokens: 0,
            vocabulary: 0,
            scalar_fields: Vec::new(),
            scalars: 0,
        };
        for (index, (base, shape)) in layout.fields.iter().enumerate() {
            let set = matches!(layout.shape(*shape), Shape::Set { .. });
            let field = match set && !set_members {
                true => None,
                false => token_field(layout, index, *base, *shape),
            };
            match field {
                Some(mut field) => {
                    field.first_token = tokens.tokens;
                    field.first_value = tokens.vocabulary;
                    tokens.tokens += field.tokens();
                    tokens.vocabulary += field.vocabulary();
                    tokens.fields.push(field);
                }
                None => {
                    tokens.scalar_fields.push((*base, *shape));
                    tokens.scalars += layout.features(*shape);
                }
            }
        }
        tokens
    }

    /// One state as floats: its token value ids (exact in an `f32`), then its scalar features.
    /// `out` has [`TokenLayout::width`] floats.
    pub fn encode_tokens(&self, tokens: &TokenLayout, state: &[i32], out: &mut [f32]) {
        for field in &tokens.fields {
            let length = match field.sequence {
                true => state[field.base].max(0) as usize,
                false => field.rows,
            };
            let first = field.base + usize::from(field.sequence);
            for row in 0..field.rows {
                for column in 0..field.columns {
                    let id = if row < length {
                        let value = state[first + row * field.row_stride + column] - field.lo;
                        value.clamp(0, field.values as i32 - 1) as usize
                    } else {
                        field.values
                    };
                    out[field.first_token + row * field.columns + column] =
                        (field.first_value + id) as f32;
                }
            }
        }
        let layout = &self.program.layout;
        let mut written = tokens.tokens;
        for (base, shape) in &tokens.scalar_fields {
            written += layout.encode(*shape, state, *base as usize, &mut out[written..]);
        }
    }

    /// Many states (back to back) into rows of [`TokenLayout::width`].
    pub fn encode_tokens_batch(&self, tokens: &TokenLayout, states: &[i32], out: &mut [f32]) {
        let (w, e) = (self.width(), tokens.width());
        if e == 0 {
            return;
        }
        for (state, row) in states.chunks_exact(w).zip(out.chunks_exact_mut(e)) {
            self.encode_tokens(tokens, state, row);
        }
    }

    /// Per flat action (`stop` last), where its logit comes from: [`ActionHead::Tied`] when
    /// its family has an effect on `x[a]` (or `x[a][b]`) of a token field `x`, or inserts `a`
    /// into (or removes it from) a set field `x`, with `a` (and `b`) arguments of the family
    /// whose every value is a valid index (a member of the set's range); the columns of a
    /// tied family number the combinations of its other arguments (the last varying
    /// fastest). Every other action is [`ActionHead::Pooled`], its columns numbered in order.
    pub fn action_heads(&self, tokens: &TokenLayout) -> Vec<ActionHead> {
        let program = &self.program;
        let ties: Vec<Option<Tie>> = (0..program.families.len())
            .map(|family| self.family_tie(tokens, family))
            .collect();
        let mut heads = Vec::with_capacity(self.action_count());
        let mut pooled = 0;
        let mut within_family = 0;
        for (index, action) in program.actions.iter().enumerate() {
            if index > 0 && program.actions[index - 1].family != action.family {
                within_family = 0;
            }
            let head = ties[action.family]
                .as_ref()
                .and_then(|tie| tie.head(action.family, &action.args, within_family));
            heads.push(head.unwrap_or_else(|| {
                pooled += 1;
                ActionHead::Pooled { column: pooled - 1 }
            }));
            within_family += 1;
        }
        for _ in heads.len()..self.action_count() {
            heads.push(ActionHead::Pooled { column: pooled });
            pooled += 1;
        }
        heads
    }

    /// The columns of each family's tied head (0 for a family that is not tied), by family.
    pub fn tied_columns(&self, heads: &[ActionHead]) -> Vec<usize> {
        let mut columns = vec![0; self.program.families.len()];
        for head in heads {
            if let ActionHead::Tied { column, family, .. } = head {
                columns[*family] = columns[*family].max(column + 1);
            }
        }
        columns
    }

    /// How family `family` ties to a token field, if it does.
    fn family_tie(&self, tokens: &TokenLayout, family: usize) -> Option<Tie> {
        let code = &self.program.code;
        let domains = &self.program.families.get(family)?.domains;
        let argument = |place: &PlaceCode, step: usize| -> Option<usize> {
            match code.node(place.steps.get(step)?.index) {
                Node::Local(k) if (*k as usize) < domains.len() => Some(*k as usize),
                _ => None,
            }
        };
        self.program.families[family]
            .effects
            .iter()
            .find_map(|effect| {
                let place = &effect.place;
                let field = tokens.field(place.field)?;
                if let EffectOp::Insert(member) | EffectOp::Remove(member) = effect.op {
                    let row = match code.node(member) {
                        Node::Local(k)
                            if place.steps.is_empty() && (*k as usize) < domains.len() =>
                        {
                            *k as usize
                        }
                        _ => return None,
                    };
                    return Some(Tie {
                        field: field.clone(),
                        row,
                        column: None,
                        domains: domains.clone(),
                    });
                }
                let layout = &self.program.layout;
                scalar(layout, place.shape)?;
                let (row, column) = match (place.steps.len(), field.columns) {
                    (1, 1) => (argument(place, 0)?, None),
                    (2, _) if field.columns > 1 || !field.sequence => {
                        (argument(place, 0)?, Some(argument(place, 1)?))
                    }
                    _ => return None,
                };
                if Some(row) == column {
                    return None;
                }
                Some(Tie {
                    field: field.clone(),
                    row,
                    column,
                    domains: domains.clone(),
                })
            })
            .filter(|tie| tie.all_in_range(self, family))
    }
}

/// A family's tie: the token field it writes and which of its arguments index it.
struct Tie {
    field: TokenField,
    /// The argument that picks the row.
    row: usize,
    /// The argument that picks the column, for an array of arrays.
    column: Option<usize>,
    /// Each argument's number of values.
    domains: Vec<usize>,
}

impl Tie {
    /// The head of the family's `within`-th flat action, whose arguments are `args`.
    fn head(&self, family: usize, args: &[Val], within: usize) -> Option<ActionHead> {
        let index = |k: usize, lo: i32| match args.get(k) {
            Some(Val::Int(v)) => usize::try_from(*v - i64::from(lo)).ok(),
            _ => None,
        };
        let row = index(self.row, self.field.index_lo)?;
        let column = match self.column {
            Some(k) => index(k, 0)?,
            None => 0,
        };
        if row >= self.field.rows || column >= self.field.columns {
            return None;
        }
        // Positions of each argument in its domain, from the flat index (last fastest); the
        // tied arguments dropped, the others read as a mixed-radix number.
        let mut rest = within;
        let mut positions = vec![0; self.domains.len()];
        for (k, size) in self.domains.iter().enumerate().rev() {
            positions[k] = rest % size.max(&1);
            rest /= size.max(&1);
        }
        let mut head_column = 0;
        for (k, size) in self.domains.iter().enumerate() {
            if k != self.row && Some(k) != self.column {
                head_column = head_column * size + positions[k];
            }
        }
        Some(ActionHead::Tied {
            token: self.field.first_token + row * self.field.columns + column,
            column: head_column,
            family,
        })
    }

    /// Whether every flat action of the family indexes an element of the field.
    fn all_in_range(&self, env: &Environment, family: usize) -> bool {
        env.program
            .actions
            .iter()
            .enumerate()
            .filter(|(_, a)| a.family == family)
            .enumerate()
            .all(|(within, (_, a))| self.head(family, &a.args, within).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(source: &str) -> Environment {
        match Environment::from_source(source, &[]) {
            Ok(env) => env,
            Err(errors) => panic!("{errors:?}"),
        }
    }

    #[test]
    fn sequence_elements_are_tokens_and_scalars_are_one_hot() {
        let env = env("env t\nstate { s: seq<0..3, 3>, n: 0..2 }\naction push(v in 0..3) when len(s) < 3 { s.push(v) }\naction up() when n == 0 and len(s) == 3 { n += 1 }\ndone when n == 1\nreward 1.0\n");
        let tokens = env.token_layout();
        assert_eq!(tokens.tokens, 3);
        assert_eq!(tokens.vocabulary, 4);
        assert_eq!(tokens.scalars, 2);
        let state = [2, 1, 2, 0, 1];
        let mut out = vec![-1.0; tokens.width()];
        env.encode_tokens(&tokens, &state, &mut out);
        // Values 1 and 2 written, the third position empty (id 3); n = 1 one-hot.
        assert_eq!(out, vec![1.0, 2.0, 3.0, 0.0, 1.0]);
        let heads = env.action_heads(&tokens);
        assert!(heads.iter().all(|h| matches!(h, ActionHead::Pooled { .. })));
    }

    #[test]
    fn an_action_writing_its_argument_s_element_is_tied_to_that_token() {
        let env = env("env t\nstate { x: [0..3; 4], flag: bool }\naction put(i in 0..4, v in 1..3) when x[i] == 0 { x[i] = v }\naction raise() when not flag { flag = true }\ndone when flag\nreward 1.0\n");
        let tokens = env.token_layout();
        assert_eq!(tokens.tokens, 4);
        let heads = env.action_heads(&tokens);
        assert_eq!(heads.len(), 4 * 2 + 2);
        assert_eq!(
            heads[0],
            ActionHead::Tied {
                token: 0,
                column: 0,
                family: 0
            }
        );
        assert_eq!(
            heads[5],
            ActionHead::Tied {
                token: 2,
                column: 1,
                family: 0
            }
        );
        assert_eq!(heads[8], ActionHead::Pooled { column: 0 });
        assert_eq!(heads[9], ActionHead::Pooled { column: 1 });
        assert_eq!(env.tied_columns(&heads), vec![2, 0]);
    }

    #[test]
    fn a_matrix_is_flattened_row_by_row_and_tied_by_both_indices() {
        let env = env("env t\nparam N: int = 3\nstate { a: [[bool; N]; N] }\naction add(i in 0..N, j in 0..N) when not a[i][j] { a[i][j] = true }\ndone when a[0][0]\nreward 1.0\n");
        let tokens = env.token_layout();
        assert_eq!(tokens.tokens, 9);
        let heads = env.action_heads(&tokens);
        assert_eq!(
            heads[5],
            ActionHead::Tied {
                token: 5,
                column: 0,
                family: 0
            }
        );
        let mut state = vec![0; env.width()];
        state[3 + 2] = 1; // a[1][2]
        let mut out = vec![0.0; tokens.width()];
        env.encode_tokens(&tokens, &state, &mut out);
        assert_eq!(out[5], 1.0);
        assert_eq!(out.iter().sum::<f32>(), 1.0);
    }

    #[test]
    fn a_set_is_one_membership_token_per_possible_member_tied_by_the_member() {
        let env = env("env t\nstate { s: set<2..6>, n: 0..3 }\naction add(v in 2..6) when v not in s and len(s) < 2 { s.insert(v) }\naction drop(k in 0..2, v in 2..6) when v in s and n < 2 { s.remove(v)\n n += 1 }\nstop\nreward 1.0\n");
        let tokens = env.token_layout();
        assert_eq!(tokens.tokens, 4);
        assert_eq!(tokens.fields[0].index_lo, 2);
        assert_eq!(tokens.scalars, 3);
        let mut state = vec![0; env.width()];
        state[1] = 1; // 3 is a member
        state[3] = 1; // 5 is a member
        let mut out = vec![-1.0; tokens.width()];
        env.encode_tokens(&tokens, &state, &mut out);
        assert_eq!(out[..4], [0.0, 1.0, 0.0, 1.0]);
        let heads = env.action_heads(&tokens);
        // add(v): member v's token, one column.
        assert_eq!(
            heads[3],
            ActionHead::Tied {
                token: 3,
                column: 0,
                family: 0
            }
        );
        // drop(k, v): member v's token, column k (the argument that is not the member).
        assert_eq!(
            heads[4 + 4 + 1],
            ActionHead::Tied {
                token: 1,
                column: 1,
                family: 1
            }
        );
        assert_eq!(env.tied_columns(&heads), vec![1, 2]);
        assert!(matches!(
            heads.last(),
            Some(ActionHead::Pooled { column: 0 })
        ));
    }

    #[test]
    fn a_member_computed_from_the_arguments_is_not_tied() {
        let env = env("env t\nparam N: int = 3\nstate { e: set<0..N * N> }\naction connect(i in 0..N, j in 0..N) when i < j and (i * N + j) not in e { e.insert(i * N + j) }\nstop\nreward 1.0\n");
        let tokens = env.token_layout();
        assert_eq!(tokens.tokens, 9);
        let heads = env.action_heads(&tokens);
        assert!(heads.iter().all(|h| matches!(h, ActionHead::Pooled { .. })));
    }
}
