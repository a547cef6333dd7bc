//! The one table of built-in names: functions, aggregates, the checker's special forms, methods
//! and effect methods, each with its arity, signature and a one-line doc.
//!
//! Name resolution ([`Builtin::from_name`], [`Aggregate::from_name`]), reserved names, the
//! "did you mean" suggestions and the language server's hover all read [`TABLE`]; the tests
//! below pin that `docs/reference.md` and the VS Code grammar mention every entry.

use super::{Aggregate, Builtin};

/// How a built-in is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A function over values, `f(x)`, evaluated by `ops.rs` or the machine.
    Function(Builtin),
    /// An aggregate, `f(i in D: e)` or `f(collection)`; with a function form too when
    /// `function` is set (`min(a, b)`).
    Aggregate {
        /// The aggregate.
        aggregate: Aggregate,
        /// The function of the same name, if any.
        function: Option<Builtin>,
    },
    /// A form the checker handles itself (`load`, `extern`, `adjacency`), not a value at run time.
    Special,
    /// A method in an expression, `c.len()`.
    Method,
    /// A method that is an effect, `S.insert(e)`.
    Effect,
}

/// How many arguments a built-in takes: `least..=most`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    /// The fewest arguments.
    pub least: usize,
    /// The most arguments; [`Arity::MANY`] for no limit.
    pub most: usize,
}

impl Arity {
    /// No upper limit.
    pub const MANY: usize = usize::MAX;

    /// Exactly `n` arguments.
    pub const fn exactly(n: usize) -> Arity {
        Arity { least: n, most: n }
    }

    /// `n` arguments or more.
    pub const fn at_least(n: usize) -> Arity {
        Arity {
            least: n,
            most: Arity::MANY,
        }
    }

    /// Whether `n` arguments are accepted.
    pub fn accepts(self, n: usize) -> bool {
        (self.least..=self.most).contains(&n)
    }

    /// "1 argument", "3 arguments", "at least 2 arguments", "1 to 3 arguments".
    pub fn describe(self) -> String {
        let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
        if self.least == self.most {
            format!("{} {}", self.least, plural(self.least))
        } else if self.most == Arity::MANY {
            format!("at least {} {}", self.least, plural(self.least))
        } else {
            format!("{} to {} arguments", self.least, self.most)
        }
    }
}

/// One built-in name.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The name as written in a `.gfn` file.
    pub name: &'static str,
    /// How it is used.
    pub kind: Kind,
    /// Its arguments when called as a function or method (an aggregate's: its function form's,
    /// or 1 for the collection).
    pub arity: Arity,
    /// Whether a file may not define this name (`gfn::check::reserved_name`).
    pub reserved: bool,
    /// How it is called, as shown on hover: `min(a, b, ...)`.
    pub signature: &'static str,
    /// What it means, in one line.
    pub doc: &'static str,
}

impl Entry {
    /// The hover line: signature and meaning.
    pub fn describe(&self) -> String {
        format!("{}: {}", self.signature, self.doc)
    }

    /// The function this name calls, if it is one.
    pub fn builtin(&self) -> Option<Builtin> {
        match self.kind {
            Kind::Function(builtin) => Some(builtin),
            Kind::Aggregate { function, .. } => function,
            _ => None,
        }
    }

    /// The aggregate this name is, if it is one.
    pub fn aggregate(&self) -> Option<Aggregate> {
        match self.kind {
            Kind::Aggregate { aggregate, .. } => Some(aggregate),
            _ => None,
        }
    }

    /// Whether it is called as `name(...)` (a function, aggregate or special form).
    pub fn is_called(&self) -> bool {
        !matches!(self.kind, Kind::Method | Kind::Effect)
    }
}

const fn function(
    name: &'static str,
    builtin: Builtin,
    arity: Arity,
    signature: &'static str,
    doc: &'static str,
) -> Entry {
    Entry {
        name,
        kind: Kind::Function(builtin),
        arity,
        reserved: true,
        signature,
        doc,
    }
}

const fn unary(
    name: &'static str,
    builtin: Builtin,
    signature: &'static str,
    doc: &'static str,
) -> Entry {
    function(name, builtin, Arity::exactly(1), signature, doc)
}

const fn aggregate(
    name: &'static str,
    aggregate: Aggregate,
    function: Option<Builtin>,
    arity: Arity,
    signature: &'static str,
    doc: &'static str,
) -> Entry {
    Entry {
        name,
        kind: Kind::Aggregate {
            aggregate,
            function,
        },
        arity,
        reserved: true,
        signature,
        doc,
    }
}

const fn unreserved(entry: Entry) -> Entry {
    Entry {
        reserved: false,
        ..entry
    }
}

const fn special(
    name: &'static str,
    arity: Arity,
    signature: &'static str,
    doc: &'static str,
) -> Entry {
    Entry {
        name,
        kind: Kind::Special,
        arity,
        reserved: false,
        signature,
        doc,
    }
}

const fn method(
    name: &'static str,
    kind: Kind,
    arity: Arity,
    signature: &'static str,
    doc: &'static str,
) -> Entry {
    Entry {
        name,
        kind,
        arity,
        reserved: false,
        signature,
        doc,
    }
}

const ONE: Arity = Arity::exactly(1);
const NONE: Arity = Arity::exactly(0);

/// Every built-in name. `len` and `size` are one function; methods and effects come last.
pub const TABLE: &[Entry] = &[
    unary(
        "abs",
        Builtin::Abs,
        "abs(x)",
        "the absolute value; keeps the argument's type",
    ),
    unary("exp", Builtin::Exp, "exp(x)", "e to the power x, a float"),
    unary(
        "log",
        Builtin::Log,
        "log(x)",
        "the natural logarithm, a float; an error for x <= 0",
    ),
    unary(
        "sqrt",
        Builtin::Sqrt,
        "sqrt(x)",
        "the square root; exact for exact perfect squares, an error for x < 0",
    ),
    unary(
        "sin",
        Builtin::Sin,
        "sin(x)",
        "the sine of x in radians, a float",
    ),
    unary(
        "cos",
        Builtin::Cos,
        "cos(x)",
        "the cosine of x in radians, a float",
    ),
    unary(
        "tanh",
        Builtin::Tanh,
        "tanh(x)",
        "the hyperbolic tangent, a float",
    ),
    unary("floor", Builtin::Floor, "floor(x)", "the greatest int <= x"),
    unary("ceil", Builtin::Ceil, "ceil(x)", "the least int >= x"),
    unary(
        "round",
        Builtin::Round,
        "round(x)",
        "the nearest int; halves round to even, as in Python",
    ),
    unary(
        "float",
        Builtin::Float,
        "float(x)",
        "a number or bool as a float (true is 1)",
    ),
    unary(
        "int",
        Builtin::Int,
        "int(x)",
        "a number truncated toward zero, or a bool as 0/1",
    ),
    unary(
        "len",
        Builtin::Len,
        "len(c) / size(c)",
        "the number of elements of an array, set or sequence",
    ),
    unary(
        "size",
        Builtin::Len,
        "len(c) / size(c)",
        "the number of elements of an array, set or sequence",
    ),
    aggregate(
        "sum",
        Aggregate::Sum,
        None,
        ONE,
        "sum(i in D: e) or sum(c)",
        "the sum of numbers over a domain or collection",
    ),
    aggregate(
        "prod",
        Aggregate::Prod,
        None,
        ONE,
        "prod(i in D: e) or prod(c)",
        "the product of numbers over a domain or collection",
    ),
    aggregate(
        "min",
        Aggregate::Min,
        Some(Builtin::Min),
        Arity::at_least(2),
        "min(a, b, ...), min(c) or min(i in D: e)",
        "the least number",
    ),
    aggregate(
        "max",
        Aggregate::Max,
        Some(Builtin::Max),
        Arity::at_least(2),
        "max(a, b, ...), max(c) or max(i in D: e)",
        "the greatest number",
    ),
    aggregate(
        "all",
        Aggregate::All,
        None,
        ONE,
        "all(i in D: e) or all(c)",
        "whether every bool is true (true when empty)",
    ),
    aggregate(
        "any",
        Aggregate::Any,
        None,
        ONE,
        "any(i in D: e) or any(c)",
        "whether some bool is true (false when empty)",
    ),
    aggregate(
        "count",
        Aggregate::Count,
        None,
        ONE,
        "count(i in D: e) or count(c)",
        "how many bools are true, an int",
    ),
    unreserved(function(
        "reachable",
        Builtin::Reachable,
        Arity::exactly(3),
        "reachable(adj, i, j)",
        "a directed path of one edge or more from i to j in the square adjacency matrix adj",
    )),
    unreserved(unary(
        "acyclic",
        Builtin::Acyclic,
        "acyclic(adj)",
        "the square adjacency matrix has no directed cycle (self-loops included)",
    )),
    special(
        "adjacency",
        Arity::exactly(2),
        "adjacency(N, EDGES)",
        "the [[bool; N]; N] matrix of a constant edge list [[from, to], ...]",
    ),
    special(
        "load",
        ONE,
        "load(\"PATH\")",
        "a numeric table (.csv, .json, .npy) read when the file is checked, relative to its folder",
    ),
    special(
        "extern",
        ONE,
        "extern(\"COMMAND\")",
        "a reward computed by an external program (reward item only; see docs/scorers.md)",
    ),
    method(
        "len",
        Kind::Method,
        NONE,
        "c.len() / c.size()",
        "the number of elements, as len(c)",
    ),
    method(
        "size",
        Kind::Method,
        NONE,
        "c.len() / c.size()",
        "the number of elements, as len(c)",
    ),
    method(
        "contains",
        Kind::Method,
        ONE,
        "S.contains(e)",
        "membership, as `e in S`",
    ),
    method(
        "insert",
        Kind::Effect,
        ONE,
        "S.insert(e)",
        "effect; adds e to the set field S",
    ),
    method(
        "remove",
        Kind::Effect,
        ONE,
        "S.remove(e)",
        "effect; removes e from the set field S",
    ),
    method(
        "push",
        Kind::Effect,
        ONE,
        "Q.push(e)",
        "effect; appends e to the sequence field Q",
    ),
    method(
        "pop",
        Kind::Effect,
        NONE,
        "Q.pop()",
        "effect; removes the last element of the sequence field Q",
    ),
];

/// Type words: reserved like the functions, but not built-ins.
pub const TYPE_WORDS: &[&str] = &["int", "float", "bool", "set", "seq"];

/// The entry for `name` called as `name(...)`, if any.
pub fn called(name: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.is_called() && e.name == name)
}

/// The entry for the method `.name(...)`, in an expression or as an effect, if any.
pub fn method_named(name: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| !e.is_called() && e.name == name)
}

/// The names of the entries of one kind, in table order.
pub fn names_where(keep: impl Fn(&Entry) -> bool) -> impl Iterator<Item = &'static str> {
    TABLE.iter().filter(move |e| keep(e)).map(|e| e.name)
}

/// The names a file may not define: reserved built-ins and type words, each once.
pub fn reserved() -> impl Iterator<Item = &'static str> {
    let builtins = names_where(|e| e.reserved && e.is_called());
    builtins.chain(
        TYPE_WORDS
            .iter()
            .copied()
            .filter(|w| !TABLE.iter().any(|e| e.reserved && e.name == *w)),
    )
}

/// The names of the aggregates, in table order.
pub fn aggregates() -> impl Iterator<Item = &'static str> {
    names_where(|e| e.aggregate().is_some())
}

/// The names of the methods usable in expressions, in table order.
pub fn methods() -> impl Iterator<Item = &'static str> {
    names_where(|e| e.kind == Kind::Method)
}

/// The names of the effect methods, in table order.
pub fn effects() -> impl Iterator<Item = &'static str> {
    names_where(|e| e.kind == Kind::Effect)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: &str = include_str!("../../docs/reference.md");
    const GRAMMAR: &str = include_str!("../../editors/vscode/syntaxes/gfn.tmLanguage.json");

    #[test]
    fn names_resolve_to_their_entries() {
        for entry in TABLE {
            if let Some(builtin) = entry.builtin() {
                assert_eq!(
                    Builtin::from_name(entry.name),
                    Some(builtin),
                    "{}",
                    entry.name
                );
            }
            if let Some(aggregate) = entry.aggregate() {
                assert_eq!(
                    Aggregate::from_name(entry.name),
                    Some(aggregate),
                    "{}",
                    entry.name
                );
            }
            assert!(entry.describe().starts_with(entry.signature));
        }
        assert_eq!(Builtin::from_name("size"), Some(Builtin::Len));
        assert!(called("bool").is_none());
    }

    #[test]
    fn the_reference_mentions_every_entry_and_lists_the_reserved_names() {
        for entry in TABLE {
            let written = if entry.is_called() {
                format!("{}(", entry.name)
            } else {
                format!(".{}(", entry.name)
            };
            assert!(
                REFERENCE.contains(&written),
                "docs/reference.md never shows `{written}`"
            );
        }
        let flat = REFERENCE.split_whitespace().collect::<Vec<_>>().join(" ");
        let marker = "(`gfn::check::reserved_name`): `";
        let listed = flat
            .split_once(marker)
            .and_then(|(_, rest)| rest.split('`').next())
            .unwrap_or("");
        let mut listed: Vec<&str> = listed.split(' ').collect();
        let mut reserved: Vec<&str> = reserved().collect();
        listed.sort_unstable();
        reserved.sort_unstable();
        assert_eq!(listed, reserved, "docs/reference.md's reserved names");
    }

    #[test]
    fn the_editor_grammar_highlights_every_entry() {
        let grammar: serde_json::Value = serde_json::from_str(GRAMMAR).expect("JSON");
        let patterns = grammar["repository"]["builtins"]["patterns"]
            .as_array()
            .expect("a `builtins` entry with patterns");
        let words = |index: usize| -> Vec<String> {
            let regex = patterns[index]["match"].as_str().unwrap_or("");
            let inner = regex
                .split('(')
                .nth(if index == 0 { 1 } else { 2 })
                .unwrap_or("");
            let inner = inner.trim_start_matches("?:");
            let inner = inner.split(')').next().unwrap_or("");
            inner.split('|').map(str::to_string).collect()
        };
        let (functions, methods) = (words(0), words(1));
        for entry in TABLE {
            let list = if entry.is_called() {
                &functions
            } else {
                &methods
            };
            assert!(
                list.iter().any(|w| w == entry.name),
                "the VS Code grammar does not highlight `{}` ({:?})",
                entry.name,
                list
            );
        }
    }
}
