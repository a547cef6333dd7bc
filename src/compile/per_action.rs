//! Sub-expressions of an action family's code that read only constants and the family's
//! arguments, never the state, have one value per flat action: `any(k in 0..E: EDGES[k][0] == i)`
//! in a guard would otherwise scan the edge list in every mask of every state. Each maximal
//! one is evaluated here on the machine, once per value of the arguments it reads, and replaced
//! by a [`Node::PerAction`] that reads the value from a table. An evaluation that fails keeps
//! its error in the table, raised only when evaluation reaches the node, as the expression
//! itself would have raised it.

use crate::hir;
use crate::hir::Value;
use crate::ir::code::{ActionTable, Code, Node, NodeId, TableKey};
use crate::ir::layout::Layout;
use crate::ir::Val;
use crate::run::{Fault, FaultKind, Machine, Scratch, MAX_CONSTANT_WORK};

/// The most table entries of a whole program: 24 bytes each, so 12 MB at most, within which a
/// family of 65,536 actions still has eight tables over all its arguments.
pub const MAX_TABLE_ENTRIES: usize = 1 << 19;

/// The aggregate elements all precomputations of a program may visit (about a second, as for
/// a constant); past it, what remains is evaluated at run time as written.
pub const MAX_PRECOMPUTE_WORK: u64 = MAX_CONSTANT_WORK;

/// What a node reads: the state (or a scorer), and which locals of its frame.
#[derive(Clone, Copy, Default)]
struct Reads {
    state: bool,
    /// Bit `s` for local `s < 64`.
    locals: u64,
    /// A local from 64 up: such a node is left as it is.
    wide: bool,
}

impl Reads {
    fn union(self, other: Reads) -> Reads {
        Reads {
            state: self.state || other.state,
            locals: self.locals | other.locals,
            wide: self.wide || other.wide,
        }
    }

    fn local(slot: u32) -> Reads {
        match 1u64.checked_shl(slot) {
            Some(bit) => Reads {
                locals: bit,
                ..Reads::default()
            },
            None => Reads {
                wide: true,
                ..Reads::default()
            },
        }
    }
}

/// The budgets shared by every family of one program.
pub struct Precomputer {
    entries_left: usize,
    work_left: u64,
    /// Memo of [`Precomputer::reads`] by node (nodes are never shared between frames).
    reads: Vec<Option<Reads>>,
}

impl Default for Precomputer {
    fn default() -> Self {
        Precomputer {
            entries_left: MAX_TABLE_ENTRIES,
            work_left: MAX_PRECOMPUTE_WORK,
            reads: Vec::new(),
        }
    }
}

impl Precomputer {
    /// Replace the maximal argument-only sub-expressions under `roots`, the nodes one family
    /// evaluates with its arguments in locals `0..action.args.len()` of the top frame.
    pub fn family(
        &mut self,
        code: &mut Code,
        layout: &Layout,
        action: &hir::Action,
        roots: &[NodeId],
    ) {
        let keys = argument_keys(action);
        let mut visited = vec![false; code.nodes.len()];
        let mut pending: Vec<NodeId> = roots.to_vec();
        while let Some(id) = pending.pop() {
            if std::mem::replace(&mut visited[id.index()], true) {
                continue;
            }
            if !self.replace(code, layout, action, &keys, id) {
                pending.extend(code.children(id));
            }
        }
    }

    /// What `id` reads, following let calls into their bodies for the state only (a body's
    /// locals are its own frame's).
    fn reads(&mut self, code: &Code, id: NodeId) -> Reads {
        if self.reads.len() < code.nodes.len() {
            self.reads.resize(code.nodes.len(), None);
        }
        if let Some(known) = self.reads[id.index()] {
            return known;
        }
        let reads = match code.node(id) {
            Node::Extern(_) | Node::Field { .. } | Node::SlotAt { .. } => Reads {
                state: true,
                ..Reads::default()
            },
            Node::SlotCompare { slot, .. } => Reads {
                state: true,
                ..Reads::local(*slot)
            },
            Node::Const(_) => Reads::default(),
            Node::Local(slot) => Reads::local(*slot),
            Node::PerAction { table, .. } => code
                .tables
                .get(*table as usize)
                .map(|t| {
                    t.keys
                        .iter()
                        .fold(Reads::default(), |r, k| r.union(Reads::local(k.slot)))
                })
                .unwrap_or_default(),
            Node::Call { instance, args } => {
                let body = code.lets.get(*instance as usize).copied();
                let body_state = body.is_none_or(|b| self.reads(code, b).state);
                let mut reads = Reads {
                    state: body_state,
                    ..Reads::default()
                };
                for arg in code.list(*args).to_vec() {
                    reads = reads.union(self.reads(code, arg));
                }
                reads
            }
            Node::Aggregate {
                slot, domain, body, ..
            } => {
                let (slot, domain, body) = (*slot, *domain, *body);
                let mut inner = self.reads(code, body);
                match 1u64.checked_shl(slot) {
                    Some(bit) => inner.locals &= !bit,
                    // The variable itself cannot be told apart from a free local up there.
                    None => inner.wide = true,
                }
                self.reads(code, domain).union(inner)
            }
            _ => code
                .children(id)
                .into_iter()
                .fold(Reads::default(), |r, child| {
                    r.union(self.reads(code, child))
                }),
        };
        self.reads[id.index()] = Some(reads);
        reads
    }

    /// Replace `id` by a table read if it qualifies and every evaluation yields a value that can
    /// be kept; whether it was replaced.
    fn replace(
        &mut self,
        code: &mut Code,
        layout: &Layout,
        action: &hir::Action,
        keys: &[Option<ArgKey>],
        id: NodeId,
    ) -> bool {
        // A leaf is read as fast as a table.
        if matches!(
            code.node(id),
            Node::Const(_) | Node::Local(_) | Node::PerAction { .. }
        ) {
            return false;
        }
        let reads = self.reads(code, id);
        if reads.state || reads.wide || self.work_left == 0 {
            return false;
        }
        let mut used = Vec::new();
        for slot in 0..64u32 {
            if reads.locals & (1 << slot) == 0 {
                continue;
            }
            // A local past the arguments is an aggregate variable bound further out.
            match keys.get(slot as usize) {
                Some(Some(key)) => used.push((slot, key)),
                _ => return false,
            }
        }
        let size = used
            .iter()
            .try_fold(1usize, |n, (_, key)| n.checked_mul(key.len as usize));
        let Some(size) = size.filter(|n| *n <= self.entries_left) else {
            return false;
        };
        let Some(table) = self.evaluate(code, layout, action, &used, id, size) else {
            return false;
        };
        let float = Machine::new(code, layout).yields_float(id);
        self.entries_left -= size;
        code.tables.push(table);
        code.nodes[id.index()] = Node::PerAction {
            table: (code.tables.len() - 1) as u32,
            float,
        };
        true
    }

    /// The table of `id` over the arguments `used`, or `None` when a value cannot be kept (an
    /// array literal lives on the machine's stack) or the work budget runs out.
    fn evaluate(
        &mut self,
        code: &Code,
        layout: &Layout,
        action: &hir::Action,
        used: &[(u32, &ArgKey)],
        id: NodeId,
        size: usize,
    ) -> Option<ActionTable> {
        let mut keys = Vec::with_capacity(used.len());
        let mut stride = size;
        for (slot, key) in used {
            stride /= key.len as usize;
            keys.push(TableKey {
                slot: *slot,
                lo: key.lo,
                len: key.len,
                stride: stride as u32,
            });
        }
        // Positions no argument value reaches are never read; they say so if they ever are.
        let unreached = Fault {
            span: code.span(id),
            kind: FaultKind::Internal("an action argument outside its domain"),
        };
        let mut table = ActionTable {
            keys,
            entries: vec![Err(0); size],
            faults: vec![unreached],
        };
        let machine = Machine::new(code, layout);
        let state = vec![0; layout.width];
        let mut scratch = Scratch::default();
        // Arguments the node does not read keep a placeholder.
        let mut locals = vec![Val::Bool(false); action.args.len()];
        let mut digits = vec![0usize; used.len()];
        loop {
            let mut position = 0;
            for (((slot, key), digit), table_key) in used.iter().zip(&digits).zip(&table.keys) {
                let value = key.values[*digit];
                locals[*slot as usize] = value;
                position += key.position(value) * table_key.stride as usize;
            }
            scratch.start(&locals);
            scratch.limit_work(self.work_left);
            let result = machine.eval(id, &state, &mut scratch);
            self.work_left = scratch.work_left().unwrap_or(0);
            table.entries[position] = match result {
                Ok(Val::Stack { .. }) => return None,
                Ok(value) => Ok(value),
                Err(Fault {
                    kind: FaultKind::TooMuchWork,
                    ..
                }) => {
                    self.work_left = 0;
                    return None;
                }
                Err(fault) => {
                    table.faults.push(fault);
                    Err((table.faults.len() - 1) as u32)
                }
            };
            // The next combination, the last argument fastest.
            let mut k = used.len();
            loop {
                if k == 0 {
                    return Some(table);
                }
                k -= 1;
                digits[k] += 1;
                if digits[k] < used[k].1.values.len() {
                    break;
                }
                digits[k] = 0;
            }
        }
    }
}

/// How one action argument indexes a table: its distinct values, and the range they span.
struct ArgKey {
    values: Vec<Val>,
    lo: i64,
    len: u32,
}

impl ArgKey {
    fn position(&self, value: Val) -> usize {
        match value {
            Val::Int(v) => (v - self.lo) as usize,
            Val::Bool(b) => (i64::from(b) - self.lo) as usize,
            _ => 0,
        }
    }
}

/// Per argument, its key; `None` for a domain of other values than ints or bools, or of ints
/// too sparse to index densely (sub-expressions that read it stay as written).
fn argument_keys(action: &hir::Action) -> Vec<Option<ArgKey>> {
    action
        .args
        .iter()
        .map(|(_, domain)| {
            let mut ints = Vec::with_capacity(domain.len());
            for value in domain {
                ints.push(match value {
                    Value::Int(v) => *v,
                    Value::Bool(b) => i64::from(*b),
                    _ => return None,
                });
            }
            let bools = matches!(domain.first(), Some(Value::Bool(_)));
            ints.sort_unstable();
            ints.dedup();
            let (lo, hi) = (*ints.first()?, *ints.last()?);
            let span = hi.checked_sub(lo)?.checked_add(1)?;
            // Dense over the span: a few unused entries, not millions.
            if span > 4 * ints.len() as i64 + 16 {
                return None;
            }
            let values = ints
                .into_iter()
                .map(|v| {
                    if bools {
                        Val::Bool(v != 0)
                    } else {
                        Val::Int(v)
                    }
                })
                .collect();
            Some(ArgKey {
                values,
                lo,
                len: u32::try_from(span).ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::codes;
    use crate::env::{Environment, Workspace};
    use crate::ir::code::{Code, Node, NodeId};

    fn compile(source: &str) -> Environment {
        Environment::from_source(source, &[]).expect("compiles")
    }

    /// The nodes evaluated from `root` in its own frame.
    fn reachable(code: &Code, root: NodeId) -> Vec<NodeId> {
        let mut seen = vec![root];
        let mut k = 0;
        while k < seen.len() {
            seen.extend(code.children(seen[k]));
            k += 1;
        }
        seen
    }

    fn guard_nodes(env: &Environment) -> Vec<&Node> {
        let code = &env.program.code;
        let guard = env.program.families[0].guard.expect("a guard");
        reachable(code, guard)
            .into_iter()
            .map(|id| code.node(id))
            .collect()
    }

    /// Masks of `state` (as a list of allowed action names), or the error's code and the text
    /// its span covers.
    fn mask(env: &Environment, source: &str, state: &str) -> Result<Vec<String>, (String, String)> {
        let state = env.parse_state(state).expect("a state");
        let mut mask = vec![false; env.action_count()];
        match env.forward_mask(&state, &mut mask, &mut Workspace::default()) {
            Ok(()) => Ok((0..env.action_count())
                .filter(|a| mask[*a])
                .map(|a| env.action_name(a).to_string())
                .collect()),
            Err(e) => Err((
                e.code.to_string(),
                e.labels
                    .first()
                    .map(|l| l.span.text(source).to_string())
                    .unwrap_or_default(),
            )),
        }
    }

    #[test]
    fn a_scan_of_constant_data_becomes_a_table() {
        let env = compile(crate::bench::EDGE_LIST_DAG);
        let nodes = guard_nodes(&env);
        assert!(nodes.iter().any(|n| matches!(n, Node::PerAction { .. })));
        assert!(
            !nodes.iter().any(|n| matches!(n, Node::Aggregate { .. })),
            "the scan of EDGES is left in the guard"
        );
        // The scan depends on both arguments: one entry per flat action.
        let table = &env.program.code.tables[0];
        assert_eq!(table.entries.len(), 25);
        assert_eq!(table.keys.len(), 2);
    }

    #[test]
    fn a_table_is_indexed_by_the_arguments_read_only() {
        let source = "env t\nconst W = [5, 1, 4]\nstate { x: 0..20 }\naction add(i in 0..3, j in 0..4) when x + sum(k in 0..i + 1: W[k]) < 20 { x += j + 1 }\nstop\nreward 1.0";
        let env = compile(source);
        let tables = &env.program.code.tables;
        // The sum reads `i` alone; `j + 1` reads `j` alone.
        let sizes: Vec<usize> = tables.iter().map(|t| t.entries.len()).collect();
        assert!(sizes.contains(&3) && sizes.contains(&4), "{sizes:?}");
        assert_eq!(
            mask(&env, source, "x=10"),
            Ok([
                "add(i=0, j=0)",
                "add(i=0, j=1)",
                "add(i=0, j=2)",
                "add(i=0, j=3)",
                "add(i=1, j=0)",
                "add(i=1, j=1)",
                "add(i=1, j=2)",
                "add(i=1, j=3)",
                "stop"
            ]
            .map(String::from)
            .to_vec())
        );
    }

    #[test]
    fn errors_are_raised_only_where_evaluation_reaches_them() {
        let source = "env t\nconst A = [3, 0, 2]\nstate { x: 0..3 }\naction start when x == 0 { x = 1 }\naction go(i in 0..3) when x == 1 and 6 // A[i] >= 2 { x = 2 }\nstop\nreward 1.0";
        let env = compile(source);
        assert!(guard_nodes_of(&env, 1)
            .iter()
            .any(|n| matches!(n, Node::PerAction { .. })));
        // `x == 1` is false: the division is not reached.
        assert_eq!(
            mask(&env, source, "x=0"),
            Ok(vec!["start".to_string(), "stop".to_string()])
        );
        assert_eq!(mask(&env, source, "x=2"), Ok(vec!["stop".to_string()]));
        // Reached for go(i=1): the error of the division itself, where it is written.
        assert_eq!(
            mask(&env, source, "x=1"),
            Err((
                codes::env::DIVISION_BY_ZERO.to_string(),
                "6 // A[i]".to_string()
            ))
        );
        let source = "env t\nconst A = [3, 1]\nstate { x: 0..3 }\naction start when x == 0 { x = 1 }\naction go(i in 0..3) when x == 1 and 6 // A[i] >= 2 { x = 2 }\nstop\nreward 1.0";
        let env = compile(source);
        assert_eq!(
            mask(&env, source, "x=0"),
            Ok(vec!["start".to_string(), "stop".to_string()])
        );
        assert_eq!(
            mask(&env, source, "x=1"),
            Err((codes::env::INDEX_OUT_OF_RANGE.to_string(), "i".to_string()))
        );
    }

    fn guard_nodes_of(env: &Environment, family: usize) -> Vec<&Node> {
        let code = &env.program.code;
        let guard = env.program.families[family].guard.expect("a guard");
        reachable(code, guard)
            .into_iter()
            .map(|id| code.node(id))
            .collect()
    }

    #[test]
    fn work_beyond_the_budget_is_left_to_run_time() {
        // 8 × 2·10^6 aggregate elements: more than the budget, so at least one stays as written.
        let source = "env t\nstate { x: 0..3 }\naction go(i in 0..8) when x == 0 and any(k in 0..2000000: k == i * 200000 + 7) { x = 1 }\nstop\nreward 1.0";
        let env = compile(source);
        assert!(guard_nodes(&env)
            .iter()
            .any(|n| matches!(n, Node::Aggregate { .. })));
        let all: Vec<String> = (0..8)
            .map(|i| format!("go(i={i})"))
            .chain(["stop".to_string()])
            .collect();
        assert_eq!(mask(&env, source, "x=0"), Ok(all));
    }

    #[test]
    fn sparse_and_bool_domains() {
        // Holes in a dense span, a span too sparse for a table, and bools.
        let source = "env t\nconst W = [0, 1, 0, 1, 1, 0, 0]\nstate { x: 0..3 }\naction a(v in [6, 2, 4, 2], b in [true, false]) when x == 0 and W[v] + W[v - 1] == int(b) + 1 { x = 1 }\naction far(v in [1, 100000]) when x == 0 and (v * 3) % 2 == 1 { x = 2 }\nstop\nreward 1.0";
        let env = compile(source);
        assert!(guard_nodes_of(&env, 0)
            .iter()
            .any(|n| matches!(n, Node::PerAction { .. })));
        assert!(!guard_nodes_of(&env, 1)
            .iter()
            .any(|n| matches!(n, Node::PerAction { .. })));
        // W[6] + W[5] = 0, W[2] + W[1] = 1, W[4] + W[3] = 2.
        assert_eq!(
            mask(&env, source, "x=0"),
            Ok([
                "a(v=2, b=false)",
                "a(v=4, b=true)",
                "a(v=2, b=false)",
                "far(v=1)",
                "stop"
            ]
            .map(String::from)
            .to_vec())
        );
    }

    #[test]
    fn a_float_table_promotes_the_other_branch_of_an_if() {
        let source = "env t\nconst W = [0.5, 1.5]\nstate { x: 0..4 }\naction a(i in 0..2) when x < 3 and (if x == 0 then 1 else sum(k in 0..i + 1: W[k])) == 1.0 { x += 1 }\nstop\nreward 1.0";
        let env = compile(source);
        let nodes = guard_nodes(&env);
        assert!(nodes
            .iter()
            .any(|n| matches!(n, Node::PerAction { float: true, .. })));
        assert_eq!(
            mask(&env, source, "x=0"),
            Ok(["a(i=0)", "a(i=1)", "stop"].map(String::from).to_vec())
        );
        assert_eq!(
            mask(&env, source, "x=1"),
            Ok(["stop"].map(String::from).to_vec())
        );
    }
}
