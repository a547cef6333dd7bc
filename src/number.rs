//! The language's number model: `float` values are exact rationals while they can be, 64-bit
//! floats once they cannot (transcendental functions, non-integer powers, or a numerator or
//! denominator that outgrows 64 bits). Used by constant folding and by the interpreter.

use std::cmp::Ordering;
use std::fmt;

/// A rational `num / den` with `den > 0`, not necessarily in lowest terms (see
/// [`Rational::reduced`]); equality compares values.
#[derive(Clone, Copy, Debug)]
pub struct Rational {
    num: i64,
    den: i64,
}

impl PartialEq for Rational {
    fn eq(&self, other: &Rational) -> bool {
        self.num as i128 * other.den as i128 == other.num as i128 * self.den as i128
    }
}

impl Eq for Rational {}

/// A value of the language's `float` type.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    /// An exact rational, while numerator and denominator fit 64 bits.
    Exact(Rational),
    /// A 64-bit float, once exactness is lost; it never becomes exact again.
    Float(f64),
}

/// Why an arithmetic operation has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithError {
    /// An integer `//` or `%` by zero, or a division by an exact zero.
    DivisionByZero,
    /// An integer result outside 64 bits.
    Overflow,
    /// A float that is NaN or infinite where an integer was asked for.
    NotFinite,
    /// `log` or `sqrt` of a number outside its domain, and the like.
    Domain,
    /// `a ** b` with integers and `b < 0`: no integer answer.
    NegativeExponent,
}

impl fmt::Display for ArithError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArithError::DivisionByZero => "division by zero",
            ArithError::Overflow => "integer overflow (results must fit in 64 bits)",
            ArithError::NotFinite => "a non-finite number where an integer is needed",
            ArithError::Domain => "an argument outside the function's domain",
            ArithError::NegativeExponent => "a negative power of an integer (write float(a) ** b)",
        })
    }
}

/// Binary gcd on 64 bits: no division instructions, the hot path of exact arithmetic.
fn gcd64(mut a: u64, mut b: u64) -> u64 {
    if a == 0 {
        return b;
    }
    if b == 0 {
        return a;
    }
    let shift = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    let (a, b) = (a.unsigned_abs(), b.unsigned_abs());
    if let (Ok(a), Ok(b)) = (u64::try_from(a), u64::try_from(b)) {
        return i128::from(gcd64(a, b));
    }
    let (mut a, mut b) = (a, b);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a as i128
}

impl Rational {
    /// `num / den` reduced, or `None` when it does not fit 64 bits (or `den == 0`).
    pub fn new(num: i128, den: i128) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        // Most values are small: reduce in 64 bits, where division is cheap.
        if let (Ok(n), Ok(d)) = (i64::try_from(num), i64::try_from(den)) {
            if n != i64::MIN && d != i64::MIN {
                let g = gcd64(n.unsigned_abs(), d.unsigned_abs()).max(1) as i64;
                let (n, d) = (n / g, d / g);
                return Some(if d < 0 {
                    Rational { num: -n, den: -d }
                } else {
                    Rational { num: n, den: d }
                });
            }
        }
        let g = gcd(num, den).max(1);
        let (mut num, mut den) = (num / g, den / g);
        if den < 0 {
            num = -num;
            den = -den;
        }
        Some(Rational {
            num: i64::try_from(num).ok()?,
            den: i64::try_from(den).ok()?,
        })
    }

    /// `num / den` with the sign on the numerator, reduced only when it would not fit in 64
    /// bits otherwise: arithmetic skips the gcd on its hot path, yet stays exact exactly when
    /// the reduced value fits. Comparisons cross-multiply, so they need no canonical form.
    fn lazy(num: i128, den: i128) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        let (num, den) = if den < 0 {
            (num.checked_neg()?, -den)
        } else {
            (num, den)
        };
        match (i64::try_from(num), i64::try_from(den)) {
            (Ok(n), Ok(d)) if n != i64::MIN => Some(Rational { num: n, den: d }),
            _ => Rational::new(num, den),
        }
    }

    /// The same value in lowest terms.
    pub fn reduced(self) -> Rational {
        Rational::new(self.num as i128, self.den as i128).unwrap_or(self)
    }

    /// The integer `value` as `value / 1`.
    pub fn integer(value: i64) -> Rational {
        Rational { num: value, den: 1 }
    }

    /// The numerator in lowest terms.
    pub fn numerator(self) -> i64 {
        self.reduced().num
    }

    /// The denominator in lowest terms (always positive).
    pub fn denominator(self) -> i64 {
        self.reduced().den
    }

    /// A 64-bit float approximation: numerator and denominator rounded to floats, then divided.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    fn floor(self) -> i64 {
        self.num.div_euclid(self.den)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Number {
        Number::Exact(Rational::integer(value))
    }
}

impl From<f64> for Number {
    fn from(value: f64) -> Number {
        Number::Float(value)
    }
}

/// Exact when `exact` fits, else the float computed by `float`.
fn exact_or(exact: Option<Rational>, float: impl FnOnce() -> f64) -> Number {
    match exact {
        Some(r) => Number::Exact(r),
        None => Number::Float(float()),
    }
}

impl Number {
    /// Reads a decimal literal (`0.5`, `1e-3`, `2.5E+2`) exactly when the rational fits.
    pub fn parse_decimal(text: &str) -> Option<Number> {
        let float: f64 = text.parse().ok()?;
        let (mantissa, exponent) = match text.find(['e', 'E']) {
            Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = format!("{whole}{fraction}");
        let scale = exponent - fraction.len() as i32;
        let exact = (|| {
            let mut num: i128 = digits.parse().ok()?;
            let mut den: i128 = 1;
            if scale >= 0 {
                num = num.checked_mul(10i128.checked_pow(scale as u32)?)?;
            } else {
                den = 10i128.checked_pow(scale.unsigned_abs())?;
            }
            Rational::new(num, den)
        })();
        Some(exact_or(exact, || float))
    }

    /// Exact values in lowest terms (for display).
    fn reduced_form(self) -> Number {
        match self {
            Number::Exact(r) => Number::Exact(r.reduced()),
            float => float,
        }
    }

    /// The value as a 64-bit float (rounded when exact).
    pub fn to_f64(self) -> f64 {
        match self {
            Number::Exact(r) => r.to_f64(),
            Number::Float(f) => f,
        }
    }

    /// Whether the value is still an exact rational.
    pub fn is_exact(self) -> bool {
        matches!(self, Number::Exact(_))
    }

    fn binary(
        self,
        other: Number,
        exact: impl FnOnce(i128, i128, i128, i128) -> Option<Rational>,
        float: impl FnOnce(f64, f64) -> f64,
    ) -> Number {
        match (self, other) {
            (Number::Exact(a), Number::Exact(b)) => exact_or(
                exact(a.num as i128, a.den as i128, b.num as i128, b.den as i128),
                || float(a.to_f64(), b.to_f64()),
            ),
            _ => Number::Float(float(self.to_f64(), other.to_f64())),
        }
    }

    /// Division; exact zero divisors are an error, float ones follow IEEE (the reward check
    /// then reports the infinity).
    pub fn checked_div(self, other: Number) -> Result<Number, ArithError> {
        if let Number::Exact(b) = other {
            if b.num == 0 {
                return Err(ArithError::DivisionByZero);
            }
        }
        Ok(self.binary(
            other,
            |an, ad, bn, bd| Rational::lazy(an.checked_mul(bd)?, ad.checked_mul(bn)?),
            |a, b| a / b,
        ))
    }

    /// The absolute value, staying exact when exact.
    pub fn abs(self) -> Number {
        match self.compare(Number::from(0)) {
            Some(Ordering::Less) => -self,
            _ => self,
        }
    }

    /// `self ** exponent`: exact for an exact base and an integer exponent.
    pub fn pow(self, exponent: Number) -> Result<Number, ArithError> {
        if let (Number::Exact(base), Number::Exact(e)) = (self, exponent) {
            if e.den == 1 {
                if base.num == 0 && e.num < 0 {
                    return Err(ArithError::DivisionByZero);
                }
                let magnitude = u32::try_from(e.num.unsigned_abs()).ok();
                let exact = magnitude.and_then(|m| {
                    let num = (base.num as i128).checked_pow(m)?;
                    let den = (base.den as i128).checked_pow(m)?;
                    if e.num < 0 {
                        Rational::lazy(den, num)
                    } else {
                        Rational::lazy(num, den)
                    }
                });
                return Ok(exact_or(exact, || base.to_f64().powf(e.to_f64())));
            }
        }
        Ok(Number::Float(self.to_f64().powf(exponent.to_f64())))
    }

    /// The square root: exact when numerator and denominator are perfect squares (so that
    /// `sqrt(4) == 2` holds), a float otherwise. The caller rules out negative arguments.
    pub fn sqrt(self) -> Number {
        let root = |v: i64| -> Option<i64> {
            let s = (v as f64).sqrt().round() as i64;
            (s.checked_mul(s)? == v).then_some(s)
        };
        if let Number::Exact(r) = self {
            let r = r.reduced();
            let exact = root(r.num)
                .zip(root(r.den))
                .and_then(|(n, d)| Rational::new(n as i128, d as i128));
            if let Some(exact) = exact {
                return Number::Exact(exact);
            }
        }
        Number::Float(self.to_f64().sqrt())
    }

    /// Exact comparison when both are exact; `None` when a NaN is involved.
    pub fn compare(self, other: Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Exact(a), Number::Exact(b)) => {
                Some((a.num as i128 * b.den as i128).cmp(&(b.num as i128 * a.den as i128)))
            }
            _ => self.to_f64().partial_cmp(&other.to_f64()),
        }
    }

    /// Apply a function of floats (`exp`, `log`, ...): the result is a float.
    pub fn map_float(self, f: impl FnOnce(f64) -> f64) -> Number {
        Number::Float(f(self.to_f64()))
    }

    fn to_integer(
        self,
        exact: impl FnOnce(Rational) -> i64,
        float: impl FnOnce(f64) -> f64,
    ) -> Result<i64, ArithError> {
        match self {
            Number::Exact(r) => Ok(exact(r)),
            Number::Float(f) => {
                let rounded = float(f);
                if !rounded.is_finite() {
                    return Err(ArithError::NotFinite);
                }
                if !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&rounded) {
                    return Err(ArithError::Overflow);
                }
                Ok(rounded as i64)
            }
        }
    }

    /// The greatest integer `<= self`; an error for a non-finite float or one outside 64 bits.
    pub fn floor(self) -> Result<i64, ArithError> {
        self.to_integer(Rational::floor, f64::floor)
    }

    /// The least integer `>= self`; an error for a non-finite float or one outside 64 bits.
    pub fn ceil(self) -> Result<i64, ArithError> {
        self.to_integer(
            |r| {
                -Rational {
                    num: -r.num,
                    den: r.den,
                }
                .floor()
            },
            f64::ceil,
        )
    }

    /// Rounds half to even, as Python's `round` does.
    pub fn round(self) -> Result<i64, ArithError> {
        self.to_integer(
            |r| {
                let floor = r.floor();
                let twice_remainder = 2 * (r.num as i128 - floor as i128 * r.den as i128);
                match twice_remainder.cmp(&(r.den as i128)) {
                    Ordering::Less => floor,
                    Ordering::Greater => floor + 1,
                    Ordering::Equal if floor % 2 == 0 => floor,
                    Ordering::Equal => floor + 1,
                }
            },
            f64::round_ties_even,
        )
    }

    /// Truncation toward zero, as Python's `int(x)`.
    pub fn truncate(self) -> Result<i64, ArithError> {
        self.to_integer(|r| r.num / r.den, f64::trunc)
    }
}

impl std::ops::Add for Number {
    type Output = Number;

    fn add(self, other: Number) -> Number {
        self.binary(
            other,
            |an, ad, bn, bd| {
                Rational::lazy(
                    an.checked_mul(bd)?.checked_add(bn.checked_mul(ad)?)?,
                    ad.checked_mul(bd)?,
                )
            },
            |a, b| a + b,
        )
    }
}

impl std::ops::Sub for Number {
    type Output = Number;

    fn sub(self, other: Number) -> Number {
        self + -other
    }
}

impl std::ops::Mul for Number {
    type Output = Number;

    fn mul(self, other: Number) -> Number {
        self.binary(
            other,
            |an, ad, bn, bd| Rational::lazy(an.checked_mul(bn)?, ad.checked_mul(bd)?),
            |a, b| a * b,
        )
    }
}

impl std::ops::Neg for Number {
    type Output = Number;

    fn neg(self) -> Number {
        match self {
            Number::Exact(r) => exact_or(Rational::lazy(-(r.num as i128), r.den as i128), || {
                -r.to_f64()
            }),
            Number::Float(f) => Number::Float(-f),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reduced_form() {
            Number::Exact(r) if r.den == 1 => write!(f, "{}", r.num),
            Number::Exact(r) => {
                // A terminating decimal prints as one; anything else as a fraction.
                let mut den = r.den;
                while den % 2 == 0 {
                    den /= 2;
                }
                while den % 5 == 0 {
                    den /= 5;
                }
                if den == 1 {
                    write!(f, "{}", r.to_f64())
                } else {
                    write!(f, "{}/{}", r.num, r.den)
                }
            }
            Number::Float(x) => write!(f, "{x:?}"),
        }
    }
}

/// Integer arithmetic of the language: 64-bit, overflow is an error, `//` and `%` floor as in Python.
pub mod int {
    use super::ArithError;

    /// `a + b`, or `Overflow`.
    pub fn add(a: i64, b: i64) -> Result<i64, ArithError> {
        a.checked_add(b).ok_or(ArithError::Overflow)
    }

    /// `a - b`, or `Overflow`.
    pub fn sub(a: i64, b: i64) -> Result<i64, ArithError> {
        a.checked_sub(b).ok_or(ArithError::Overflow)
    }

    /// `a * b`, or `Overflow`.
    pub fn mul(a: i64, b: i64) -> Result<i64, ArithError> {
        a.checked_mul(b).ok_or(ArithError::Overflow)
    }

    /// `-a`, or `Overflow` for `i64::MIN`.
    pub fn neg(a: i64) -> Result<i64, ArithError> {
        a.checked_neg().ok_or(ArithError::Overflow)
    }

    /// `a // b` rounded toward negative infinity: `-7 // 2 == -4`.
    pub fn floor_div(a: i64, b: i64) -> Result<i64, ArithError> {
        if b == 0 {
            return Err(ArithError::DivisionByZero);
        }
        let q = a.checked_div(b).ok_or(ArithError::Overflow)?;
        Ok(if (a % b != 0) && ((a < 0) != (b < 0)) {
            q - 1
        } else {
            q
        })
    }

    /// The remainder with the divisor's sign: `-1 % 3 == 2`.
    pub fn rem(a: i64, b: i64) -> Result<i64, ArithError> {
        if b == 0 {
            return Err(ArithError::DivisionByZero);
        }
        let r = a.checked_rem(b).ok_or(ArithError::Overflow)?;
        Ok(if r != 0 && ((r < 0) != (b < 0)) {
            r + b
        } else {
            r
        })
    }

    /// `a ** b` for `b >= 0`; a negative exponent has no integer answer.
    pub fn pow(a: i64, b: i64) -> Result<i64, ArithError> {
        if b < 0 {
            return Err(ArithError::NegativeExponent);
        }
        let b = u32::try_from(b).map_err(|_| ArithError::Overflow)?;
        a.checked_pow(b).ok_or(ArithError::Overflow)
    }
}

/// A reward given by its log, readable at any magnitude: twelve significant digits at most, exact
/// integers as integers (`11`, not `11.000000000000002`), scientific form when tiny or huge
/// (`3.2e-12`), and `e^710.3` past what a 64-bit float holds.
pub fn reward_text(log_reward: f64) -> String {
    let reward = log_reward.exp();
    if log_reward.is_nan() {
        return "NaN".to_string();
    }
    if !reward.is_finite() || (reward == 0.0 && log_reward.is_finite()) {
        return format!("e^{log_reward:.4}");
    }
    number_text(reward)
}

/// A float at twelve significant digits, without the noise of its last bits.
pub fn number_text(value: f64) -> String {
    if !value.is_finite() {
        return format!("{value}");
    }
    // Round to twelve significant digits, then print the shortest form that reads back as that.
    let rounded: f64 = format!("{value:.11e}").parse().unwrap_or(value);
    let magnitude = rounded.abs();
    if rounded != 0.0 && !(1e-4..1e15).contains(&magnitude) {
        format!("{rounded:e}")
    } else {
        format!("{rounded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(n: i64, d: i64) -> Number {
        Number::Exact(Rational::new(n as i128, d as i128).expect("fits"))
    }

    #[test]
    fn decimal_literals_are_exact() {
        let x = Number::parse_decimal("0.3").expect("parses");
        assert_eq!(x.compare(exact(3, 10)), Some(Ordering::Equal));
        let y = Number::parse_decimal("2.5E+2").expect("parses");
        assert_eq!(y.compare(Number::from(250)), Some(Ordering::Equal));
        let z = Number::parse_decimal("1e-3").expect("parses");
        assert_eq!(z.compare(exact(1, 1000)), Some(Ordering::Equal));
        assert!(!Number::parse_decimal("1e-300").expect("parses").is_exact());
    }

    #[test]
    fn hypergrid_band_is_decided_exactly_at_h16() {
        // |12/15 - 0.5| = 0.3 exactly, so 0.3 < u is false; floats say true.
        let u = (exact(12, 15) - exact(1, 2)).abs();
        assert_eq!(u.compare(exact(3, 10)), Some(Ordering::Equal));
        assert!((12.0f64 / 15.0 - 0.5).abs() > 0.3);
    }

    #[test]
    fn overflow_falls_back_to_float() {
        let big = Number::from(i64::MAX);
        let sum = big + big;
        assert!(!sum.is_exact());
        assert_eq!(sum.to_f64(), 2.0 * i64::MAX as f64);
    }

    #[test]
    fn powers() {
        assert_eq!(
            exact(2, 3).pow(Number::from(-2)).map(|n| n.to_f64()),
            Ok(2.25)
        );
        assert_eq!(
            Number::from(0).pow(Number::from(-1)).map(|n| n.to_f64()),
            Err(ArithError::DivisionByZero)
        );
        assert!(!Number::from(2)
            .pow(exact(1, 2))
            .expect("defined")
            .is_exact());
    }

    #[test]
    fn rounding_is_pythons() {
        assert_eq!(exact(5, 2).round(), Ok(2));
        assert_eq!(exact(7, 2).round(), Ok(4));
        assert_eq!(exact(-5, 2).round(), Ok(-2));
        assert_eq!(exact(-5, 2).floor(), Ok(-3));
        assert_eq!(exact(-5, 2).ceil(), Ok(-2));
        assert_eq!(exact(-5, 2).truncate(), Ok(-2));
        assert_eq!(Number::Float(f64::NAN).floor(), Err(ArithError::NotFinite));
    }

    #[test]
    fn integer_division_floors() {
        assert_eq!(int::floor_div(-7, 2), Ok(-4));
        assert_eq!(int::rem(-7, 2), Ok(1));
        assert_eq!(int::rem(7, -2), Ok(-1));
        assert_eq!(int::floor_div(1, 0), Err(ArithError::DivisionByZero));
        assert_eq!(int::floor_div(i64::MIN, -1), Err(ArithError::Overflow));
        assert_eq!(int::pow(2, 63), Err(ArithError::Overflow));
    }

    #[test]
    fn rewards_read_well_at_any_magnitude() {
        assert_eq!(reward_text(11f64.ln()), "11");
        assert_eq!(reward_text(2.6f64.ln()), "2.6");
        assert_eq!(reward_text(3.2e-12f64.ln()), "3.2e-12");
        assert_eq!(reward_text(1e300f64.ln()), "1e300");
        assert_eq!(reward_text(800.0), "e^800.0000");
        assert_eq!(reward_text(-800.0), "e^-800.0000");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(-1.234567890123456), "-1.23456789012");
        assert_eq!(number_text(123456789012.0), "123456789012");
    }
}
