//! Expression pairs → AST expressions: precedence by pest's Pratt parser, comparison chains,
//! ranges, postfix indexing, calls and methods, with the depth of the tree counted as it is built.

use super::ast::*;
use super::parse::{children, grammar_bug, ident, next, Converter, Rule};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use pest::iterators::Pair;

impl Converter {
    /// Any expression rule, from `if` down to a literal.
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
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
            _ => self.primary(pair),
        }
    }

    /// Brackets, literals, names, calls, aggregates and array literals.
    fn primary(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
        let span: Span = pair.as_span().into();
        match pair.as_rule() {
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
            Rule::string_lit => {
                let quoted = pair.as_str();
                Ok(Expr {
                    kind: ExprKind::Str(quoted[1..quoted.len() - 1].to_string()),
                    span,
                })
            }
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
    pub(super) fn chain(
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
    pub(super) fn prefixed(
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

    pub(super) fn compare(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
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

    pub(super) fn range(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
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

    pub(super) fn postfix(&mut self, pair: Pair<'_, Rule>) -> Result<Expr, Diagnostic> {
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

    pub(super) fn call_args(&mut self, pair: Pair<'_, Rule>) -> Result<Vec<Expr>, Diagnostic> {
        children(pair).map(|arg| self.expr(arg)).collect()
    }
}

fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_or | Rule::kw_and | Rule::add_op | Rule::mul_op
    )
}
