//! The expressions of a lowered program: a flat arena of typed nodes indexed by small ids, with
//! their spans, argument lists and a pool of constant collections. Lowering fills it
//! ([`crate::compile`]); the machine runs it ([`crate::run`]).

use super::fault::Fault;
use super::layout::ShapeId;
use super::Val;
use crate::hir::Value;
use crate::hir::{Aggregate, BinaryOp, Builtin, CompareOp};
use crate::span::Span;

/// A node of [`Code::nodes`]; a type of its own so that it cannot be mixed up with a shape, a
/// slot or a list index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// `n75`, as the listing of a program names its nodes.
impl std::fmt::Debug for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl NodeId {
    /// Its position in the arena.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A list of node ids in [`Code::lists`]: `(start, len)`.
pub type List = (u32, u32);

#[derive(Clone, Debug)]
pub enum Node {
    /// The answer of external scorer `k` for the state being evaluated, handed to the machine
    /// in [`crate::run::Scratch`] by the environment.
    Extern(u32),
    Const(Val),
    /// A field: a scalar read (bool, int) or a region (array, set, sequence).
    Field {
        base: u32,
        shape: ShapeId,
    },
    /// `field[index]` of an array field whose elements are scalars: the hot path of most guards.
    SlotAt {
        base: u32,
        stride: u32,
        len: u32,
        element: ShapeId,
        index: NodeId,
    },
    Local(u32),
    /// A sub-expression that reads only constants and the action's arguments, evaluated at
    /// compile time for each value of the arguments it reads: entry `table` of [`Code::tables`].
    /// `float` is whether the expression it stands for yields a float (an `if` promotes its
    /// other branch then).
    PerAction {
        table: u32,
        float: bool,
    },
    /// `field[local] op constant` on an int array: a guard in one node. `index` is the local's
    /// node, kept for error spans.
    SlotCompare {
        base: u32,
        stride: u32,
        len: u32,
        slot: u32,
        op: CompareOp,
        rhs: i64,
        index: NodeId,
    },
    Call {
        instance: u32,
        args: List,
    },
    Neg(NodeId),
    Not(NodeId),
    /// Arithmetic on two ints.
    Int(BinaryOp, NodeId, NodeId),
    /// Arithmetic on numbers (ints promote).
    Num(BinaryOp, NodeId, NodeId),
    And(NodeId, NodeId),
    Or(NodeId, NodeId),
    /// A single comparison `a op b`.
    Compare(CompareOp, NodeId, NodeId),
    /// A chain `a op b op c ...`: the first operand, then pairs in [`Code::chains`].
    Chain {
        first: NodeId,
        rest: List,
    },
    If(NodeId, NodeId, NodeId),
    Index {
        base: NodeId,
        index: NodeId,
    },
    Builtin {
        function: Builtin,
        args: List,
        float: bool,
    },
    Array {
        items: List,
        float: bool,
    },
    Repeat {
        value: NodeId,
        count: u32,
    },
    Range {
        lo: NodeId,
        hi: NodeId,
        inclusive: bool,
    },
    Aggregate {
        function: Aggregate,
        slot: u32,
        domain: NodeId,
        body: NodeId,
        float: bool,
    },
}

/// The compiled expressions of one environment.
#[derive(Clone, Debug, Default)]
pub struct Code {
    pub nodes: Vec<Node>,
    pub spans: Vec<Span>,
    pub lists: Vec<NodeId>,
    pub chains: Vec<(CompareOp, NodeId)>,
    /// Constant collections: each entry is the elements of one array.
    pub pool: Vec<Vec<Val>>,
    /// The body of each let instance.
    pub lets: Vec<NodeId>,
    /// The precomputed values [`Node::PerAction`] reads.
    pub tables: Vec<ActionTable>,
}

/// The values of one expression for every value of the action arguments it reads. Errors are
/// kept, not raised: evaluation raises one only when it reaches the expression, as it would
/// have raised it evaluating the expression itself.
#[derive(Clone, Debug)]
pub struct ActionTable {
    /// The arguments read, the last varying fastest: each is one digit of an entry's position.
    pub keys: Vec<TableKey>,
    /// Per position: the value, or the index in `faults` of the error the evaluation raised.
    pub entries: Vec<Result<Val, u32>>,
    /// The errors of `entries`; the first is that of positions no argument value reaches.
    pub faults: Vec<Fault>,
}

/// One argument of an [`ActionTable`]: local `slot` holds an int (or bool, as 0 and 1) `v`
/// with `lo <= v < lo + len`, which moves the position by `(v - lo) * stride`.
#[derive(Clone, Copy, Debug)]
pub struct TableKey {
    pub slot: u32,
    pub lo: i64,
    pub len: u32,
    pub stride: u32,
}

impl Code {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn span(&self, id: NodeId) -> Span {
        self.spans[id.index()]
    }

    pub fn list(&self, (start, len): List) -> &[NodeId] {
        &self.lists[start as usize..(start + len) as usize]
    }

    /// The nodes a node evaluates directly; a let call's arguments, not the let's body.
    pub fn children(&self, id: NodeId) -> Vec<NodeId> {
        match self.node(id) {
            Node::Extern(_)
            | Node::Const(_)
            | Node::Field { .. }
            | Node::Local(_)
            | Node::PerAction { .. } => Vec::new(),
            Node::SlotAt { index, .. } | Node::SlotCompare { index, .. } => vec![*index],
            Node::Call { args, .. }
            | Node::Builtin { args, .. }
            | Node::Array { items: args, .. } => self.list(*args).to_vec(),
            Node::Neg(a) | Node::Not(a) | Node::Repeat { value: a, .. } => vec![*a],
            Node::Int(_, a, b)
            | Node::Num(_, a, b)
            | Node::And(a, b)
            | Node::Or(a, b)
            | Node::Compare(_, a, b)
            | Node::Index { base: a, index: b }
            | Node::Range { lo: a, hi: b, .. }
            | Node::Aggregate {
                domain: a, body: b, ..
            } => vec![*a, *b],
            Node::Chain { first, rest } => {
                let (start, len) = *rest;
                std::iter::once(*first)
                    .chain(
                        self.chains[start as usize..(start + len) as usize]
                            .iter()
                            .map(|(_, operand)| *operand),
                    )
                    .collect()
            }
            Node::If(c, a, b) => vec![*c, *a, *b],
        }
    }

    /// A constant value (scalar, or a collection put into the pool).
    pub fn constant(&mut self, value: &Value) -> Val {
        match value {
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(i) => Val::Int(*i),
            Value::Float(n) => Val::Num(*n),
            Value::Array(items) | Value::Seq(items) => {
                let items: Vec<Val> = items.iter().map(|v| self.constant(v)).collect();
                self.pool.push(items);
                Val::Pool((self.pool.len() - 1) as u32)
            }
            Value::Set(members) => {
                let items = members.iter().map(|m| Val::Int(*m)).collect();
                self.pool.push(items);
                Val::Pool((self.pool.len() - 1) as u32)
            }
        }
    }
}
