//! Checked expressions → nodes of the [`Code`] arena: lets inlined where that evaluates
//! nothing twice, constant scalar subexpressions folded by running them on the one machine.

use crate::hir::Type;
use crate::hir::{self, BinaryOp, CompareOp, ExprKind};
use crate::ir::code::{Code, List, Node, NodeId};
use crate::ir::layout::{Layout, Shape};
use crate::ir::Val;
use crate::number::Number;
use crate::run::{Machine, Scratch};
use crate::span::Span;

/// Why an expression cannot be compiled.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    pub span: Span,
    pub message: String,
}

/// Compiles checked expressions into a [`Code`] arena.
pub struct Compiler<'a> {
    pub code: Code,
    layout: &'a Layout,
    lets: &'a [hir::LetInstance],
    /// Whether each let instance reads the state or its arguments (it is not constant then).
    let_is_pure: Vec<Option<bool>>,
    /// While a let body is inlined: the nodes its parameters stand for.
    substitutions: Vec<Vec<NodeId>>,
}

impl<'a> Compiler<'a> {
    pub fn new(lets: &'a [hir::LetInstance], layout: &'a Layout) -> Compiler<'a> {
        Compiler {
            code: Code::default(),
            layout,
            lets,
            let_is_pure: vec![None; lets.len()],
            substitutions: Vec::new(),
        }
    }

    /// Compile every let instance; calls refer to them by index.
    pub fn compile_lets(&mut self) -> Result<(), CompileError> {
        self.code.lets = vec![NodeId(0); self.lets.len()];
        for index in 0..self.lets.len() {
            let body = &self.lets[index].body;
            let id = self.expr(body)?;
            self.code.lets[index] = id;
        }
        Ok(())
    }

    fn push(&mut self, node: Node, span: Span) -> NodeId {
        self.code.nodes.push(node);
        self.code.spans.push(span);
        NodeId((self.code.nodes.len() - 1) as u32)
    }

    fn push_list(&mut self, ids: &[NodeId]) -> List {
        let start = self.code.lists.len() as u32;
        self.code.lists.extend_from_slice(ids);
        (start, ids.len() as u32)
    }

    /// Compile one expression, folding it if it is constant and scalar.
    pub fn expr(&mut self, e: &hir::Expr) -> Result<NodeId, CompileError> {
        let id = self.expr_unfolded(e)?;
        if self.is_constant(e) && matches!(e.ty, Type::Bool | Type::Int | Type::Float) {
            let machine = Machine::new(&self.code, self.layout);
            let mut scratch = Scratch::default();
            // A failure is left to happen at run time, where the error names the state.
            if let Ok(value) = machine.eval(id, &[], &mut scratch) {
                self.code.nodes[id.index()] = Node::Const(value);
            }
        }
        Ok(id)
    }

    /// A let call is inlined when its body declares no variables of its own (an aggregate's
    /// slot would collide with the caller's) and every argument is a leaf, so that using a
    /// parameter twice evaluates nothing twice.
    fn inlinable(&self, body: &hir::Expr, args: &[NodeId]) -> bool {
        fn declares_variables(e: &hir::Expr) -> bool {
            match &e.kind {
                ExprKind::Aggregate { .. } => true,
                ExprKind::Const(_)
                | ExprKind::Field(_)
                | ExprKind::Local(_)
                | ExprKind::Extern(_) => false,
                ExprKind::Let(_, args) | ExprKind::Builtin(_, args) | ExprKind::Array(args) => {
                    args.iter().any(declares_variables)
                }
                ExprKind::Unary(_, a) | ExprKind::Repeat(a, _) => declares_variables(a),
                ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                    declares_variables(a) || declares_variables(b)
                }
                ExprKind::Compare(a, rest) => {
                    declares_variables(a) || rest.iter().any(|(_, r)| declares_variables(r))
                }
                ExprKind::If(c, a, b) => {
                    declares_variables(c) || declares_variables(a) || declares_variables(b)
                }
                ExprKind::Range { lo, hi, .. } => declares_variables(lo) || declares_variables(hi),
            }
        }
        let leaf = |id: &NodeId| {
            matches!(
                self.code.node(*id),
                Node::Const(_) | Node::Local(_) | Node::Field { .. }
            )
        };
        !declares_variables(body) && args.iter().all(leaf)
    }

    /// `field[i] op k` with `i` a local and `k` an int constant, the shape of most guards,
    /// becomes one node; other comparisons stay general.
    fn compare_node(&self, op: CompareOp, a: NodeId, b: NodeId) -> Node {
        if let (
            Node::SlotAt {
                base,
                stride,
                len,
                index,
                ..
            },
            Node::Const(Val::Int(k)),
        ) = (self.code.node(a), self.code.node(b))
        {
            if let Node::Local(slot) = self.code.node(*index) {
                if !matches!(op, CompareOp::In | CompareOp::NotIn) {
                    return Node::SlotCompare {
                        base: *base,
                        stride: *stride,
                        len: *len,
                        slot: *slot,
                        op,
                        rhs: *k,
                        index: *index,
                    };
                }
            }
        }
        Node::Compare(op, a, b)
    }

    /// Whether an expression reads neither the state nor a local (so it can be folded).
    fn is_constant(&mut self, e: &hir::Expr) -> bool {
        match &e.kind {
            ExprKind::Const(_) => true,
            ExprKind::Field(_) | ExprKind::Extern(_) => false,
            ExprKind::Local(slot) => match self.substitutions.last() {
                Some(arguments) => matches!(self.code.node(arguments[*slot]), Node::Const(_)),
                None => false,
            },
            ExprKind::Let(index, args) => {
                args.iter().all(|a| self.is_constant(a)) && args.is_empty() && self.let_pure(*index)
            }
            ExprKind::Unary(_, a) => self.is_constant(a),
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                self.is_constant(a) && self.is_constant(b)
            }
            ExprKind::Compare(first, rest) => {
                self.is_constant(first) && rest.iter().all(|(_, r)| self.is_constant(r))
            }
            ExprKind::If(c, a, b) => {
                self.is_constant(c) && self.is_constant(a) && self.is_constant(b)
            }
            ExprKind::Builtin(_, args) | ExprKind::Array(args) => {
                args.iter().all(|a| self.is_constant(a))
            }
            ExprKind::Repeat(v, _) => self.is_constant(v),
            ExprKind::Range { lo, hi, .. } => self.is_constant(lo) && self.is_constant(hi),
            // The body reads its own variable, a local: only a constant domain and a body that
            // reads nothing else would fold, which the checker's folding already covers.
            ExprKind::Aggregate { .. } => false,
        }
    }

    fn let_pure(&mut self, index: usize) -> bool {
        if let Some(pure) = self.let_is_pure[index] {
            return pure;
        }
        self.let_is_pure[index] = Some(false);
        let body = self.lets[index].body.clone();
        let pure = self.is_constant(&body);
        self.let_is_pure[index] = Some(pure);
        pure
    }

    fn expr_unfolded(&mut self, e: &hir::Expr) -> Result<NodeId, CompileError> {
        let span = e.span;
        let float = e.ty == Type::Float;
        let node = match &e.kind {
            ExprKind::Const(value) => {
                let mut val = self.code.constant(value);
                if let (Val::Int(i), true) = (val, float) {
                    val = Val::Num(Number::from(i));
                }
                Node::Const(val)
            }
            ExprKind::Extern(index) => Node::Extern(*index as u32),
            ExprKind::Field(index) => {
                let (base, shape) = self.layout.fields[*index];
                Node::Field { base, shape }
            }
            ExprKind::Local(slot) => match self.substitutions.last() {
                Some(arguments) => return Ok(arguments[*slot]),
                None => Node::Local(*slot as u32),
            },
            ExprKind::Let(instance, args) => {
                let ids = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let body = &self.lets[*instance].body;
                if self.inlinable(body, &ids) {
                    // The body is compiled in place with its parameters read from the argument
                    // nodes: no frame to push, and constant folding sees through the call.
                    self.substitutions.push(ids);
                    let inlined = self.expr(body);
                    self.substitutions.pop();
                    return inlined;
                }
                let args = self.push_list(&ids);
                Node::Call {
                    instance: *instance as u32,
                    args,
                }
            }
            ExprKind::Unary(hir::UnaryOp::Neg, a) => Node::Neg(self.expr(a)?),
            ExprKind::Unary(hir::UnaryOp::Not, a) => Node::Not(self.expr(a)?),
            ExprKind::Binary(op, a, b) => {
                let both_int = a.ty == Type::Int && b.ty == Type::Int;
                let (x, y) = (self.expr(a)?, self.expr(b)?);
                match op {
                    BinaryOp::And => Node::And(x, y),
                    BinaryOp::Or => Node::Or(x, y),
                    BinaryOp::Div => Node::Num(*op, x, y),
                    _ if both_int => Node::Int(*op, x, y),
                    _ => Node::Num(*op, x, y),
                }
            }
            ExprKind::Compare(..) => self.lower_compare(e)?,
            ExprKind::If(c, a, b) => Node::If(self.expr(c)?, self.expr(a)?, self.expr(b)?),
            ExprKind::Index(..) => self.lower_index(e)?,
            ExprKind::Builtin(function, args) => {
                let ids = args
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let args = self.push_list(&ids);
                Node::Builtin {
                    function: *function,
                    args,
                    float,
                }
            }
            ExprKind::Array(..) => self.lower_array(e)?,
            ExprKind::Repeat(..) => self.lower_repeat(e)?,
            ExprKind::Range { lo, hi, inclusive } => Node::Range {
                lo: self.expr(lo)?,
                hi: self.expr(hi)?,
                inclusive: *inclusive,
            },
            ExprKind::Aggregate { .. } => self.lower_aggregate(e)?,
        };
        Ok(self.push(node, span))
    }

    /// Lower a `compare` expression to its node.
    fn lower_compare(&mut self, e: &hir::Expr) -> Result<Node, CompileError> {
        let span = e.span;
        let node = match &e.kind {
            ExprKind::Compare(first, rest) => {
                let first_id = self.expr(first)?;
                let mut pairs = Vec::with_capacity(rest.len());
                for (op, operand) in rest {
                    pairs.push((*op, self.expr(operand)?));
                }
                if let [(op, second)] = pairs.as_slice() {
                    self.compare_node(*op, first_id, *second)
                } else {
                    let start = self.code.chains.len() as u32;
                    self.code.chains.extend(pairs.iter().copied());
                    Node::Chain {
                        first: first_id,
                        rest: (start, pairs.len() as u32),
                    }
                }
            }
            _ => {
                return Err(CompileError {
                    span,
                    message: "internal: a node lowered by the wrong function".to_string(),
                })
            }
        };
        Ok(node)
    }

    /// Lower an `index` expression to its node.
    fn lower_index(&mut self, e: &hir::Expr) -> Result<Node, CompileError> {
        let span = e.span;
        let node = match &e.kind {
            ExprKind::Index(base, index) => {
                let base_id = self.expr(base)?;
                let index_id = self.expr(index)?;
                match self.code.node(base_id) {
                    Node::Field { base: slot, shape } => match self.layout.shape(*shape) {
                        Shape::Array {
                            element,
                            len,
                            stride,
                        } if matches!(
                            self.layout.shape(*element),
                            Shape::Bool | Shape::Int { .. }
                        ) =>
                        {
                            Node::SlotAt {
                                base: *slot,
                                stride: *stride,
                                len: *len,
                                element: *element,
                                index: index_id,
                            }
                        }
                        _ => Node::Index {
                            base: base_id,
                            index: index_id,
                        },
                    },
                    _ => Node::Index {
                        base: base_id,
                        index: index_id,
                    },
                }
            }
            _ => {
                return Err(CompileError {
                    span,
                    message: "internal: a node lowered by the wrong function".to_string(),
                })
            }
        };
        Ok(node)
    }

    /// Lower an `array` expression to its node.
    fn lower_array(&mut self, e: &hir::Expr) -> Result<Node, CompileError> {
        let span = e.span;
        let node = match &e.kind {
            ExprKind::Array(items) => {
                let element_is_scalar = matches!(&e.ty, Type::Array(t, _) if matches!(**t, Type::Bool | Type::Int | Type::Float | Type::Error));
                if !element_is_scalar && !self.is_constant(e) {
                    return Err(CompileError {
                        span,
                        message: "arrays of arrays built from the state are not supported; use a const or index the field directly".to_string(),
                    });
                }
                let element_float = matches!(&e.ty, Type::Array(t, _) if **t == Type::Float);
                let ids = items
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let items = self.push_list(&ids);
                Node::Array {
                    items,
                    float: element_float,
                }
            }
            _ => {
                return Err(CompileError {
                    span,
                    message: "internal: a node lowered by the wrong function".to_string(),
                })
            }
        };
        Ok(node)
    }

    /// Lower a `repeat` expression to its node.
    fn lower_repeat(&mut self, e: &hir::Expr) -> Result<Node, CompileError> {
        let span = e.span;
        let node = match &e.kind {
            ExprKind::Repeat(value, count) => {
                if !matches!(value.ty, Type::Bool | Type::Int | Type::Float)
                    && !self.is_constant(value)
                {
                    return Err(CompileError {
                        span,
                        message: "repeated arrays of arrays built from the state are not supported"
                            .to_string(),
                    });
                }
                Node::Repeat {
                    value: self.expr(value)?,
                    count: *count as u32,
                }
            }
            _ => {
                return Err(CompileError {
                    span,
                    message: "internal: a node lowered by the wrong function".to_string(),
                })
            }
        };
        Ok(node)
    }

    /// Lower an `aggregate` expression to its node.
    fn lower_aggregate(&mut self, e: &hir::Expr) -> Result<Node, CompileError> {
        let span = e.span;
        let float = e.ty == Type::Float;
        let node = match &e.kind {
            ExprKind::Aggregate {
                function,
                slot,
                domain,
                body,
            } => Node::Aggregate {
                function: *function,
                slot: *slot as u32,
                domain: self.expr(domain)?,
                body: self.expr(body)?,
                float,
            },
            _ => {
                return Err(CompileError {
                    span,
                    message: "internal: a node lowered by the wrong function".to_string(),
                })
            }
        };
        Ok(node)
    }
}
