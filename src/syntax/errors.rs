//! Syntax errors in words: pest's expectations turned into what a user reads ("expected an
//! expression, found `}`"), with the usual habits of Python and Rust authors named.

use super::parse::Rule;
use crate::diagnostic::codes;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

// ---------------------------------------------------------------------------------------------
// Syntax errors in words

pub(super) fn syntax_error(source: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
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
        expected.retain(|w| !matches!(w.as_str(), "`(`" | "`[`" | "`-`" | "`\"`" | "a string"));
    }
    if let pest::error::ErrorVariant::CustomError { message } = &error.variant {
        if message.contains("limit") {
            return Diagnostic::new(
                codes::parse::TOO_DEEP,
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
        codes::parse::SYNTAX,
        format!("syntax error at {line}:{column}: expected {list}, found {found}"),
    )
    .label(found_span, format!("expected {list}"));
    let found_word = found_span.text(source);
    if let Some((message, help)) = habit(source, position, &expected) {
        return Diagnostic::new(
            codes::parse::SYNTAX,
            format!("syntax error at {line}:{column}: {message}"),
        )
        .label(found_span, "not .gfn syntax")
        .help(help);
    }
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
        diagnostic = diagnostic.help("see docs/reference.md for the form of each item");
    }
    diagnostic
}

/// The habits of Python and Rust authors met where the parser stopped, with the `.gfn` way:
/// (what is wrong, what to write instead).
fn habit(source: &str, position: usize, expected: &[String]) -> Option<(String, String)> {
    let rest = source.get(position..).unwrap_or("");
    let before = source.get(..position).unwrap_or("");
    let line_before = before.rsplit('\n').next().unwrap_or("");
    let word = |w: &str| {
        rest.strip_prefix(w)
            .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    };
    let say = |m: &str, h: &str| Some((m.to_string(), h.to_string()));
    if (rest.starts_with("//") || rest.starts_with("/*")) && line_before.trim().is_empty() {
        return say(
            "comments start with `#` in .gfn",
            "write `# ...`; `//` is integer division",
        );
    }
    if rest.starts_with("&&") {
        return say("`&&` is written `and` in .gfn", "write `a and b`");
    }
    if rest.starts_with("||") {
        return say("`||` is written `or` in .gfn", "write `a or b`");
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        return say(
            "`!` is written `not` in .gfn",
            "write `not b` (and `!=` for \"not equal\")",
        );
    }
    let shift = (before.ends_with('>') && rest.starts_with('>'))
        || (before.ends_with('<') && rest.starts_with('<'));
    if rest.starts_with(">>") || rest.starts_with("<<") || shift {
        return say(
            "there are no bit shifts in .gfn",
            "use integer arithmetic: `x >> k` is `x // 2 ** k`, `x << k` is `x * 2 ** k`",
        );
    }
    if rest.starts_with('&') || rest.starts_with('|') || rest.starts_with('^') {
        return say(
            "there are no bitwise operators in .gfn",
            "use integer arithmetic: bit k of x is `(x // 2 ** k) % 2`; for bools use `and`, `or`, `not`",
        );
    }
    if word("if") && expected.iter().any(|w| w == "an operator") {
        return say(
            "a conditional expression is written `if c then a else b` in .gfn",
            "move the condition first: `if c then a else b` (not Python's `a if c else b`)",
        );
    }
    if word("if") && expected.iter().any(|w| w == "an expression") {
        return say(
            "an `if` expression inside another expression needs brackets",
            "write `1 + (if c then a else b)`",
        );
    }
    if word("True") || word("False") {
        let lower = if word("True") { "true" } else { "false" };
        return Some((
            "booleans are lowercase in .gfn".to_string(),
            format!("write `{lower}`"),
        ));
    }
    if rest.starts_with(',') && expected.iter().any(|w| w == "`;`") {
        return say(
            "effects are separated by a newline or `;`, not `,`",
            "write one effect per line, or `{ x += 1; y = 0 }`",
        );
    }
    // `x: float` or `x: int` inside `state { }`: the parser stops after the type word.
    let typed = line_before.trim_end();
    for (ty, help) in [
        ("float", "state fields are discrete: a range `0..N`, `bool`, an array, a `set<...>` or a `seq<...>`; keep a float in a `let` or in the reward"),
        ("int", "give the field's range, e.g. `x: 0..10` (or `0..=9`): the state space must be finite"),
        ("str", "state fields are discrete: encode the choice as an int range or a bool"),
    ] {
        if typed.ends_with(&format!(": {ty}")) || typed.ends_with(&format!(":{ty}")) {
            return Some((format!("`{ty}` is not a state type"), help.to_string()));
        }
    }
    None
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
        "an expression"
        | "a name"
        | "a state type"
        | "a type (`int`, `float`, `bool` or `[T; N]`)" => 0,
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
        Rule::param_type | Rule::param_scalar => "a type (`int`, `float`, `bool` or `[T; N]`)",
        Rule::string_lit => "a string",
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
