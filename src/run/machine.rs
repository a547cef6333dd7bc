//! Evaluates compiled nodes on a state. Values are small `Copy` scalars or references to
//! collections (a region of the state, a pooled constant, or array-literal elements on a scratch
//! stack), so evaluation allocates nothing once the scratch buffers have grown.

use crate::hir::{Aggregate, Builtin, CompareOp};
use crate::ir::code::{Code, Node, NodeId};
use crate::ir::fault::{Fault, FaultKind};
use crate::ir::layout::Layout;
use crate::ir::Val;
use crate::number::{int, ArithError, Number};
use crate::ops;
use crate::span::Span;

/// Reusable buffers of an evaluation: locals (frames of action arguments, let parameters and
/// aggregate variables) and the elements of array literals.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    pub locals: Vec<Val>,
    /// The scorers' answers for the state being evaluated (see [`Node::Extern`]).
    pub externs: Vec<f64>,
    pub(super) base: usize,
    pub(super) stack: Vec<Val>,
    /// With a budget, the aggregate elements an evaluation may still visit.
    pub(super) work_left: Option<u64>,
    /// The values of let calls already evaluated on one state.
    memo: LetMemo,
}

/// Let calls evaluated once per state: `px(k)` used by every `free(d)` and every
/// `contact(a, b)` is computed once for each `k`, so a helper written for the problem costs
/// what the hand-optimised state would. Keyed by the let instance and its arguments (ints and
/// bools; other arguments are not remembered), valid for the state whose slots it holds.
#[derive(Clone, Debug, Default)]
struct LetMemo {
    /// The state the values were computed on.
    state: Vec<i32>,
    /// Whether `state` was compared with the state of the current top-level evaluation
    /// ([`Scratch::start`] clears it), and the slice it was compared with.
    checked: Option<(usize, usize)>,
    values: std::collections::HashMap<MemoKey, Val, MemoHasher>,
}

/// A let instance and up to [`MEMO_ARGS`] int arguments (bools as 0 and 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MemoKey {
    instance: u32,
    args: [i64; MEMO_ARGS],
}

// By hand: the derived hash of an array hashes its bytes one call at a time.
impl std::hash::Hash for MemoKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.instance));
        for arg in self.args {
            state.write_u64(arg as u64);
        }
    }
}

/// Calls with more arguments than this are evaluated every time.
const MEMO_ARGS: usize = 4;

/// Values remembered for one state, at most: a let over a wide domain must not make each
/// state's memo grow without bound.
const MEMO_CAPACITY: usize = 1 << 16;

/// A multiply-xorshift hasher for memo keys: the default SipHash costs more than the small
/// let bodies it would save.
#[derive(Clone, Copy, Debug, Default)]
struct MemoHasher;

impl std::hash::BuildHasher for MemoHasher {
    type Hasher = MemoHash;
    fn build_hasher(&self) -> MemoHash {
        MemoHash(0x9e37_79b9_7f4a_7c15)
    }
}

struct MemoHash(u64);

impl std::hash::Hasher for MemoHash {
    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 ^= self.0 >> 32;
    }
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

impl LetMemo {
    /// Make the memo hold values of `state`: forget them if it was filled on another one.
    /// The slots are compared once per top-level evaluation (and again if the slice moves).
    fn on(&mut self, state: &[i32]) {
        let at = (state.as_ptr() as usize, state.len());
        if self.checked == Some(at) {
            return;
        }
        if self.state != state {
            self.values.clear();
            self.state.clear();
            self.state.extend_from_slice(state);
        }
        self.checked = Some(at);
    }
}

impl Scratch {
    /// Array-literal elements on the stack.
    pub fn stack_slice(&self, start: u32, len: u32) -> &[Val] {
        &self.stack[start as usize..(start + len) as usize]
    }

    /// Limit the aggregate elements the evaluations that follow may visit in all.
    pub fn limit_work(&mut self, elements: u64) {
        self.work_left = Some(elements);
    }

    /// The aggregate elements the evaluations may still visit, under [`Scratch::limit_work`].
    pub fn work_left(&self) -> Option<u64> {
        self.work_left
    }

    /// Start a top-level evaluation with these locals (action arguments). Every evaluation on
    /// a state starts here: the let memo then checks that its values are of that state.
    pub fn start(&mut self, args: &[Val]) {
        self.locals.clear();
        self.locals.extend_from_slice(args);
        self.base = 0;
        self.stack.clear();
        self.memo.checked = None;
    }
}

/// The memo key of a let call: its instance and its arguments, when they are few ints or bools.
fn memo_key(instance: u32, args: &[Val]) -> Option<MemoKey> {
    if args.len() > MEMO_ARGS {
        return None;
    }
    let mut key = [0i64; MEMO_ARGS];
    for (slot, arg) in key.iter_mut().zip(args) {
        *slot = match arg {
            Val::Int(i) => *i,
            Val::Bool(b) => i64::from(*b),
            _ => return None,
        };
    }
    Some(MemoKey {
        instance,
        args: key,
    })
}

/// Evaluates the nodes of one [`Code`] over states laid out by one [`Layout`].
pub struct Machine<'a> {
    pub code: &'a Code,
    pub layout: &'a Layout,
}

pub(super) fn fault<T>(span: Span, kind: FaultKind) -> Result<T, Fault> {
    Err(Fault { span, kind })
}

fn arith<T>(span: Span, r: Result<T, ArithError>) -> Result<T, Fault> {
    r.map_err(|e| Fault {
        span,
        kind: FaultKind::Arith(e),
    })
}

impl<'a> Machine<'a> {
    pub fn new(code: &'a Code, layout: &'a Layout) -> Machine<'a> {
        Machine { code, layout }
    }

    pub(super) fn internal<T>(&self, node: NodeId, what: &'static str) -> Result<T, Fault> {
        fault(self.code.span(node), FaultKind::Internal(what))
    }

    /// Evaluate and convert, reporting a value of the wrong kind (a checker bug) as internal.
    fn eval_as<T>(
        &self,
        node: NodeId,
        state: &[i32],
        scratch: &mut Scratch,
        convert: fn(Val) -> Option<T>,
        what: &'static str,
    ) -> Result<T, Fault> {
        match convert(self.eval(node, state, scratch)?) {
            Some(value) => Ok(value),
            None => self.internal(node, what),
        }
    }

    /// Evaluate to a bool.
    pub fn eval_bool(
        &self,
        node: NodeId,
        state: &[i32],
        scratch: &mut Scratch,
    ) -> Result<bool, Fault> {
        let bool_of = |v| match v {
            Val::Bool(b) => Some(b),
            _ => None,
        };
        self.eval_as(
            node,
            state,
            scratch,
            bool_of,
            "a condition that is not a bool",
        )
    }

    /// Evaluate to an int.
    pub fn eval_int(
        &self,
        node: NodeId,
        state: &[i32],
        scratch: &mut Scratch,
    ) -> Result<i64, Fault> {
        let int_of = |v| match v {
            Val::Int(i) => Some(i),
            _ => None,
        };
        self.eval_as(node, state, scratch, int_of, "an int was expected")
    }

    /// Evaluate to a number (ints promote).
    pub fn eval_number(
        &self,
        node: NodeId,
        state: &[i32],
        scratch: &mut Scratch,
    ) -> Result<Number, Fault> {
        let number_of = |v| match v {
            Val::Int(i) => Some(Number::from(i)),
            Val::Num(n) => Some(n),
            _ => None,
        };
        self.eval_as(node, state, scratch, number_of, "a number was expected")
    }

    /// Evaluate a node on a state.
    #[inline]
    pub fn eval(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        // Leaves are read here, without the call into the general evaluator.
        match self.code.node(id) {
            Node::Const(v) => Ok(*v),
            Node::Local(slot) => match scratch.locals.get(scratch.base + *slot as usize) {
                Some(v) => Ok(*v),
                None => self.internal(id, "an unbound local"),
            },
            Node::PerAction { table, .. } => self.per_action(id, *table, scratch),
            _ => self.eval_node(id, state, scratch),
        }
    }

    /// A precomputed value: the entry of the arguments in the locals, or the error evaluating
    /// the expression raised for them.
    #[inline]
    fn per_action(&self, id: NodeId, table: u32, scratch: &Scratch) -> Result<Val, Fault> {
        let Some(table) = self.code.tables.get(table as usize) else {
            return self.internal(id, "a missing table");
        };
        let mut position = 0usize;
        for key in &table.keys {
            let digit = match scratch.locals.get(scratch.base + key.slot as usize) {
                Some(Val::Int(v)) => v.wrapping_sub(key.lo),
                Some(Val::Bool(b)) => i64::from(*b).wrapping_sub(key.lo),
                _ => return self.internal(id, "a table read without its arguments"),
            };
            match usize::try_from(digit) {
                Ok(digit) if digit < key.len as usize => position += digit * key.stride as usize,
                _ => return self.internal(id, "an argument outside its table"),
            }
        }
        match table.entries.get(position) {
            Some(Ok(value)) => Ok(*value),
            Some(Err(k)) => match table.faults.get(*k as usize) {
                Some(fault) => Err(fault.clone()),
                None => self.internal(id, "a missing fault"),
            },
            None => self.internal(id, "a position outside its table"),
        }
    }

    fn eval_node(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        let span = || self.code.span(id);
        match self.code.node(id) {
            Node::Const(v) => Ok(*v),
            Node::Extern(k) => match scratch.externs.get(*k as usize) {
                Some(v) => Ok(Val::Num(Number::from(*v))),
                None => self.internal(id, "a scorer's answer was not given"),
            },
            Node::Field { base, shape } => self.read_slot(state, *base as usize, *shape, id),
            Node::SlotAt { .. } => self.eval_slot_at(id, state, scratch),
            Node::Local(slot) => match scratch.locals.get(scratch.base + *slot as usize) {
                Some(v) => Ok(*v),
                None => self.internal(id, "an unbound local"),
            },
            Node::PerAction { table, .. } => self.per_action(id, *table, scratch),
            Node::SlotCompare { .. } => self.eval_slot_compare(id, state, scratch),
            Node::Call { .. } => self.eval_call(id, state, scratch),
            Node::Neg(a) => match self.eval(*a, state, scratch)? {
                Val::Int(i) => Ok(Val::Int(arith(span(), int::neg(i))?)),
                Val::Num(n) => Ok(Val::Num(-n)),
                _ => self.internal(id, "negation of a non-number"),
            },
            Node::Not(a) => Ok(Val::Bool(!self.eval_bool(*a, state, scratch)?)),
            Node::Int(op, a, b) => {
                let x = self.eval_int(*a, state, scratch)?;
                let y = self.eval_int(*b, state, scratch)?;
                match ops::int_binary(*op, x, y) {
                    Some(r) => Ok(Val::Int(arith(span(), r)?)),
                    None => self.internal(id, "an integer operator"),
                }
            }
            Node::Num(op, a, b) => {
                let x = self.eval_number(*a, state, scratch)?;
                let y = self.eval_number(*b, state, scratch)?;
                match ops::number_binary(*op, x, y) {
                    Some(r) => Ok(Val::Num(arith(span(), r)?)),
                    None => self.internal(id, "a float operator"),
                }
            }
            Node::And(a, b) => Ok(Val::Bool(
                self.eval_bool(*a, state, scratch)? && self.eval_bool(*b, state, scratch)?,
            )),
            Node::Or(a, b) => Ok(Val::Bool(
                self.eval_bool(*a, state, scratch)? || self.eval_bool(*b, state, scratch)?,
            )),
            Node::Compare(op, a, b) => {
                let x = self.eval(*a, state, scratch)?;
                let y = self.eval(*b, state, scratch)?;
                Ok(Val::Bool(self.compare(*op, x, y, state, scratch, id)?))
            }
            Node::Chain { .. } => self.eval_chain(id, state, scratch),
            Node::If(c, a, b) => {
                let branch = if self.eval_bool(*c, state, scratch)? {
                    *a
                } else {
                    *b
                };
                let v = self.eval(branch, state, scratch)?;
                Ok(match (v, self.code.node(id)) {
                    (Val::Int(i), _) if self.is_float(id) => Val::Num(Number::from(i)),
                    (v, _) => v,
                })
            }
            Node::Index { .. } => self.eval_index(id, state, scratch),
            Node::Builtin {
                function,
                args,
                float,
            } => self.builtin(id, *function, *args, *float, state, scratch),
            Node::Array { .. } => self.eval_array(id, state, scratch),
            Node::Repeat { .. } => self.eval_repeat(id, state, scratch),
            Node::Range { lo, hi, inclusive } => {
                let lo = self.eval_int(*lo, state, scratch)?;
                let hi = self.eval_int(*hi, state, scratch)?;
                let hi = if *inclusive { hi.saturating_add(1) } else { hi };
                Ok(Val::Range { lo, hi })
            }
            Node::Aggregate {
                function,
                slot,
                domain,
                body,
                float,
            } => self.aggregate(id, *function, *slot, *domain, *body, *float, state, scratch),
        }
    }

    fn eval_slot_at(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        match self.code.node(id) {
            Node::SlotAt {
                base,
                stride,
                len,
                element,
                index,
            } => {
                let i = self.eval_int(*index, state, scratch)?;
                let i = self.position(i, *len as usize, *index)?;
                self.read_slot(state, *base as usize + i * *stride as usize, *element, id)
            }
            _ => self.internal(id, "not a SlotAt node"),
        }
    }

    /// An index as a position in a collection of `len`, or the fault of the expression `index`.
    #[inline]
    fn position(&self, i: i64, len: usize, index: NodeId) -> Result<usize, Fault> {
        match usize::try_from(i) {
            Ok(k) if k < len => Ok(k),
            _ => fault(
                self.code.span(index),
                FaultKind::IndexOutOfRange { index: i, len },
            ),
        }
    }

    fn eval_slot_compare(
        &self,
        id: NodeId,
        state: &[i32],
        scratch: &mut Scratch,
    ) -> Result<Val, Fault> {
        match self.code.node(id) {
            Node::SlotCompare {
                base,
                stride,
                len,
                slot,
                op,
                rhs,
                index,
            } => {
                let i = match scratch.locals.get(scratch.base + *slot as usize) {
                    Some(Val::Int(i)) => *i,
                    _ => return self.internal(id, "an unbound local"),
                };
                let i = self.position(i, *len as usize, *index)?;
                let x = i64::from(
                    state
                        .get(*base as usize + i * *stride as usize)
                        .copied()
                        .unwrap_or(0),
                );
                match ops::int_compare(*op, x, *rhs) {
                    Some(holds) => Ok(Val::Bool(holds)),
                    None => self.internal(id, "membership in an int"),
                }
            }
            _ => self.internal(id, "not a SlotCompare node"),
        }
    }

    fn eval_call(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        match self.code.node(id) {
            Node::Call { instance, args } => {
                let new_base = scratch.locals.len();
                for arg in self.code.list(*args) {
                    let v = self.eval(*arg, state, scratch)?;
                    scratch.locals.push(v);
                }
                let key = memo_key(*instance, &scratch.locals[new_base..]);
                if let Some(key) = &key {
                    scratch.memo.on(state);
                    if let Some(value) = scratch.memo.values.get(key) {
                        scratch.locals.truncate(new_base);
                        return Ok(*value);
                    }
                }
                let saved = scratch.base;
                scratch.base = new_base;
                let result = self.eval(self.code.lets[*instance as usize], state, scratch);
                scratch.base = saved;
                scratch.locals.truncate(new_base);
                // Values on the scratch stack do not outlive the evaluation; errors are raised
                // again where they happen, with their own state.
                if let (Some(key), Ok(value)) = (key, &result) {
                    if !matches!(value, Val::Stack { .. })
                        && scratch.memo.values.len() < MEMO_CAPACITY
                    {
                        scratch.memo.values.insert(key, *value);
                    }
                }
                result
            }
            _ => self.internal(id, "not a Call node"),
        }
    }

    fn eval_chain(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        match self.code.node(id) {
            Node::Chain { first, rest } => {
                let mut left = self.eval(*first, state, scratch)?;
                let (start, len) = *rest;
                for k in start..start + len {
                    let (op, operand) = self.code.chains[k as usize];
                    let right = self.eval(operand, state, scratch)?;
                    if !self.compare(op, left, right, state, scratch, id)? {
                        return Ok(Val::Bool(false));
                    }
                    left = right;
                }
                Ok(Val::Bool(true))
            }
            _ => self.internal(id, "not a Chain node"),
        }
    }

    fn eval_index(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        match self.code.node(id) {
            Node::Index { base, index } => {
                let collection = self.eval(*base, state, scratch)?;
                let i = self.eval_int(*index, state, scratch)?;
                let n = self.positions(collection, state, id)?;
                let i = self.position(i, n, *index)?;
                match self.element(collection, i, state, scratch, id)? {
                    Some(v) => Ok(v),
                    None => self.internal(id, "indexing a set"),
                }
            }
            _ => self.internal(id, "not a Index node"),
        }
    }

    fn eval_array(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        match self.code.node(id) {
            Node::Array { items, float } => {
                let start = scratch.stack.len();
                for (k, item) in self.code.list(*items).iter().enumerate() {
                    let mut v = self.eval(*item, state, scratch)?;
                    if let (Val::Int(i), true) = (v, *float) {
                        v = Val::Num(Number::from(i));
                    }
                    // Temporaries an element left on the stack are dropped: elements are scalars.
                    scratch.stack.truncate(start + k);
                    scratch.stack.push(v);
                }
                Ok(Val::Stack {
                    start: start as u32,
                    len: items.1,
                })
            }
            _ => self.internal(id, "not a Array node"),
        }
    }

    fn eval_repeat(&self, id: NodeId, state: &[i32], scratch: &mut Scratch) -> Result<Val, Fault> {
        match self.code.node(id) {
            Node::Repeat { value, count } => {
                let v = self.eval(*value, state, scratch)?;
                let start = scratch.stack.len();
                scratch
                    .stack
                    .extend(std::iter::repeat_n(v, *count as usize));
                Ok(Val::Stack {
                    start: start as u32,
                    len: *count,
                })
            }
            _ => self.internal(id, "not a Repeat node"),
        }
    }

    fn is_float(&self, id: NodeId) -> bool {
        // An `if` mixing int and float branches: the checker typed it float, and the branch
        // that is a float constant or float operation tells us so.
        match self.code.node(id) {
            Node::If(_, a, b) => [*a, *b].iter().any(|branch| self.yields_float(*branch)),
            _ => false,
        }
    }

    /// Whether a node yields a float, as far as its kind tells.
    pub(crate) fn yields_float(&self, id: NodeId) -> bool {
        match self.code.node(id) {
            Node::Const(Val::Num(_)) | Node::Num(..) => true,
            Node::Builtin { float, .. }
            | Node::Aggregate { float, .. }
            | Node::PerAction { float, .. } => *float,
            Node::If(_, a, b) => self.yields_float(*a) || self.yields_float(*b),
            _ => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn aggregate(
        &self,
        id: NodeId,
        function: Aggregate,
        slot: u32,
        domain: NodeId,
        body: NodeId,
        float: bool,
        state: &[i32],
        scratch: &mut Scratch,
    ) -> Result<Val, Fault> {
        let collection = self.eval(domain, state, scratch)?;
        let positions = self.positions(collection, state, id)?;
        let local = scratch.base + slot as usize;
        if scratch.locals.len() <= local {
            scratch.locals.resize(local + 1, Val::Bool(false));
        }
        let mut int_acc: i64 = match function {
            Aggregate::Prod => 1,
            _ => 0,
        };
        let mut num_acc = Number::from(int_acc);
        let mut best: Option<Val> = None;
        let span = self.code.span(id);
        if let Some(left) = scratch.work_left.as_mut() {
            // A budgeted evaluation (a constant) counts the elements its aggregates visit.
            *left = left.saturating_sub(positions as u64);
            if *left == 0 {
                return fault(span, FaultKind::TooMuchWork);
            }
        }
        for position in 0..positions {
            let Some(element) = self.element(collection, position, state, scratch, id)? else {
                continue;
            };
            scratch.locals[local] = element;
            let v = self.eval(body, state, scratch)?;
            match function {
                Aggregate::Sum | Aggregate::Prod => match (v, float) {
                    (Val::Int(i), false) => {
                        int_acc = arith(
                            span,
                            if function == Aggregate::Sum {
                                int::add(int_acc, i)
                            } else {
                                int::mul(int_acc, i)
                            },
                        )?;
                    }
                    (v, _) => {
                        let n = number(v);
                        num_acc = if function == Aggregate::Sum {
                            num_acc + n
                        } else {
                            num_acc * n
                        };
                    }
                },
                Aggregate::Count => int_acc += i64::from(matches!(v, Val::Bool(true))),
                Aggregate::All if matches!(v, Val::Bool(false)) => return Ok(Val::Bool(false)),
                Aggregate::Any if matches!(v, Val::Bool(true)) => return Ok(Val::Bool(true)),
                Aggregate::All | Aggregate::Any => {}
                Aggregate::Min | Aggregate::Max => {
                    let keep = match best {
                        None => false,
                        Some(b) => {
                            let op = if function == Aggregate::Min {
                                CompareOp::Le
                            } else {
                                CompareOp::Ge
                            };
                            self.compare(op, b, v, state, scratch, id)?
                        }
                    };
                    if !keep {
                        best = Some(v);
                    }
                }
            }
        }
        Ok(match function {
            Aggregate::Sum | Aggregate::Prod if float => Val::Num(num_acc),
            Aggregate::Sum | Aggregate::Prod => Val::Int(int_acc),
            Aggregate::Count => Val::Int(int_acc),
            Aggregate::All => Val::Bool(true),
            Aggregate::Any => Val::Bool(false),
            Aggregate::Min | Aggregate::Max => match best {
                Some(Val::Int(i)) if float => Val::Num(Number::from(i)),
                Some(v) => v,
                None => return fault(span, FaultKind::EmptyAggregate),
            },
        })
    }

    fn builtin(
        &self,
        id: NodeId,
        function: Builtin,
        args: (u32, u32),
        float: bool,
        state: &[i32],
        scratch: &mut Scratch,
    ) -> Result<Val, Fault> {
        let ids = self.code.list(args);
        let Some(&first_id) = ids.first() else {
            return self.internal(id, "a builtin without arguments");
        };
        let span = self.code.span(id);
        let first = self.eval(first_id, state, scratch)?;
        if let Some(result) = ops::unary_builtin(function, first) {
            return arith(span, result);
        }
        match function {
            Builtin::Len => Ok(Val::Int(self.length(first, state, id)?)),
            Builtin::Min | Builtin::Max => {
                let mut pick = first;
                for &next in &ids[1..] {
                    let next = self.eval(next, state, scratch)?;
                    match ops::extremum(function, pick, next) {
                        Some(v) => pick = v,
                        None => return self.internal(id, "min/max of a non-number"),
                    }
                }
                Ok(match pick {
                    Val::Int(i) if float => Val::Num(Number::from(i)),
                    v => v,
                })
            }
            Builtin::Reachable => {
                let (Some(&from), Some(&to)) = (ids.get(1), ids.get(2)) else {
                    return self.internal(id, "reachable without two nodes");
                };
                let from = self.eval_int(from, state, scratch)?;
                let to = self.eval_int(to, state, scratch)?;
                let graph = self.graph(first, state, scratch, id)?;
                Ok(Val::Bool(graph.reachable(
                    self.position(from, graph.nodes, ids[1])?,
                    self.position(to, graph.nodes, ids[2])?,
                )))
            }
            Builtin::Acyclic => Ok(Val::Bool(self.graph(first, state, scratch, id)?.acyclic())),
            _ => self.internal(id, "a built-in of one argument left to the machine"),
        }
    }
}

pub use crate::ops::number;
