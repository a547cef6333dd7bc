//! Source text → [`Program`]: pest parses with `grammar/gfn.pest`, then one function per rule
//! turns pairs into AST nodes. Nothing a user writes can make this panic: limits on size and
//! nesting are checked, and a pair the grammar should have produced but did not becomes an
//! internal diagnostic instead of an `unwrap`.

use super::ast::*;
use super::errors::syntax_error;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use pest::iterators::Pair;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/gfn.pest"]
pub(super) struct GfnParser;

/// Files larger than this are refused: a `.gfn` file is a page or two of text.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Brackets nested deeper than this are refused before parsing.
pub const MAX_BRACKET_DEPTH: usize = 64;
/// The deepest expression tree accepted (operators chained or nested without brackets count).
pub const MAX_EXPR_DEPTH: u32 = 256;

/// Parse a whole file (on a thread with enough stack; see `crate::stack`).
#[cfg(test)]
pub fn parse(source: &str) -> Result<Program, Diagnostic> {
    crate::stack::with_large_stack(|| parse_here(source).map_err(|d| vec![d])).map_err(|mut d| {
        d.pop().unwrap_or_else(|| {
            Diagnostic::new(codes::parse::INTERNAL, "internal error: no diagnostic")
        })
    })
}

/// Parse a whole file on the current thread, which must have a large stack.
pub(crate) fn parse_here(source: &str) -> Result<Program, Diagnostic> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Diagnostic::new(
            codes::parse::TOO_LARGE,
            format!(
                "the file is {} bytes; at most {} are accepted",
                source.len(),
                MAX_SOURCE_BYTES
            ),
        )
        .label(Span::new(0, 0), "file starts here")
        .help("a .gfn file describes one environment in a few dozen lines; generate data with params and consts instead"));
    }
    check_bracket_depth(source)?;
    pest::set_error_detail(true);
    let mut pairs =
        GfnParser::parse(Rule::program, source).map_err(|e| syntax_error(source, &e))?;
    let program = pairs
        .next()
        .ok_or_else(|| grammar_bug(Span::new(0, source.len()), "a program"))?;
    Converter { depth: 0 }.program(program)
}

/// Refuse deeply nested brackets up front, so that neither the parser nor the recursive
/// conversion below can exhaust the stack.
fn check_bracket_depth(source: &str) -> Result<(), Diagnostic> {
    let mut open: Vec<usize> = Vec::new();
    let mut in_comment = false;
    for (offset, byte) in source.bytes().enumerate() {
        match byte {
            b'\n' => in_comment = false,
            _ if in_comment => {}
            b'#' => in_comment = true,
            b'(' | b'[' | b'{' => {
                open.push(offset);
                if open.len() > MAX_BRACKET_DEPTH {
                    return Err(Diagnostic::new(
                        codes::parse::TOO_DEEP,
                        format!("brackets nest more than {MAX_BRACKET_DEPTH} levels deep"),
                    )
                    .label(Span::new(offset, offset + 1), "this bracket is too deep")
                    .help("name intermediate values with `let` to flatten the expression"));
                }
            }
            b')' | b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
    }
    Ok(())
}

/// An internal error: the grammar promised a pair that is not there.
#[track_caller]
pub(super) fn grammar_bug(span: Span, what: &str) -> Diagnostic {
    let location = std::panic::Location::caller();
    Diagnostic::new(
        codes::parse::INTERNAL,
        format!(
            "internal error: expected {what} here (parser {}:{})",
            location.file(),
            location.line()
        ),
    )
    .label(span, "the parser did not expect this")
    .help("this is a bug in gfnc; please report it with this file")
}

/// Children of a pair, with keyword tokens (kept by the grammar only for error messages) left out.
pub(super) fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

pub(super) fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_env
            | Rule::kw_param
            | Rule::kw_const
            | Rule::kw_let
            | Rule::kw_action
            | Rule::kw_when
            | Rule::kw_by
            | Rule::kw_stop
            | Rule::kw_done
            | Rule::kw_reward
            | Rule::kw_log_reward
            | Rule::kw_mode
            | Rule::kw_if
            | Rule::kw_then
            | Rule::kw_else
            | Rule::kw_in
            | Rule::kw_and
            | Rule::kw_or
    )
}

/// The next child, which the grammar guarantees.
#[track_caller]
pub(super) fn next<'i>(
    pairs: &mut impl Iterator<Item = Pair<'i, Rule>>,
    parent: Span,
    what: &str,
) -> Result<Pair<'i, Rule>, Diagnostic> {
    pairs.next().ok_or_else(|| grammar_bug(parent, what))
}

pub(super) fn ident(pair: Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: pair.as_span().into(),
    }
}

/// Tracks how deep the expression tree being built is, counted before recursing.
pub(super) struct Converter {
    depth: u32,
}

impl Converter {
    pub(super) fn enter(&mut self, levels: u32, span: Span) -> Result<(), Diagnostic> {
        self.depth += levels;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(Diagnostic::new(
                codes::parse::TOO_DEEP,
                format!("this expression nests more than {MAX_EXPR_DEPTH} operations deep"),
            )
            .label(span, "too deep")
            .help("split it into named parts with `let`"));
        }
        Ok(())
    }

    pub(super) fn leave(&mut self, levels: u32) {
        self.depth -= levels;
    }

    fn program(&mut self, pair: Pair<'_, Rule>) -> Result<Program, Diagnostic> {
        let mut items = Vec::new();
        for child in pair.into_inner() {
            if child.as_rule() != Rule::EOI {
                items.push(self.item(child)?);
            }
        }
        Ok(Program { items })
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Result<Item, Diagnostic> {
        let span: Span = pair.as_span().into();
        let rule = pair.as_rule();
        let keyword = match pair.clone().into_inner().next() {
            Some(first) if is_keyword(first.as_rule()) => first.as_span().into(),
            _ => Span::new(span.start as usize, span.start as usize + 5),
        };
        let mut parts = children(pair);
        let kind = match rule {
            Rule::env_item => ItemKind::Env(ident(next(&mut parts, span, "a name")?)),
            Rule::param_item => {
                let name = ident(next(&mut parts, span, "a name")?);
                let ty_pair = next(&mut parts, span, "a type")?;
                let ty_span: Span = ty_pair.as_span().into();
                let mut dims = Vec::new();
                let mut level = ty_pair.clone();
                let ty = loop {
                    let mut inner = children(level);
                    let first = next(&mut inner, ty_span, "a type")?;
                    if first.as_rule() == Rule::param_scalar {
                        break match first.as_str().trim() {
                            "int" => ParamType::Int,
                            "float" => ParamType::Float,
                            _ => ParamType::Bool,
                        };
                    }
                    dims.push(self.expr(next(&mut inner, ty_span, "a length")?)?);
                    level = first;
                };
                let value = self.expr(next(&mut parts, span, "an expression")?)?;
                ItemKind::Param {
                    name,
                    ty,
                    dims,
                    ty_span: ty_pair.as_span().into(),
                    value,
                }
            }
            Rule::const_item => ItemKind::Const {
                name: ident(next(&mut parts, span, "a name")?),
                value: self.expr(next(&mut parts, span, "an expression")?)?,
            },
            Rule::state_item => {
                let mut fields = Vec::new();
                for field in parts {
                    fields.push(self.field(field)?);
                }
                ItemKind::State(fields)
            }
            Rule::let_item => {
                let name = ident(next(&mut parts, span, "a name")?);
                let mut params = None;
                let mut body = None;
                for part in parts {
                    match part.as_rule() {
                        Rule::let_params => params = Some(children(part).map(ident).collect()),
                        _ => body = Some(self.expr(part)?),
                    }
                }
                ItemKind::Let {
                    name,
                    params,
                    body: body.ok_or_else(|| grammar_bug(span, "an expression"))?,
                }
            }
            Rule::action_item => self.action(parts, span)?,
            Rule::stop_item => ItemKind::Stop(match parts.next() {
                Some(guard) => Some(self.guard(guard)?),
                None => None,
            }),
            Rule::done_item => ItemKind::Done(self.guard(next(&mut parts, span, "`when`")?)?),
            Rule::mode_item => {
                let first = next(&mut parts, span, "`when`")?;
                match first.as_rule() {
                    Rule::mode_key => {
                        let key = self.guard(first)?;
                        let cond = self.guard(next(&mut parts, span, "`when`")?)?;
                        ItemKind::Mode(cond, Some(key))
                    }
                    _ => ItemKind::Mode(self.guard(first)?, None),
                }
            }
            Rule::reward_item => {
                ItemKind::Reward(self.expr(next(&mut parts, span, "an expression")?)?)
            }
            Rule::log_reward_item => {
                ItemKind::LogReward(self.expr(next(&mut parts, span, "an expression")?)?)
            }
            _ => return Err(grammar_bug(span, "an item")),
        };
        Ok(Item {
            kind,
            span,
            keyword,
        })
    }

    pub(super) fn guard(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let span = pair.as_span().into();
        let mut parts = children(pair);
        self.expr(next(&mut parts, span, "an expression")?)
    }

    fn action<'i>(
        &mut self,
        mut parts: impl Iterator<Item = Pair<'i, Rule>>,
        span: Span,
    ) -> Result<ItemKind, Diagnostic> {
        let name = ident(next(&mut parts, span, "a name")?);
        let mut args = Vec::new();
        let mut guard = None;
        let mut effects = Vec::new();
        for part in parts {
            match part.as_rule() {
                Rule::action_args => {
                    for arg in children(part) {
                        let arg_span = arg.as_span().into();
                        let mut arg_parts = children(arg);
                        let name = ident(next(&mut arg_parts, arg_span, "a name")?);
                        let domain = self.expr(next(&mut arg_parts, arg_span, "a domain")?)?;
                        args.push(ActionArg { name, domain });
                    }
                }
                Rule::guard => guard = Some(self.guard(part)?),
                Rule::effects => {
                    for effect in children(part) {
                        effects.push(self.effect(effect)?);
                    }
                }
                _ => return Err(grammar_bug(part.as_span().into(), "part of an action")),
            }
        }
        Ok(ItemKind::Action {
            name,
            args,
            guard,
            effects,
        })
    }

    fn effect(&mut self, pair: Pair<'_, Rule>) -> Result<Effect, Diagnostic> {
        let span: Span = pair.as_span().into();
        let rule = pair.as_rule();
        let mut parts = children(pair);
        let place = self.place(next(&mut parts, span, "a place")?)?;
        let kind = match rule {
            Rule::method_effect => {
                let method = ident(next(&mut parts, span, "a method name")?);
                let arg = match parts.next() {
                    Some(arg) => Some(self.expr(arg)?),
                    None => None,
                };
                EffectKind::Method { place, method, arg }
            }
            _ => {
                let op = match next(&mut parts, span, "`=`")?.as_str() {
                    "+=" => AssignOp::Add,
                    "-=" => AssignOp::Sub,
                    _ => AssignOp::Set,
                };
                let value = self.expr(next(&mut parts, span, "an expression")?)?;
                EffectKind::Assign { place, op, value }
            }
        };
        Ok(Effect { kind, span })
    }

    pub(super) fn place(&mut self, pair: Pair<'_, Rule>) -> Result<Place, Diagnostic> {
        let span: Span = pair.as_span().into();
        let mut parts = children(pair);
        let root = ident(next(&mut parts, span, "a name")?);
        let mut indices = Vec::new();
        for index in parts {
            indices.push(self.expr(index)?);
        }
        Ok(Place {
            root,
            indices,
            span,
        })
    }

    fn field(&mut self, pair: Pair<'_, Rule>) -> Result<Field, Diagnostic> {
        let span = pair.as_span().into();
        let mut parts = children(pair);
        let name = ident(next(&mut parts, span, "a name")?);
        let ty = self.state_type(next(&mut parts, span, "a state type")?)?;
        let init = match parts.next() {
            Some(init) => Some(self.expr(init)?),
            None => None,
        };
        Ok(Field { name, ty, init })
    }

    fn state_type(&mut self, pair: Pair<'_, Rule>) -> Result<StateType, Diagnostic> {
        let span: Span = pair.as_span().into();
        let rule = pair.as_rule();
        let mut parts = children(pair);
        let kind = match rule {
            Rule::bool_type => StateTypeKind::Bool,
            Rule::range_type => {
                let lo = self.expr(next(&mut parts, span, "a bound")?)?;
                let inclusive = next(&mut parts, span, "`..`")?.as_str() == "..=";
                let hi = self.expr(next(&mut parts, span, "a bound")?)?;
                StateTypeKind::Range { lo, hi, inclusive }
            }
            Rule::array_type => StateTypeKind::Array {
                element: Box::new(self.state_type(next(&mut parts, span, "a state type")?)?),
                len: self.expr(next(&mut parts, span, "a length")?)?,
            },
            Rule::set_type => StateTypeKind::Set {
                universe: Box::new(self.state_type(next(&mut parts, span, "a range")?)?),
            },
            Rule::seq_type => StateTypeKind::Seq {
                element: Box::new(self.state_type(next(&mut parts, span, "a state type")?)?),
                max_len: self.expr(next(&mut parts, span, "a length")?)?,
            },
            _ => return Err(grammar_bug(span, "a state type")),
        };
        Ok(StateType { kind, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_expr(source: &str) -> Expr {
        let program = parse(&format!("env t\nconst c = {source}")).expect("parses");
        match &program.items[1].kind {
            ItemKind::Const { value, .. } => value.clone(),
            other => panic!("not a const: {other:?}"),
        }
    }

    #[test]
    fn state_fields_one_per_line_need_no_commas() {
        let fields = |source: &str| match parse(source).map(|p| p.items[1].kind.clone()) {
            Ok(ItemKind::State(fields)) => fields
                .iter()
                .map(|f| (f.name.name.clone(), f.init.is_some()))
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let with = fields("env t\nstate {\n  a: set<0..5>,\n  b: 0..3 = 2,\n  c: [bool; 2]\n}");
        let without = fields("env t\nstate {\n  a: set<0..5>\n  b: 0..3 = 2\n  c: [bool; 2]\n}");
        assert_eq!(with, without);
        assert_eq!(without.len(), 3);
        // Two fields on one line still need their comma to read well, but parse either way;
        // what cannot parse is a field without its type.
        assert!(parse("env t\nstate { a: 0..2 b: 0..2 }").is_ok());
        assert!(parse("env t\nstate { a: 0..2\n b }").is_err());
    }

    #[test]
    fn power_binds_tighter_than_unary_minus_and_is_right_associative() {
        let e = first_expr("-2 ** 3 ** 2");
        let ExprKind::Unary(UnaryOp::Neg, inner) = e.kind else {
            panic!("expected negation outside")
        };
        let ExprKind::Binary(BinaryOp::Pow, _, rhs) = inner.kind else {
            panic!("expected a power")
        };
        assert!(matches!(rhs.kind, ExprKind::Binary(BinaryOp::Pow, _, _)));
    }

    #[test]
    fn comparisons_chain_flat() {
        let e = first_expr("0.3 < u < 0.4");
        let ExprKind::Compare(_, rest) = e.kind else {
            panic!("expected a comparison")
        };
        assert_eq!(rest.len(), 2);
    }

    #[test]
    fn not_in_is_one_operator() {
        let e = first_expr("a not in s");
        let ExprKind::Compare(_, rest) = e.kind else {
            panic!("expected a comparison")
        };
        assert_eq!(rest[0].0, CompareOp::NotIn);
    }

    #[test]
    fn keywords_are_whole_words() {
        let e = first_expr("iffy + notable");
        assert!(matches!(e.kind, ExprKind::Binary(BinaryOp::Add, _, _)));
    }

    #[test]
    fn long_chains_are_refused_not_overflowed() {
        let long = vec!["1"; 100_000].join(" + ");
        let error = parse(&format!("env t\nconst c = {long}")).expect_err("too deep");
        assert_eq!(error.code, codes::parse::TOO_DEEP);
    }

    #[test]
    fn deep_brackets_are_refused() {
        let deep = format!("{}1{}", "(".repeat(1000), ")".repeat(1000));
        let error = parse(&format!("env t\nconst c = {deep}")).expect_err("too deep");
        assert_eq!(error.code, codes::parse::TOO_DEEP);
    }

    #[test]
    fn nested_ifs_without_brackets_are_refused() {
        let deep = "if true then 1 else ".repeat(20_000) + "0";
        let error = parse(&format!("env t\nconst c = {deep}")).expect_err("too deep");
        assert_eq!(error.code, codes::parse::TOO_DEEP);
    }
}
