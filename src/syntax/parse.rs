//! Source text → [`Program`]: pest parses with `grammar/gfn.pest`, then one function per rule
//! turns pairs into AST nodes. Nothing a user writes can make this panic: limits on size and
//! nesting are checked, and a pair the grammar should have produced but did not becomes an
//! internal diagnostic instead of an `unwrap`.

use super::ast::*;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use pest::iterators::Pair;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/gfn.pest"]
struct GfnParser;

/// Files larger than this are refused: a `.gfn` file is a page or two of text.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Brackets nested deeper than this are refused before parsing.
pub const MAX_BRACKET_DEPTH: usize = 64;
/// The deepest expression tree accepted (operators chained or nested without brackets count).
pub const MAX_EXPR_DEPTH: u32 = 256;

/// Parse a whole file (on a thread with enough stack; see [`crate::stack`]).
pub fn parse(source: &str) -> Result<Program, Diagnostic> {
    crate::stack::with_large_stack(|| parse_here(source).map_err(|d| vec![d])).map_err(|mut d| {
        d.pop().unwrap_or_else(|| {
            Diagnostic::new("gfn::parse::internal", "internal error: no diagnostic")
        })
    })
}

/// Parse a whole file on the current thread, which must have a large stack.
pub(crate) fn parse_here(source: &str) -> Result<Program, Diagnostic> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Diagnostic::new(
            "gfn::parse::too_large",
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
                        "gfn::parse::too_deep",
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
fn grammar_bug(span: Span, what: &str) -> Diagnostic {
    let location = std::panic::Location::caller();
    Diagnostic::new(
        "gfn::parse::internal",
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
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_env
            | Rule::kw_param
            | Rule::kw_const
            | Rule::kw_let
            | Rule::kw_action
            | Rule::kw_when
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
fn next<'i>(
    pairs: &mut impl Iterator<Item = Pair<'i, Rule>>,
    parent: Span,
    what: &str,
) -> Result<Pair<'i, Rule>, Diagnostic> {
    pairs.next().ok_or_else(|| grammar_bug(parent, what))
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: pair.as_span().into(),
    }
}

/// Tracks how deep the expression tree being built is, counted before recursing.
struct Converter {
    depth: u32,
}

impl Converter {
    fn enter(&mut self, levels: u32, span: Span) -> Result<(), Diagnostic> {
        self.depth += levels;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(Diagnostic::new(
                "gfn::parse::too_deep",
                format!("this expression nests more than {MAX_EXPR_DEPTH} operations deep"),
            )
            .label(span, "too deep")
            .help("split it into named parts with `let`"));
        }
        Ok(())
    }

    fn leave(&mut self, levels: u32) {
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
                let ty = match ty_pair.as_str().trim() {
                    "int" => ParamType::Int,
                    "float" => ParamType::Float,
                    _ => ParamType::Bool,
                };
                let value = self.expr(next(&mut parts, span, "an expression")?)?;
                ItemKind::Param {
                    name,
                    ty,
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
            Rule::mode_item => ItemKind::Mode(self.guard(next(&mut parts, span, "`when`")?)?),
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

    fn guard(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
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

    fn place(&mut self, pair: Pair<'_, Rule>) -> Result<Place, Diagnostic> {
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

    /// Any expression rule, from `if` down to a literal.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let span: Span = pair.as_span().into();
        match pair.as_rule() {
            Rule::if_expr => {
                self.enter(1, span)?;
                let mut parts = children(pair);
                let cond = self.expr(next(&mut parts, span, "a condition")?)?;
                let then = self.expr(next(&mut parts, span, "an expression")?)?;
                let otherwise = self.expr(next(&mut parts, span, "an expression")?)?;
                self.leave(1);
                Ok(Expr {
                    kind: ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)),
                    span,
                })
            }
            Rule::or_expr => self.chain(pair, |_| BinaryOp::Or),
            Rule::and_expr => self.chain(pair, |_| BinaryOp::And),
            Rule::arith => self.chain(pair, |op| match op {
                "-" => BinaryOp::Sub,
                _ => BinaryOp::Add,
            }),
            Rule::term => self.chain(pair, |op| match op {
                "*" => BinaryOp::Mul,
                "/" => BinaryOp::Div,
                "//" => BinaryOp::FloorDiv,
                _ => BinaryOp::Rem,
            }),
            Rule::not_expr => self.prefixed(pair, Rule::kw_not, UnaryOp::Not),
            Rule::unary => self.prefixed(pair, Rule::neg, UnaryOp::Neg),
            Rule::cmp_expr => self.compare(pair),
            Rule::range_expr => self.range(pair),
            Rule::power => {
                let mut parts = children(pair);
                let base = self.expr(next(&mut parts, span, "an operand")?)?;
                match parts.next() {
                    None => Ok(base),
                    Some(exponent) => {
                        self.enter(1, span)?;
                        let exponent = self.expr(exponent)?;
                        self.leave(1);
                        Ok(Expr {
                            kind: ExprKind::Binary(
                                BinaryOp::Pow,
                                Box::new(base),
                                Box::new(exponent),
                            ),
                            span,
                        })
                    }
                }
            }
            Rule::postfix => self.postfix(pair),
            Rule::paren => {
                let mut parts = children(pair);
                let inner = self.expr(next(&mut parts, span, "an expression")?)?;
                // The span grows to include the parentheses so labels point at what was written.
                Ok(Expr { span, ..inner })
            }
            Rule::int_lit => Ok(Expr {
                kind: ExprKind::Int(pair.as_str().parse().ok()),
                span,
            }),
            Rule::float_lit => Ok(Expr {
                kind: ExprKind::Float(pair.as_str().to_string()),
                span,
            }),
            Rule::bool_lit => Ok(Expr {
                kind: ExprKind::Bool(pair.as_str() == "true"),
                span,
            }),
            Rule::ident => Ok(Expr {
                kind: ExprKind::Name(ident(pair)),
                span,
            }),
            Rule::call => {
                let mut parts = children(pair);
                let function = ident(next(&mut parts, span, "a name")?);
                let args = self.call_args(next(&mut parts, span, "arguments")?)?;
                Ok(Expr {
                    kind: ExprKind::Call(function, args),
                    span,
                })
            }
            Rule::aggregate => {
                self.enter(1, span)?;
                let mut parts = children(pair);
                let function = ident(next(&mut parts, span, "a name")?);
                let variable = ident(next(&mut parts, span, "a name")?);
                let domain = self.expr(next(&mut parts, span, "a domain")?)?;
                let body = self.expr(next(&mut parts, span, "an expression")?)?;
                self.leave(1);
                Ok(Expr {
                    kind: ExprKind::Aggregate {
                        function,
                        variable,
                        domain: Box::new(domain),
                        body: Box::new(body),
                    },
                    span,
                })
            }
            Rule::array => {
                self.enter(1, span)?;
                let elements = children(pair)
                    .map(|element| self.expr(element))
                    .collect::<Result<Vec<_>, _>>()?;
                self.leave(1);
                Ok(Expr {
                    kind: ExprKind::Array(elements),
                    span,
                })
            }
            Rule::repeat_array => {
                self.enter(1, span)?;
                let mut parts = children(pair);
                let value = self.expr(next(&mut parts, span, "an expression")?)?;
                let count = self.expr(next(&mut parts, span, "a count")?)?;
                self.leave(1);
                Ok(Expr {
                    kind: ExprKind::Repeat {
                        value: Box::new(value),
                        count: Box::new(count),
                    },
                    span,
                })
            }
            _ => Err(grammar_bug(span, "an expression")),
        }
    }

    /// A left-associative chain `a op b op c`, built as `(a op b) op c`.
    fn chain(
        &mut self,
        pair: Pair<'_, Rule>,
        operator: impl Fn(&str) -> BinaryOp,
    ) -> Result<Expr, Diagnostic> {
        let span: Span = pair.as_span().into();
        let parts: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        let operands = parts.iter().filter(|p| !is_operator(p.as_rule())).count() as u32;
        let levels = operands.saturating_sub(1);
        self.enter(levels, span)?;
        let mut parts = parts.into_iter();
        let mut result = self.expr(next(&mut parts, span, "an operand")?)?;
        while let Some(op) = parts.next() {
            let op = operator(op.as_str());
            let rhs = self.expr(next(&mut parts, span, "an operand")?)?;
            result = Expr {
                span: result.span.merge(rhs.span),
                kind: ExprKind::Binary(op, Box::new(result), Box::new(rhs)),
            };
        }
        self.leave(levels);
        Ok(result)
    }

    /// `not not x` or `- - x`: prefix operators applied right to left.
    fn prefixed(
        &mut self,
        pair: Pair<'_, Rule>,
        prefix: Rule,
        op: UnaryOp,
    ) -> Result<Expr, Diagnostic> {
        let span: Span = pair.as_span().into();
        let mut starts = Vec::new();
        let mut operand = None;
        for part in pair.into_inner() {
            if part.as_rule() == prefix {
                starts.push(part.as_span().start());
            } else {
                operand = Some(part);
            }
        }
        let levels = starts.len() as u32;
        self.enter(levels, span)?;
        let mut result = self.expr(operand.ok_or_else(|| grammar_bug(span, "an operand"))?)?;
        for start in starts.into_iter().rev() {
            result = Expr {
                span: Span::new(start, result.span.end as usize),
                kind: ExprKind::Unary(op, Box::new(result)),
            };
        }
        self.leave(levels);
        Ok(result)
    }

    fn compare(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let span: Span = pair.as_span().into();
        let mut parts = pair.into_inner();
        let first = self.expr(next(&mut parts, span, "an operand")?)?;
        let mut rest = Vec::new();
        self.enter(1, span)?;
        while let Some(op) = parts.next() {
            let op_span = op.as_span().into();
            let text: String = op.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
            let op = match text.as_str() {
                "==" => CompareOp::Eq,
                "!=" => CompareOp::Ne,
                "<" => CompareOp::Lt,
                "<=" => CompareOp::Le,
                ">" => CompareOp::Gt,
                ">=" => CompareOp::Ge,
                "in" => CompareOp::In,
                _ => CompareOp::NotIn,
            };
            let operand = self.expr(next(&mut parts, span, "an operand")?)?;
            rest.push((op, op_span, operand));
        }
        self.leave(1);
        if rest.is_empty() {
            return Ok(first);
        }
        Ok(Expr {
            kind: ExprKind::Compare(Box::new(first), rest),
            span,
        })
    }

    fn range(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let span: Span = pair.as_span().into();
        let mut parts = pair.into_inner();
        let lo = self.expr(next(&mut parts, span, "an operand")?)?;
        let Some(op) = parts.next() else {
            return Ok(lo);
        };
        let inclusive = op.as_str() == "..=";
        self.enter(1, span)?;
        let hi = self.expr(next(&mut parts, span, "an operand")?)?;
        self.leave(1);
        Ok(Expr {
            kind: ExprKind::Range {
                lo: Box::new(lo),
                hi: Box::new(hi),
                inclusive,
            },
            span,
        })
    }

    fn postfix(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let span: Span = pair.as_span().into();
        let parts: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        let levels = parts.len().saturating_sub(1) as u32;
        self.enter(levels, span)?;
        let mut parts = parts.into_iter();
        let mut result = self.expr(next(&mut parts, span, "an operand")?)?;
        for part in parts {
            let part_span: Span = part.as_span().into();
            let whole = Span::new(result.span.start as usize, part_span.end as usize);
            let kind = match part.as_rule() {
                Rule::index => {
                    let mut inner = children(part);
                    let index = self.expr(next(&mut inner, part_span, "an index")?)?;
                    ExprKind::Index(Box::new(result), Box::new(index))
                }
                _ => {
                    let mut inner = children(part);
                    let method = ident(next(&mut inner, part_span, "a method name")?);
                    let args = self.call_args(next(&mut inner, part_span, "arguments")?)?;
                    ExprKind::Method(Box::new(result), method, args)
                }
            };
            result = Expr { kind, span: whole };
        }
        self.leave(levels);
        Ok(result)
    }

    fn call_args(&mut self, pair: Pair<'_, Rule>) -> Result<Vec<Expr>, Diagnostic> {
        children(pair).map(|arg| self.expr(arg)).collect()
    }
}

fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_or | Rule::kw_and | Rule::add_op | Rule::mul_op
    )
}

// ---------------------------------------------------------------------------------------------
// Syntax errors in words

fn syntax_error(source: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let position = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((start, _)) => start,
    };
    let (line, column) = match error.line_col {
        pest::error::LineColLocation::Pos(lc) | pest::error::LineColLocation::Span(lc, _) => lc,
    };
    let (found_span, found) = token_at(source, position);
    let mut expected: Vec<String> = Vec::new();
    let mut push = |word: String| {
        if !expected.contains(&word) {
            expected.push(word);
        }
    };
    let mut expects_name = false;
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if *rule == Rule::ident {
                expects_name = true;
            }
            push(rule_in_words(*rule).to_string());
        }
    }
    if let Some(attempts) = error.parse_attempts() {
        // ParsingToken is not exported; its Display is the literal, or `a..z` for a range.
        for token in attempts.expected_tokens() {
            if let Some(word) = literal_in_words(&token.to_string()) {
                push(word);
            }
        }
    }
    // Item keywords are what "an item" means; `..=` is a form of `..`.
    if expected.iter().any(|w| w == "an item") {
        expected.retain(|w| !ITEM_KEYWORDS.iter().any(|k| w.trim_matches('`') == *k));
    }
    if expected.iter().any(|w| w == "`..`") {
        expected.retain(|w| w != "`..=`");
    }
    // Brackets and minus signs only start expressions: "an expression" says it already.
    if expected.iter().any(|w| w == "an expression") {
        expected.retain(|w| !matches!(w.as_str(), "`(`" | "`[`" | "`-`"));
    }
    if let pest::error::ErrorVariant::CustomError { message } = &error.variant {
        if message.contains("limit") {
            return Diagnostic::new(
                "gfn::parse::too_deep",
                format!("the parser ran out of room at {line}:{column}: {message}"),
            )
            .label(found_span, "nesting too deep")
            .help("split the expression into named parts with `let`");
        }
    }
    expected.sort_by_key(|word| word_rank(word));
    expected.truncate(8);
    let list = join_alternatives(&expected);
    let mut diagnostic = Diagnostic::new(
        "gfn::parse::syntax",
        format!("syntax error at {line}:{column}: expected {list}, found {found}"),
    )
    .label(found_span, format!("expected {list}"));
    let found_word = found_span.text(source);
    if let Some((open, line, column)) = unclosed_bracket(source, position) {
        let close = match open.text(source) {
            "(" => ")",
            "[" => "]",
            _ => "}",
        };
        diagnostic = diagnostic
            .label(open, format!("this `{}` is not closed", open.text(source)))
            .help(format!(
                "the `{}` opened at {line}:{column} needs a matching `{close}` before this point",
                open.text(source)
            ));
    } else if expects_name && is_reserved_word(found_word) {
        diagnostic = diagnostic.help(format!(
            "`{found_word}` is a keyword and cannot be used as a name; pick another name, such as `{found_word}_`"
        ));
    } else if found_word == "=" && expected.iter().any(|w| w == "a comparison") {
        diagnostic = diagnostic
            .help("comparison is written `==`; `=` only assigns inside an action's `{ }`");
    } else {
        diagnostic = diagnostic.help("see docs/language.md for the form of each item");
    }
    diagnostic
}

const ITEM_KEYWORDS: &[&str] = &[
    "env",
    "param",
    "const",
    "state",
    "let",
    "action",
    "stop",
    "done",
    "reward",
    "log_reward",
    "mode",
];

/// A literal the parser expected, in words; `None` for tokens that only add noise (the
/// comment sign, letters that start names or keywords, which the rule names already cover).
fn literal_in_words(token: &str) -> Option<String> {
    let is_char_range = token.chars().count() == 4 && token.get(1..3) == Some("..");
    if token.is_empty() || token == "BUILTIN_RULE" || is_char_range || token == "#" || token == "_"
    {
        return None;
    }
    if token.starts_with(|c: char| c.is_ascii_alphanumeric())
        || token.chars().any(char::is_whitespace)
    {
        return None;
    }
    Some(match token {
        "+" | "-" | "*" | "/" | "//" | "%" | "**" => "an operator".to_string(),
        "==" | "!=" | "<" | "<=" | ">" | ">=" => "a comparison".to_string(),
        _ => format!("`{token}`"),
    })
}

/// The innermost bracket still open at `position`, with its line and column, if any.
fn unclosed_bracket(source: &str, position: usize) -> Option<(Span, usize, usize)> {
    let mut open: Vec<usize> = Vec::new();
    let mut in_comment = false;
    for (offset, byte) in source.bytes().enumerate().take(position) {
        match byte {
            b'\n' => in_comment = false,
            _ if in_comment => {}
            b'#' => in_comment = true,
            b'(' | b'[' | b'{' => open.push(offset),
            b')' | b']' | b'}' => {
                open.pop();
            }
            _ => {}
        }
    }
    let offset = *open.last()?;
    // Only a bracket on an earlier line is worth pointing at: on the same line the caret says it.
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let error_line = source[..position.min(source.len())].matches('\n').count() + 1;
    if line == error_line {
        return None;
    }
    let column = offset - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    Some((Span::new(offset, offset + 1), line, column))
}

/// Commonest alternatives first, so the message leads with what the user most likely meant.
fn word_rank(word: &str) -> (u8, String) {
    let rank = match word {
        "an expression" | "a name" | "a state type" | "a type (`int`, `float` or `bool`)" => 0,
        "an item" => 1,
        "an operator" => 3,
        "end of file" => 4,
        _ => 2,
    };
    (rank, word.to_string())
}

fn join_alternatives(words: &[String]) -> String {
    match words {
        [] => "something else".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn is_reserved_word(word: &str) -> bool {
    matches!(
        word,
        "env"
            | "param"
            | "const"
            | "state"
            | "let"
            | "action"
            | "when"
            | "stop"
            | "done"
            | "reward"
            | "log_reward"
            | "mode"
            | "in"
            | "if"
            | "then"
            | "else"
            | "and"
            | "or"
            | "not"
            | "true"
            | "false"
    )
}

/// The token that starts at `position`, for "found ..." in messages.
fn token_at(source: &str, position: usize) -> (Span, String) {
    let rest = source.get(position..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return (Span::new(position, position), "end of file".to_string());
    };
    let length = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    let text = &rest[..length];
    let shown = match first {
        '\n' | '\r' => "end of line".to_string(),
        _ if first.is_control() => format!("the control character {:?}", first),
        _ => format!("`{text}`"),
    };
    (Span::new(position, position + length), shown)
}

fn rule_in_words(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::env_item
        | Rule::param_item
        | Rule::const_item
        | Rule::state_item
        | Rule::let_item
        | Rule::action_item
        | Rule::stop_item
        | Rule::done_item
        | Rule::reward_item
        | Rule::log_reward_item
        | Rule::mode_item => "an item",
        Rule::ident => "a name",
        Rule::param_type => "a type (`int`, `float` or `bool`)",
        Rule::bool_type | Rule::set_type | Rule::seq_type | Rule::array_type | Rule::range_type => {
            "a state type"
        }
        Rule::field => "a field",
        Rule::let_params | Rule::action_args | Rule::call_args => "`(`",
        Rule::action_arg => "an argument `NAME in DOMAIN`",
        Rule::guard | Rule::kw_when => "`when`",
        Rule::effects => "`{`",
        Rule::method_effect | Rule::assign_effect | Rule::place => "an effect",
        Rule::assign_op => "`=`, `+=` or `-=`",
        Rule::cmp_op | Rule::kw_in | Rule::kw_not_in => "a comparison",
        Rule::range_op => "`..`",
        Rule::add_op | Rule::mul_op | Rule::kw_and | Rule::kw_or => "an operator",
        Rule::index => "`[`",
        Rule::method_call => "`.`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_env => "`env`",
        Rule::kw_param => "`param`",
        Rule::kw_const => "`const`",
        Rule::kw_let => "`let`",
        Rule::kw_action => "`action`",
        Rule::kw_stop => "`stop`",
        Rule::kw_done => "`done`",
        Rule::kw_reward => "`reward`",
        Rule::kw_log_reward => "`log_reward`",
        Rule::kw_mode => "`mode`",
        _ => "an expression",
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
        assert_eq!(error.code, "gfn::parse::too_deep");
    }

    #[test]
    fn deep_brackets_are_refused() {
        let deep = format!("{}1{}", "(".repeat(1000), ")".repeat(1000));
        let error = parse(&format!("env t\nconst c = {deep}")).expect_err("too deep");
        assert_eq!(error.code, "gfn::parse::too_deep");
    }

    #[test]
    fn nested_ifs_without_brackets_are_refused() {
        let deep = "if true then 1 else ".repeat(20_000) + "0";
        let error = parse(&format!("env t\nconst c = {deep}")).expect_err("too deep");
        assert_eq!(error.code, "gfn::parse::too_deep");
    }
}
