//! Exact Kubernetes resource quantities (`500m`, `2`, `1Gi`, `10G`).
//!
//! kprov adds up requests and limits across an estate and compares the sums
//! with quotas and node capacity. With floating point, `0.1 + 0.2` CPU is not
//! `300m`, byte counts near `8Ei` lose their low digits, and a report can say
//! a namespace is over quota when it is exactly at it. So this module has no floating point at
//! all: parsing, printing, comparison and arithmetic are integer operations.
//!
//! # Representation
//!
//! A [`Quantity`] is an `i128` count of nano-units (10^-9) plus the
//! [`Format`] it was written in.
//!
//! * **Nanos**, because 1n is the finest resolution Kubernetes keeps: it
//!   rounds every quantity to a whole number of nanos, so every value the API
//!   server can hold is an integer here, and equality, ordering and hashing
//!   are plain integer operations.
//! * **`i128`**, because Kubernetes values reach 2^63 units (`8Ei`), which is
//!   about 2^93 nanos. `i128` holds about ±1.7 × 10^29 units without
//!   allocating and keeps the type `Copy`.
//! * The format only decides how a value prints (`1Gi` versus `1073741824`);
//!   it never takes part in comparisons, so `0.5 == 500m` and
//!   `1Gi == 1024Mi`.
//!
//! # Errors instead of rounding
//!
//! Kubernetes rounds a value finer than 1n *up* to the next nano
//! (`0.1n` becomes `1n`, `1.0000000001` becomes `1000000001n`) and caps
//! binary values at 2^63 − 1. kprov compiles manifests that people review:
//! silently writing a value other than the one in the source is a bug, and a
//! value that cannot be carried exactly is far more often a typo or a unit
//! mistake than intent. [`Quantity::parse`] therefore reports
//! [`QuantityError::TooPrecise`] or [`QuantityError::Overflow`] instead.
//!
//! # Other divergences from Kubernetes
//!
//! Parsing follows `resource.ParseQuantity` and printing follows
//! `Quantity.CanonicalizeBytes`, except:
//!
//! * A number is required: Kubernetes reads `Gi`, `-`, `+` and `.` as zero;
//!   here they are errors, because a missing number is a mistake.
//! * Kubernetes' `String()` returns the input text unchanged when a heuristic
//!   deems it canonical, so `+1`, `01` and `1E3` print as written. Here
//!   printing is always canonical (`1`, `1`, `1e3`), so two equal quantities
//!   with the same format always print the same.
//! * Kubernetes reads a decimal exponent as an `int64` and truncates it to
//!   32 bits (`1e4294967299` is `1e3` there); here it is never truncated, so
//!   such values are out of range, and a zero stays zero whatever the
//!   exponent.
//! * A whole [`Format::BinarySI`] value that 1024 does not divide prints as
//!   decimal SI (`1.953125Ki` → `2k`); Kubernetes prints the bare integer
//!   (`2000`), which it then re-reads as decimal and prints as `2k`. Printing
//!   `2k` at once matches what the API server shows and keeps canonical
//!   printing a fixed point. Values like `1025` or `1536` print the same
//!   either way.
//! * Decimal values printed with an exponent above `E` (10^18) use exponent
//!   notation (`1e21`), as current Kubernetes does (older releases printed
//!   `1000E` as `1`); binary values stop at `Ei` (`1024Ei`), which Kubernetes
//!   never reaches because of its cap.
//! * Unquoted JSON or YAML numbers arrive through serde as integers or `f64`
//!   rather than as text, so `1e3` reads as `1k` (the same value, but
//!   [`Format::DecimalSI`]); see the [`Deserialize`] impl of [`Quantity`].
//!   Leading and trailing blanks are rejected, not trimmed.
//! * Arithmetic picks the result format by the rule documented on
//!   [`Quantity::checked_add`], not by Kubernetes' "left operand unless it is
//!   zero".

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Nano-units per unit.
const NANOS_PER_UNIT: i128 = 1_000_000_000;

/// Appended to every parse error so the reader sees what valid input looks
/// like without looking anything up.
const EXAMPLES: &str = "expected e.g. `500m`, `2`, `1Gi`, `10G`";

/// What to write instead of `input`: the nearest valid forms when it reads
/// like a size written the way other tools write them (`16GB`, `512mb`,
/// `2 GiB`, `1K`), otherwise examples.
fn hint(input: &str) -> String {
    let base = |form: &str| match form.ends_with('i') {
        true => "powers of 1024",
        false => "powers of 1000",
    };
    match nearest_forms(input).as_slice() {
        [] => EXAMPLES.to_owned(),
        [one] => format!("did you mean `{one}`?"),
        [first, second, ..] => format!(
            "did you mean `{first}` ({}) or `{second}` ({})?",
            base(first),
            base(second)
        ),
    }
}

/// Quantities `input` may have meant: its number with the suffix read
/// without case, a byte unit or blanks, decimal before binary unless it
/// named the binary one (`GiB`). Only forms that parse are offered.
fn nearest_forms(input: &str) -> Vec<String> {
    let number_end = input
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && matches!(c, '+' | '-'))))
        .map_or(input.len(), |(i, _)| i);
    let (number, unit) = input.split_at(number_end);
    if number.is_empty() || Quantity::parse(number).is_err() {
        return Vec::new();
    }
    let unit = unit.trim().to_ascii_lowercase();
    let unit = ["bytes", "byte", "b"]
        .iter()
        .find_map(|b| unit.strip_suffix(b))
        .unwrap_or(&unit);
    let binary_named = unit.len() == 2 && unit.ends_with('i');
    let Some(letter) = unit.chars().next() else {
        // `16B`, `16 bytes`: a plain number of bytes.
        return vec![number.to_owned()]
            .into_iter()
            .filter(|n| n != input)
            .collect();
    };
    if unit.len() > 1 && !binary_named {
        return Vec::new();
    }
    let decimal = match letter {
        'k' => "k",
        'm' => "M",
        'g' => "G",
        't' => "T",
        'p' => "P",
        'e' => "E",
        _ => return Vec::new(),
    };
    let binary = format!("{}i", decimal.to_ascii_uppercase());
    let mut forms = vec![format!("{number}{decimal}"), format!("{number}{binary}")];
    if binary_named {
        forms.reverse();
    }
    forms.retain(|f| f != input && Quantity::parse(f).is_ok());
    forms
}

/// Decimal SI suffixes from 10^-9 to 10^18, one per power of 1000; the index
/// `i` stands for 10^(3i - 9).
const DECIMAL_SUFFIXES: [&str; 10] = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"];

/// Binary SI suffixes; the index `i` stands for 1024^i.
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/// Characters Kubernetes lets a suffix start with; the scanner uses the same
/// set so that errors point at the same character Kubernetes would reject.
const SUFFIX_CHARS: &[u8] = b"eEinumkKMGTP";

/// How a quantity was written, and so how it prints.
///
/// Mirrors Kubernetes' `resource.Format`. It is not part of the value:
/// quantities with different formats compare equal when their values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Powers of 1024: `Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei` (e.g. `1536Mi`).
    /// Values below 1024 in magnitude, or with a fraction, print as
    /// [`Format::DecimalSI`].
    BinarySI,
    /// Powers of 1000: `n`, `u`, `m`, none, `k`, `M`, `G`, `T`, `P`, `E`
    /// (e.g. `500m`, `10G`). Plain numbers are in this format.
    DecimalSI,
    /// A power-of-ten exponent: `1e3`, `1E-3`, `1.5e6`. Prints with an
    /// exponent that is a multiple of 3 (`1e3`, `500e-3`).
    DecimalExponent,
}

/// Why a string is not an exact Kubernetes quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The input was the empty string.
    #[error("an empty string is not a Kubernetes quantity ({EXAMPLES})")]
    Empty,
    /// A character that cannot appear at that place in a quantity.
    #[error(
        "`{input}` is not a Kubernetes quantity: unexpected `{found}` at position {position} ({})",
        hint(.input)
    )]
    UnexpectedChar {
        /// The whole input.
        input: String,
        /// The offending character.
        found: char,
        /// Its 0-based position, in characters.
        position: usize,
    },
    /// A sign, `.` or suffix without any digits (`Gi`, `-`, `.`).
    #[error("`{input}` is not a Kubernetes quantity: it has no number ({EXAMPLES})")]
    MissingNumber {
        /// The whole input.
        input: String,
    },
    /// The suffix is not one Kubernetes knows (`K`, `mi`, `e`).
    #[error(
        "`{input}` is not a Kubernetes quantity: unknown suffix `{suffix}`; use one of n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or an exponent such as e3 or E-3 ({})",
        hint(.input)
    )]
    UnknownSuffix {
        /// The whole input.
        input: String,
        /// The suffix as written.
        suffix: String,
    },
    /// The value is not a whole number of nano-units (10^-9).
    #[error(
        "`{input}` is finer than 1n (0.000000001), the smallest step of a Kubernetes quantity; kprov does not round it, write it with at most 9 decimal places"
    )]
    TooPrecise {
        /// The whole input.
        input: String,
    },
    /// The value is beyond about ±1.7 × 10^29 units.
    #[error(
        "`{input}` is too large: kprov quantities hold at most about ±1.7e29 (Kubernetes itself stops near 8Ei)"
    )]
    Overflow {
        /// The whole input.
        input: String,
    },
    /// A floating-point number that is NaN or infinite.
    #[error("`{value}` is not a Kubernetes quantity: it is not a finite number ({EXAMPLES})")]
    NotFinite {
        /// The number as Rust prints it.
        value: String,
    },
    /// A floating-point number with more significant digits than `f64` keeps
    /// exactly, so the digits that were written are already lost.
    #[error(
        "the number {value} has more significant digits than a floating-point number keeps exactly; quote it as a string (e.g. \"123456789012345678\")"
    )]
    InexactFloat {
        /// The number as Rust prints it.
        value: String,
    },
}

/// An exact Kubernetes resource quantity: a whole number of nano-units plus
/// the format it prints in.
///
/// Equality, ordering and hashing look at the value only, so
/// `0.5 == 500m` and `1Gi == 1024Mi == 1073741824`. [`fmt::Display`] prints
/// the Kubernetes canonical form (`0.5` → `500m`, `1024Mi` → `1Gi`).
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

/// Why a number cannot be held as an `i128` count of nanos.
enum Unrepresentable {
    TooPrecise,
    Overflow,
}

impl Quantity {
    /// The JSON Schema `format` under which the loader checks quantities.
    pub const FORMAT: &'static str = "quantity";

    /// Zero, in [`Format::DecimalSI`]; prints as `0`.
    pub const fn zero() -> Self {
        Self::from_nanos(0, Format::DecimalSI)
    }

    /// A quantity of `nanos` nano-units (10^-9) that prints in `format`.
    pub const fn from_nanos(nanos: i128, format: Format) -> Self {
        Self { nanos, format }
    }

    /// The value as a count of nano-units (10^-9): `500m` is 500 000 000.
    pub const fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The format the quantity prints in.
    pub const fn format(&self) -> Format {
        self.format
    }

    /// Whether the value is zero, whatever the format.
    pub const fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// Parse a quantity written as Kubernetes accepts it:
    /// `[+-]<digits>[.<digits>]<suffix>`, where either digit group may be
    /// empty (`.5`, `5.`) but not both, and the suffix is one of
    /// `n u m k M G T P E`, `Ki Mi Gi Ti Pi Ei`, `e<int>`/`E<int>`, or
    /// nothing. No blanks are allowed.
    ///
    /// Unlike Kubernetes, which rounds up to the next nano and caps binary
    /// values at 2^63 − 1, a value that is not a whole number of nanos is an
    /// error ([`QuantityError::TooPrecise`]), and so is one beyond the `i128`
    /// range ([`QuantityError::Overflow`]); see the module documentation.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        if s.is_empty() {
            return Err(QuantityError::Empty);
        }
        let bytes = s.as_bytes();
        let len = bytes.len();
        let skip_digits = |mut pos: usize| {
            while pos < len && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            pos
        };

        let mut pos = 0;
        let negative = bytes[0] == b'-';
        if matches!(bytes[0], b'-' | b'+') {
            pos = 1;
        }
        let int_start = pos;
        pos = skip_digits(pos);
        let int_digits = &s[int_start..pos];
        let mut frac_digits = "";
        if pos < len && bytes[pos] == b'.' {
            let frac_start = pos + 1;
            pos = skip_digits(frac_start);
            frac_digits = &s[frac_start..pos];
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            // A suffix-like rest (`Gi`) means the number was left out; anything
            // else (`--1`, `x`) is better reported as the character it is.
            return match bytes.get(pos) {
                Some(b) if !SUFFIX_CHARS.contains(b) => Err(unexpected(s, pos)),
                _ => Err(QuantityError::MissingNumber {
                    input: s.to_owned(),
                }),
            };
        }

        // Scan the suffix with Kubernetes' shape, `[eEinumkKMGTP]*[+-]?[0-9]*`,
        // so a stray character is reported where Kubernetes would stop; which
        // of those shapes are real suffixes is decided afterwards.
        let suffix_start = pos;
        while pos < len && SUFFIX_CHARS.contains(&bytes[pos]) {
            pos += 1;
        }
        if pos < len && matches!(bytes[pos], b'+' | b'-') {
            pos += 1;
        }
        pos = skip_digits(pos);
        if pos < len {
            return Err(unexpected(s, pos));
        }
        let suffix = &s[suffix_start..];
        let Some((exp2, exp10, mut format)) = interpret_suffix(suffix) else {
            return Err(QuantityError::UnknownSuffix {
                input: s.to_owned(),
                suffix: suffix.to_owned(),
            });
        };

        let magnitude =
            exact_magnitude(int_digits, frac_digits, exp2, exp10).map_err(|e| match e {
                Unrepresentable::TooPrecise => QuantityError::TooPrecise {
                    input: s.to_owned(),
                },
                Unrepresentable::Overflow => QuantityError::Overflow {
                    input: s.to_owned(),
                },
            })?;
        let nanos = if negative {
            0i128.checked_sub_unsigned(magnitude)
        } else {
            i128::try_from(magnitude).ok()
        }
        .ok_or_else(|| QuantityError::Overflow {
            input: s.to_owned(),
        })?;

        // Kubernetes turns a binary quantity strictly between -1 and 1 into a
        // decimal one; following it keeps the format of sums the same.
        if format == Format::BinarySI && nanos != 0 && nanos.unsigned_abs() < NANOS_PER_UNIT as u128
        {
            format = Format::DecimalSI;
        }
        Ok(Quantity { nanos, format })
    }

    /// The same amount as a message should show it. A sum of binary and
    /// decimal sizes is decimal and, unless 1000 divides it, prints as a
    /// bare count of bytes (`1803886264320`) that nobody reads as `1680Gi`;
    /// such a count of at least 1Mi is shown in the largest binary unit that
    /// divides it. Anything with a suffix, and small counts (cores, pods),
    /// stay as written. Output keeps Kubernetes' form.
    pub fn readable(&self) -> Quantity {
        const MI: i128 = 1024 * 1024 * NANOS_PER_UNIT;
        let bare = self.format != Format::BinarySI
            && self.nanos % NANOS_PER_UNIT == 0
            && self.nanos.abs() >= MI
            && self
                .canonical()
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-');
        match bare && self.nanos % (1024 * NANOS_PER_UNIT) == 0 {
            true => Quantity {
                nanos: self.nanos,
                format: Format::BinarySI,
            },
            false => *self,
        }
    }

    /// `self + other`, or `None` if it overflows.
    ///
    /// The result is [`Format::BinarySI`] if both operands are, otherwise
    /// [`Format::DecimalSI`] if either is, otherwise the format of `self`.
    /// The same rule applies to [`Quantity::checked_sub`] and
    /// [`Quantity::sum`].
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_add(other.nanos)?,
            format: combined_format(self.format, other.format),
        })
    }

    /// `self - other`, or `None` if it overflows; the format follows
    /// [`Quantity::checked_add`].
    pub fn checked_sub(&self, other: &Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_sub(other.nanos)?,
            format: combined_format(self.format, other.format),
        })
    }

    /// `self × factor` (e.g. a per-replica request times the replica count),
    /// or `None` if it overflows. Keeps the format of `self`.
    pub fn checked_mul_int(&self, factor: i128) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_mul(factor)?,
            format: self.format,
        })
    }

    /// The sum of `quantities`, or `None` if it overflows.
    ///
    /// An empty sum is [`Quantity::zero`]. Otherwise the first quantity
    /// supplies the starting format and each addition follows
    /// [`Quantity::checked_add`], so a sum of `Gi` values prints in `Gi`.
    pub fn sum<'a, I>(quantities: I) -> Option<Quantity>
    where
        I: IntoIterator<Item = &'a Quantity>,
    {
        let mut iter = quantities.into_iter();
        let Some(first) = iter.next() else {
            return Some(Quantity::zero());
        };
        iter.try_fold(*first, |acc, q| acc.checked_add(q))
    }

    /// `self / of × 1000`, rounded down (towards negative infinity), for
    /// percentage reports: `250m` of `1` is 250.
    ///
    /// Exact for every pair of values. `None` if `of` is zero or the result
    /// does not fit in an `i128`.
    pub fn ratio_permille(&self, of: &Quantity) -> Option<i128> {
        if of.nanos == 0 {
            return None;
        }
        let a = self.nanos.unsigned_abs();
        let b = of.nanos.unsigned_abs();
        // `a * 1000` can overflow, so split `a` into whole multiples of `b`
        // and a remainder, and scale the remainder without overflowing.
        let (fraction, remainder) = mul_div_below(a % b, 1000, b);
        let magnitude = (a / b).checked_mul(1000)?.checked_add(fraction)?;
        if (self.nanos < 0) != (of.nanos < 0) {
            let magnitude = if remainder == 0 {
                magnitude
            } else {
                magnitude.checked_add(1)?
            };
            0i128.checked_sub_unsigned(magnitude)
        } else {
            i128::try_from(magnitude).ok()
        }
    }

    /// The Kubernetes canonical text (see [`fmt::Display`]).
    fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".to_owned();
        }
        // Kubernetes prints a whole binary value that 1024 does not divide
        // (`2000`) as a bare integer, which then re-reads as decimal and
        // prints differently (`2k`). Printing it as decimal straight away
        // gives what the API server shows after reading kprov's output, and
        // makes printing a fixed point.
        if self.format == Format::BinarySI && self.nanos % (1024 * NANOS_PER_UNIT) == 0 {
            let mut units = self.nanos / NANOS_PER_UNIT;
            let mut power = 0;
            while power < BINARY_SUFFIXES.len() - 1 && units % 1024 == 0 {
                units /= 1024;
                power += 1;
            }
            return with_suffix(units, BINARY_SUFFIXES[power]);
        }

        // Largest power of 1000 (at least 10^-9, since values are whole
        // nanos) of which the value is a whole multiple.
        let trailing_zeros = trailing_decimal_zeros(self.nanos.unsigned_abs());
        let shift = trailing_zeros / 3 * 3;
        let mantissa = self.nanos / 10i128.pow(shift);
        let exponent = i64::from(shift) - 9;
        let suffix_index = usize::try_from((exponent + 9) / 3).unwrap_or(usize::MAX);
        let suffix = match self.format {
            Format::BinarySI | Format::DecimalSI if suffix_index < DECIMAL_SUFFIXES.len() => {
                Cow::Borrowed(DECIMAL_SUFFIXES[suffix_index])
            }
            _ if exponent == 0 => Cow::Borrowed(""),
            // DecimalSI has no suffix past `E`; like Kubernetes, fall back to
            // exponent notation rather than drop the magnitude.
            _ => Cow::Owned(format!("e{exponent}")),
        };
        with_suffix(mantissa, &suffix)
    }
}

/// `number` then `suffix`, without the formatting machinery: quantities
/// are printed for every namespace's context.
fn with_suffix(number: i128, suffix: &str) -> String {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(number);
    let mut out = String::with_capacity(digits.len() + suffix.len());
    out.push_str(digits);
    out.push_str(suffix);
    out
}

/// How many times 10 divides `n` (none for zero). Nearly every quantity
/// fits 64 bits, where a division is one instruction instead of a call
/// (printing quantities for every namespace's context showed in profiles).
fn trailing_decimal_zeros(n: u128) -> u32 {
    fn count<T: Copy + PartialEq + std::ops::Rem<Output = T> + std::ops::DivAssign>(
        mut n: T,
        ten: T,
        zero: T,
    ) -> u32 {
        let mut zeros = 0;
        while n != zero && n % ten == zero {
            n /= ten;
            zeros += 1;
        }
        zeros
    }
    match u64::try_from(n) {
        Ok(n) => count(n, 10, 0),
        Err(_) => count(n, 10, 0),
    }
}

/// The format of a sum or difference; see [`Quantity::checked_add`].
fn combined_format(left: Format, right: Format) -> Format {
    match (left, right) {
        (Format::BinarySI, Format::BinarySI) => Format::BinarySI,
        (Format::DecimalSI, _) | (_, Format::DecimalSI) => Format::DecimalSI,
        _ => left,
    }
}

/// An [`QuantityError::UnexpectedChar`] for the character at byte `pos`.
///
/// Only ASCII is ever skipped before `pos`, so the byte offset is a character
/// boundary and equals the character position.
fn unexpected(s: &str, pos: usize) -> QuantityError {
    QuantityError::UnexpectedChar {
        input: s.to_owned(),
        found: s[pos..].chars().next().unwrap_or_default(),
        position: pos,
    }
}

/// Reads a suffix as `(power of 2, power of 10, format)`.
fn interpret_suffix(suffix: &str) -> Option<(u32, i64, Format)> {
    if let Some(i) = DECIMAL_SUFFIXES.iter().position(|&d| d == suffix) {
        let i = i64::try_from(i).ok()?;
        return Some((0, 3 * i - 9, Format::DecimalSI));
    }
    if let Some(i) = BINARY_SUFFIXES.iter().skip(1).position(|&b| b == suffix) {
        let i = u32::try_from(i).ok()?;
        return Some((10 * (i + 1), 0, Format::BinarySI));
    }
    let exponent = suffix.strip_prefix(['e', 'E'])?;
    let (negative, digits) = match exponent.as_bytes().first()? {
        b'-' => (true, &exponent[1..]),
        b'+' => (false, &exponent[1..]),
        _ => (false, exponent),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Saturating is safe: any exponent this large puts a non-zero value out
    // of range in either direction, and leaves zero zero.
    let magnitude = digits.bytes().fold(0i64, |acc, b| {
        acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    Some((
        0,
        if negative { -magnitude } else { magnitude },
        Format::DecimalExponent,
    ))
}

/// The magnitude in nanos of `int.frac × 2^exp2 × 10^exp10`, computed on the
/// decimal digits themselves so that no intermediate value can overflow or
/// lose precision, however many digits were written.
fn exact_magnitude(int: &str, frac: &str, exp2: u32, exp10: i64) -> Result<u128, Unrepresentable> {
    // Least significant digit first, so carries append at the end.
    let mut digits: Vec<u8> = int
        .bytes()
        .chain(frac.bytes())
        .rev()
        .map(|b| b - b'0')
        .collect();
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        return Ok(0);
    }
    for _ in 0..exp2 / 10 {
        let mut carry = 0u32;
        for d in &mut digits {
            let v = u32::from(*d) * 1024 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    let zeros = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..zeros);
    // Power of ten that turns the remaining digits into nanos; usize always
    // fits in i128.
    let scale = i128::from(exp10) + 9 - frac.len() as i128 + zeros as i128;
    if scale < 0 {
        // The digits no longer end in 0, so dividing by 10 leaves a fraction.
        return Err(Unrepresentable::TooPrecise);
    }
    // u128::MAX has 39 digits: a longer number cannot fit.
    if digits.len() as i128 + scale > 39 {
        return Err(Unrepresentable::Overflow);
    }
    let mut magnitude = 0u128;
    for &d in digits.iter().rev() {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(d)))
            .ok_or(Unrepresentable::Overflow)?;
    }
    let scale = u32::try_from(scale).map_err(|_| Unrepresentable::Overflow)?;
    10u128
        .checked_pow(scale)
        .and_then(|p| magnitude.checked_mul(p))
        .ok_or(Unrepresentable::Overflow)
}

/// `(⌊r × m / b⌋, r × m mod b)` for `r < b ≤ 2^127`, by binary long
/// multiplication so that no intermediate exceeds `2 × b`.
fn mul_div_below(r: u128, m: u32, b: u128) -> (u128, u128) {
    let mut quotient = 0u128;
    let mut remainder = 0u128;
    for bit in (0..u32::BITS - m.leading_zeros()).rev() {
        quotient *= 2;
        remainder *= 2;
        if remainder >= b {
            remainder -= b;
            quotient += 1;
        }
        if (m >> bit) & 1 == 1 {
            remainder += r;
            if remainder >= b {
                remainder -= b;
                quotient += 1;
            }
        }
    }
    (quotient, remainder)
}

impl Default for Quantity {
    /// [`Quantity::zero`].
    fn default() -> Self {
        Quantity::zero()
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl fmt::Display for Quantity {
    /// The Kubernetes canonical form, as `Quantity.String()` prints it:
    ///
    /// * zero is `0`;
    /// * [`Format::BinarySI`] multiples of 1024 print with the largest power
    ///   of 1024 (up to `Ei`) that divides them: `1024Mi` → `1Gi`, `1536Mi`
    ///   stays; other binary values print as decimal SI (`0.5Ki` → `512`,
    ///   `1.953125Ki` → `2k`, where Kubernetes prints `2000`);
    /// * [`Format::DecimalSI`] prints with the largest power of 1000 that
    ///   divides the value: `0.5` → `500m`, `1000` → `1k`, `1500` stays,
    ///   `1.5G` → `1500M`; past `E` it uses exponent notation (`1e21`);
    /// * [`Format::DecimalExponent`] does the same with `e<exponent>`:
    ///   `1000` → `1e3`, `0.5` → `500e-3`, and no suffix for 10^0
    ///   (`1.5e3` → `1500`).
    ///
    /// Width and alignment flags apply to the whole text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.canonical())
    }
}

impl Serialize for Quantity {
    /// Serializes as the canonical string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.canonical())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    /// Accepts a string (parsed by [`Quantity::parse`]), an integer, or a
    /// floating-point number.
    ///
    /// YAML and JSON parsers hand an unquoted `0.5` over as an `f64`. It is
    /// accepted, without any floating-point arithmetic: the `f64` is printed
    /// with Rust's shortest round-trip formatting (`0.5` → `"0.5"`) and that
    /// text is parsed. Because the parser already rounded the written digits
    /// to the nearest `f64`, numbers whose shortest form has more than 15
    /// significant digits are rejected ([`QuantityError::InexactFloat`]), as
    /// are NaN and infinities. Quoting quantities (`cpu: "500m"`,
    /// `cpu: "0.5"`) is recommended.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

struct QuantityVisitor;

impl QuantityVisitor {
    fn from_units<E: de::Error>(
        units: impl Into<i128> + fmt::Display + Copy,
    ) -> Result<Quantity, E> {
        units
            .into()
            .checked_mul(NANOS_PER_UNIT)
            .map(|nanos| Quantity::from_nanos(nanos, Format::DecimalSI))
            .ok_or_else(|| {
                E::custom(QuantityError::Overflow {
                    input: units.to_string(),
                })
            })
    }
}

impl Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes quantity such as `500m`, `2`, `1Gi` or `10G`")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
        Quantity::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
        Self::from_units(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
        Self::from_units(v)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Quantity, E> {
        Self::from_units(v)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Quantity, E> {
        match i128::try_from(v) {
            Ok(v) => Self::from_units(v),
            Err(_) => Err(E::custom(QuantityError::Overflow {
                input: v.to_string(),
            })),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
        let text = v.to_string();
        if !v.is_finite() {
            return Err(E::custom(QuantityError::NotFinite { value: text }));
        }
        // At most 15 significant decimal digits survive a trip through f64
        // unchanged; with more, the text below may differ from what was
        // written.
        let significant = text
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|&b| b == b'0')
            .collect::<Vec<u8>>();
        let significant =
            significant.len() - significant.iter().rev().take_while(|&&b| b == b'0').count();
        if significant > 15 {
            return Err(E::custom(QuantityError::InexactFloat { value: text }));
        }
        Quantity::parse(&text).map_err(E::custom)
    }
}

impl JsonSchema for Quantity {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number"],
            "format": Self::FORMAT,
            "minimum": 0,
            "description": "Kubernetes quantity, never negative, e.g. `500m`, `2`, `1Gi`, `10G`; computed exactly and printed canonically (`0.5` = `500m`, `1024Mi` = `1Gi`)."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::collections::HashSet;

    const N: i128 = NANOS_PER_UNIT;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_prints_canonically() {
        use Format::{BinarySI as B, DecimalExponent as X, DecimalSI as D};
        let ki = 1024 * N;
        let cases: &[(&str, i128, Format, &str)] = &[
            // every suffix
            ("1n", 1, D, "1n"),
            ("1u", 1_000, D, "1u"),
            ("1m", 1_000_000, D, "1m"),
            ("1", N, D, "1"),
            ("1k", 1_000 * N, D, "1k"),
            ("1M", 1_000_000 * N, D, "1M"),
            ("1G", 10i128.pow(9) * N, D, "1G"),
            ("1T", 10i128.pow(12) * N, D, "1T"),
            ("1P", 10i128.pow(15) * N, D, "1P"),
            ("1E", 10i128.pow(18) * N, D, "1E"),
            ("1Ki", ki, B, "1Ki"),
            ("1Mi", 1024 * ki, B, "1Mi"),
            ("1Gi", 1024i128.pow(3) * N, B, "1Gi"),
            ("1Ti", 1024i128.pow(4) * N, B, "1Ti"),
            ("1Pi", 1024i128.pow(5) * N, B, "1Pi"),
            ("1Ei", 1024i128.pow(6) * N, B, "1Ei"),
            ("8Ei", (1i128 << 63) * N, B, "8Ei"),
            ("1024Ei", 1024i128.pow(7) * N, B, "1024Ei"),
            ("1e3", 1_000 * N, X, "1e3"),
            ("1E3", 1_000 * N, X, "1e3"),
            ("1E-3", 1_000_000, X, "1e-3"),
            ("1e+3", 1_000 * N, X, "1e3"),
            // canonical forms
            ("0", 0, D, "0"),
            ("0Gi", 0, B, "0"),
            ("0e3", 0, X, "0"),
            ("-0", 0, D, "0"),
            ("0.5", N / 2, D, "500m"),
            (".5", N / 2, D, "500m"),
            ("5.", 5 * N, D, "5"),
            ("+1", N, D, "1"),
            ("-1", -N, D, "-1"),
            ("00001", N, D, "1"),
            ("1000m", N, D, "1"),
            ("1500", 1_500 * N, D, "1500"),
            ("1000", 1_000 * N, D, "1k"),
            ("0.1", N / 10, D, "100m"),
            ("100m", N / 10, D, "100m"),
            ("1.5G", 1_500_000_000 * N, D, "1500M"),
            ("1.G", 10i128.pow(9) * N, D, "1G"),
            ("1.0000000000", N, D, "1"),
            ("100.035k", 100_035 * N, D, "100035"),
            ("0.0005k", N / 2, D, "500m"),
            ("1.08", 1_080_000_000, D, "1080m"),
            ("12E", 12 * 10i128.pow(18) * N, D, "12E"),
            ("1.01E", 101 * 10i128.pow(16) * N, D, "1010P"),
            ("1000E", 10i128.pow(21) * N, D, "1e21"),
            ("1024Mi", 1024i128.pow(3) * N, B, "1Gi"),
            ("1536Mi", 1536 * 1024 * ki, B, "1536Mi"),
            ("0.5Gi", 512 * 1024 * ki, B, "512Mi"),
            ("1.5Ki", 1536 * N, B, "1536"),
            ("1.953125Ki", 2_000 * N, B, "2k"),
            ("0.5Ki", 512 * N, B, "512"),
            ("1023Ki", 1023 * ki, B, "1023Ki"),
            ("-1Ki", -ki, B, "-1Ki"),
            ("-1536Mi", -1536 * 1024 * ki, B, "-1536Mi"),
            (".001Ki", 1_024_000_000, B, "1024m"),
            // binary below 1 becomes decimal, as in Kubernetes
            (".000000001Ki", 1024, D, "1024n"),
            ("0.0000000005Ki", 512, D, "512n"),
            ("1.5e3", 1_500 * N, X, "1500"),
            ("1000e0", 1_000 * N, X, "1e3"),
            ("1e0", N, X, "1"),
            ("0.5e0", N / 2, X, "500e-3"),
            ("1.3E+6", 1_300_000 * N, X, "1300e3"),
            ("1e21", 10i128.pow(21) * N, X, "1e21"),
            ("1e-9", 1, X, "1e-9"),
            ("0e99999999999999999999", 0, X, "0"),
            (
                "1000000000000000000000000000000000000000e-40",
                N / 10,
                X,
                "100e-3",
            ),
        ];
        for &(input, nanos, format, canonical) in cases {
            let got = q(input);
            assert_eq!(got.nanos(), nanos, "{input}");
            assert_eq!(got.format(), format, "{input}");
            assert_eq!(got.to_string(), canonical, "{input}");
            assert_eq!(input.parse::<Quantity>(), Ok(got), "{input}");
        }
    }

    #[test]
    fn kubernetes_string_table() {
        // From apimachinery's TestQuantityString: (value, format) → text.
        use Format::{BinarySI as B, DecimalExponent as X, DecimalSI as D};
        let cases: &[(i128, i32, Format, &str)] = &[
            (1024 * 1024 * 1024, 0, B, "1Gi"),
            (300 * 1024 * 1024, 0, B, "300Mi"),
            (6 * 1024, 0, B, "6Ki"),
            (1001 * 1024 * 1024 * 1024, 0, B, "1001Gi"),
            (1024 * 1024 * 1024 * 1024, 0, B, "1Ti"),
            (5, 0, B, "5"),
            (500, -3, B, "500m"),
            (1, 9, D, "1G"),
            (1000, 6, D, "1G"),
            (1, -3, D, "1m"),
            (80, -3, D, "80m"),
            (1080, -3, D, "1080m"),
            (108, -2, D, "1080m"),
            (300, 6, D, "300M"),
            (1, 21, D, "1e21"),
            (5, 21, D, "5e21"),
            (1, 24, D, "1e24"),
            (1234567, 6, D, "1234567M"),
            (1234567, -3, B, "1234567m"),
            (3, 3, D, "3k"),
            (1025, 0, B, "1025"),
            (1, 9, X, "1e9"),
            (1, -3, X, "1e-3"),
            (1, -9, X, "1e-9"),
            (80, -3, X, "80e-3"),
            (300, 6, X, "300e6"),
            (3, 3, X, "3e3"),
            (1, -9, D, "1n"),
            (1080, -9, D, "1080n"),
            (1080, -6, D, "1080u"),
        ];
        for &(value, exp, format, text) in cases {
            let nanos = value * 10i128.pow(u32::try_from(exp + 9).unwrap());
            let quantity = Quantity::from_nanos(nanos, format);
            assert_eq!(quantity.to_string(), text, "{value}e{exp} {format:?}");
            assert_eq!(
                Quantity::from_nanos(-nanos, format).to_string(),
                format!("-{text}")
            );
            assert_eq!(q(text), quantity);
        }
    }

    /// A short, comparable description of an error.
    fn kind(e: &QuantityError) -> String {
        match e {
            QuantityError::Empty => "empty".into(),
            QuantityError::UnexpectedChar {
                found, position, ..
            } => format!("`{found}` at {position}"),
            QuantityError::MissingNumber { .. } => "no number".into(),
            QuantityError::UnknownSuffix { suffix, .. } => format!("suffix `{suffix}`"),
            QuantityError::TooPrecise { .. } => "too precise".into(),
            QuantityError::Overflow { .. } => "overflow".into(),
            QuantityError::NotFinite { .. } => "not finite".into(),
            QuantityError::InexactFloat { .. } => "inexact float".into(),
        }
    }

    #[test]
    fn rejects_invalid_input() {
        let cases = [
            ("", "empty"),
            ("1.5.3", "`.` at 3"),
            ("1 Gi", "` ` at 1"),
            (" 1", "` ` at 0"),
            ("1 ", "` ` at 1"),
            ("1gi", "`g` at 1"),
            ("1Kb", "`b` at 2"),
            ("--1", "`-` at 1"),
            ("0x10", "`x` at 1"),
            ("aoeu", "`a` at 0"),
            ("1.1.M", "`.` at 3"),
            ("0.1am", "`a` at 3"),
            ("1e3.5", "`.` at 3"),
            ("1µ", "`µ` at 1"),
            ("Gi", "no number"),
            ("-", "no number"),
            ("+", "no number"),
            (".", "no number"),
            ("-.k", "no number"),
            ("1e", "suffix `e`"),
            ("1K", "suffix `K`"),
            ("0.1mi", "suffix `mi`"),
            (".5i", "suffix `i`"),
            ("1i", "suffix `i`"),
            ("-3.01e-", "suffix `e-`"),
            ("1Ee3", "suffix `Ee3`"),
            ("1.0000000001", "too precise"),
            ("0.1n", "too precise"),
            ("1e-10", "too precise"),
            (".000000000001Ki", "too precise"),
            ("1e-99999999999999999999", "too precise"),
            ("2e29", "overflow"),
            ("1e30", "overflow"),
            ("200000000000000P", "overflow"),
            ("-1000000000000Ei", "overflow"),
            ("1e99999999999999999999", "overflow"),
            ("1000000000000000000000000000000000000000000n", "overflow"),
        ];
        for (input, want) in cases {
            let err = Quantity::parse(input).expect_err(input);
            assert_eq!(kind(&err), want, "{input}: {err}");
        }
    }

    #[test]
    fn error_messages_explain_and_show_examples() {
        let msg = |s: &str| Quantity::parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("1.5.3"),
            "`1.5.3` is not a Kubernetes quantity: unexpected `.` at position 3 \
             (expected e.g. `500m`, `2`, `1Gi`, `10G`)"
        );
        assert_eq!(
            msg(""),
            "an empty string is not a Kubernetes quantity (expected e.g. `500m`, `2`, `1Gi`, `10G`)"
        );
        assert!(msg("1K").contains("unknown suffix `K`"));
        assert!(msg("1K").contains("Ki"));
        assert!(
            msg("16GB")
                .ends_with("(did you mean `16G` (powers of 1000) or `16Gi` (powers of 1024)?)"),
            "{}",
            msg("16GB")
        );
        assert!(
            msg("2GiB")
                .ends_with("(did you mean `2Gi` (powers of 1024) or `2G` (powers of 1000)?)"),
            "{}",
            msg("2GiB")
        );
        assert!(
            msg("16B").ends_with("(did you mean `16`?)"),
            "{}",
            msg("16B")
        );
        for (typo, first) in [
            ("2GiB", "2Gi"),
            ("512mb", "512M"),
            ("1.5 Gi", "1.5Gi"),
            ("10gi", "10Gi"),
            ("1K", "1k"),
            ("100B", "100"),
            ("4 bytes", "4"),
        ] {
            assert_eq!(
                nearest_forms(typo).first().map(String::as_str),
                Some(first),
                "{typo}"
            );
        }
        for hopeless in ["1.5.3", "abc", "16GX", "1Q"] {
            assert_eq!(nearest_forms(hopeless), Vec::<String>::new(), "{hopeless}");
        }
        assert!(msg("Gi").contains("no number"));
        assert!(msg("1.0000000001").contains("finer than 1n"));
        assert!(msg("1e30").contains("too large"));
    }

    #[test]
    fn extreme_values_round_trip() {
        for nanos in [i128::MAX, i128::MIN, i128::MAX - 1, i128::MIN + 1] {
            for format in [Format::BinarySI, Format::DecimalSI, Format::DecimalExponent] {
                let quantity = Quantity::from_nanos(nanos, format);
                assert_eq!(q(&quantity.to_string()), quantity);
            }
        }
        assert_eq!(
            Quantity::from_nanos(i128::MIN, Format::DecimalSI).to_string(),
            "-170141183460469231731687303715884105728n"
        );
    }

    #[test]
    fn equality_hash_and_order_use_the_value() {
        assert_eq!(q("0.5"), q("500m"));
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1e3"), q("1k"));
        assert_ne!(q("1G"), q("1Gi"));
        let set: HashSet<Quantity> = ["1Gi", "500m"].into_iter().map(q).collect();
        assert!(set.contains(&q("1073741824")));
        assert!(set.contains(&q("0.5")));

        let mut sorted: Vec<Quantity> = ["1Gi", "1G", "500m", "-1", "0", "1Ki", "1k", "1n"]
            .into_iter()
            .map(q)
            .collect();
        sorted.sort();
        let texts: Vec<String> = sorted.iter().map(ToString::to_string).collect();
        assert_eq!(texts, ["-1", "0", "1n", "500m", "1k", "1Ki", "1G", "1Gi"]);
        assert!(q("1Gi") > q("1G"));
        assert!(q("999m") < q("1"));
    }

    #[test]
    fn arithmetic_is_exact_and_picks_formats() {
        let add = |a: &str, b: &str| q(a).checked_add(&q(b)).unwrap();
        assert_eq!(add("1Gi", "512Mi").to_string(), "1536Mi");
        assert_eq!(add("1Gi", "512Mi").format(), Format::BinarySI);
        assert_eq!(add("1Gi", "1G").to_string(), "2073741824");
        assert_eq!(add("1Gi", "1G").format(), Format::DecimalSI);
        assert_eq!(add("1e3", "1").format(), Format::DecimalSI);
        assert_eq!(add("1e3", "1Ki").format(), Format::DecimalExponent);
        assert_eq!(add("1Ki", "1e3").format(), Format::BinarySI);
        assert_eq!(add("1e3", "2e3").to_string(), "3e3");
        assert_eq!(add("0.1", "0.2"), q("300m"));
        assert_eq!(add("500m", "500m").to_string(), "1");
        assert_eq!(add("100m", "-100m").to_string(), "0");

        let sub = |a: &str, b: &str| q(a).checked_sub(&q(b)).unwrap();
        assert_eq!(sub("1", "1500m").to_string(), "-500m");
        assert_eq!(sub("2Gi", "1Gi").to_string(), "1Gi");

        assert_eq!(q("512Mi").checked_mul_int(3).unwrap().to_string(), "1536Mi");
        assert_eq!(q("100m").checked_mul_int(10).unwrap().to_string(), "1");
        assert_eq!(q("1").checked_mul_int(-2).unwrap().to_string(), "-2");

        let max = Quantity::from_nanos(i128::MAX, Format::DecimalSI);
        let min = Quantity::from_nanos(i128::MIN, Format::DecimalSI);
        assert_eq!(max.checked_add(&q("1n")), None);
        assert_eq!(min.checked_sub(&q("1n")), None);
        assert_eq!(max.checked_mul_int(2), None);
        assert_eq!(min.checked_mul_int(-1), None);

        let parts = [q("1Gi"), q("512Mi"), q("512Mi")];
        let total = Quantity::sum(&parts).unwrap();
        assert_eq!(total.to_string(), "2Gi");
        assert_eq!(total.format(), Format::BinarySI);
        assert_eq!(
            Quantity::sum(&[q("250m"), q("750m"), q("1")])
                .unwrap()
                .to_string(),
            "2"
        );
        assert_eq!(Quantity::sum(&[]), Some(Quantity::zero()));
        assert_eq!(Quantity::sum(&[max, q("1n")]), None);

        assert!(Quantity::zero().is_zero());
        assert!(q("0Gi").is_zero());
        assert!(!q("1n").is_zero());
        assert_eq!(Quantity::default(), Quantity::zero());
        assert_eq!(Quantity::zero().to_string(), "0");
        assert_eq!(
            Quantity::from_nanos(1_500, Format::DecimalSI).nanos(),
            1_500
        );
    }

    #[test]
    fn messages_read_byte_counts_as_binary_sizes() {
        let readable = |a: &str, b: &str| q(a).checked_add(&q(b)).unwrap().readable().to_string();
        assert_eq!(readable("1676Gi", "4294967296"), "1680Gi");
        assert_eq!(readable("16676Mi", "0"), "16676Mi");
        assert_eq!(readable("16G", "0"), "16G");
        assert_eq!(readable("2048", "0"), "2048");
        assert_eq!(readable("1500m", "0"), "1500m");
        // Not a whole number of KiB: there is no exact binary form.
        assert_eq!(readable("16Gi", "500M"), "17679869184");
    }

    #[test]
    fn ratio_permille_rounds_down() {
        let ratio = |a: &str, b: &str| q(a).ratio_permille(&q(b));
        assert_eq!(ratio("250m", "1"), Some(250));
        assert_eq!(ratio("1", "3"), Some(333));
        assert_eq!(ratio("2", "3"), Some(666));
        assert_eq!(ratio("-1", "3"), Some(-334));
        assert_eq!(ratio("1", "-3"), Some(-334));
        assert_eq!(ratio("-3", "-3"), Some(1000));
        assert_eq!(ratio("-3", "3"), Some(-1000));
        assert_eq!(ratio("3Gi", "2Gi"), Some(1500));
        assert_eq!(ratio("512Mi", "1G"), Some(536));
        assert_eq!(ratio("0", "1"), Some(0));
        assert_eq!(ratio("1", "0"), None);
        assert_eq!(ratio("1", "0Gi"), None);

        let nanos = |n| Quantity::from_nanos(n, Format::DecimalSI);
        assert_eq!(nanos(i128::MAX).ratio_permille(&nanos(1)), None);
        assert_eq!(
            nanos(i128::MAX).ratio_permille(&nanos(i128::MAX)),
            Some(1000)
        );
        assert_eq!(
            nanos(i128::MIN).ratio_permille(&nanos(i128::MIN)),
            Some(1000)
        );
        assert_eq!(
            nanos(i128::MIN).ratio_permille(&nanos(i128::MAX)),
            Some(-1001)
        );
        assert_eq!(
            nanos(i128::MAX - 1).ratio_permille(&nanos(i128::MAX)),
            Some(999)
        );
        assert_eq!(
            nanos(i128::MAX / 3).ratio_permille(&nanos(i128::MAX)),
            Some(333)
        );
        assert_eq!(
            nanos(i128::MAX / 1000).ratio_permille(&nanos(1)),
            Some(i128::MAX / 1000 * 1000)
        );
    }

    #[test]
    fn display_honours_width() {
        assert_eq!(format!("{:>6}|{:<5}|", q("0.5"), q("1Gi")), "  500m|1Gi  |");
    }

    #[test]
    fn serde_round_trips() {
        assert_eq!(serde_json::to_string(&q("0.5")).unwrap(), r#""500m""#);
        assert_eq!(serde_json::to_string(&q("1024Mi")).unwrap(), r#""1Gi""#);

        let from = |v: serde_json::Value| serde_json::from_value::<Quantity>(v);
        let text = |v: serde_json::Value| from(v).unwrap().to_string();
        assert_eq!(text(json!(0.5)), "500m");
        assert_eq!(text(json!(4)), "4");
        assert_eq!(text(json!(-3)), "-3");
        assert_eq!(text(json!(0.1)), "100m");
        assert_eq!(text(json!(1e3)), "1k");
        assert_eq!(text(json!(2.5e-3)), "2500u");
        assert_eq!(text(json!(u64::MAX)), "18446744073709551615");
        assert_eq!(text(json!(i64::MIN)), "-9223372036854775808");
        assert_eq!(text(json!("1Gi")), "1Gi");
        assert_eq!(from(json!("1Gi")).unwrap().format(), Format::BinarySI);
        assert_eq!(from(json!(4)).unwrap().format(), Format::DecimalSI);

        let err = |v: serde_json::Value| from(v).unwrap_err().to_string();
        assert!(err(json!("1.5.3")).contains("unexpected `.` at position 3"));
        assert!(err(json!(1.0000000001)).contains("finer than 1n"));
        assert!(err(json!(1e300)).contains("too large"));
        assert!(err(json!(null)).contains("Kubernetes quantity"));
        assert!(err(json!(true)).contains("Kubernetes quantity"));
        let big = serde_json::from_str::<Quantity>("12345678901234567890123").unwrap_err();
        assert!(big.to_string().contains("quote it"), "{big}");

        use serde::de::IntoDeserializer;
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let r: Result<Quantity, serde::de::value::Error> =
                Quantity::deserialize(v.into_deserializer());
            assert!(r.unwrap_err().to_string().contains("not a finite number"));
        }
        let r: Result<Quantity, serde::de::value::Error> =
            Quantity::deserialize(u128::MAX.into_deserializer());
        assert!(r.unwrap_err().to_string().contains("too large"));
        let r: Result<Quantity, serde::de::value::Error> =
            Quantity::deserialize(1i128.into_deserializer());
        assert_eq!(r.unwrap(), q("1"));

        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Resources {
            cpu: Quantity,
            memory: Quantity,
        }
        let parsed: Resources =
            serde_json::from_str(r#"{"cpu": 0.25, "memory": "1024Mi"}"#).unwrap();
        let written = serde_json::to_string(&parsed).unwrap();
        assert_eq!(written, r#"{"cpu":"250m","memory":"1Gi"}"#);
        assert_eq!(serde_json::from_str::<Resources>(&written).unwrap(), parsed);
    }

    #[test]
    fn json_schema_is_inline_string_or_number() {
        assert_eq!(Quantity::schema_name(), "Quantity");
        let schema = SchemaGenerator::default().subschema_for::<Quantity>();
        assert_eq!(
            serde_json::to_value(&schema).unwrap(),
            json!({
                "type": ["string", "number"],
                "format": "quantity",
                "minimum": 0,
                "description": "Kubernetes quantity, never negative, e.g. `500m`, `2`, `1Gi`, `10G`; computed exactly and printed canonically (`0.5` = `500m`, `1024Mi` = `1Gi`)."
            })
        );
    }

    fn any_format() -> impl Strategy<Value = Format> {
        prop_oneof![
            Just(Format::BinarySI),
            Just(Format::DecimalSI),
            Just(Format::DecimalExponent),
        ]
    }

    /// Nanos that exercise every suffix: raw i64 nanos, i64 scaled by powers
    /// of ten, and whole units scaled by powers of 1024.
    fn any_nanos() -> impl Strategy<Value = i128> {
        prop_oneof![
            any::<i64>().prop_map(i128::from),
            (any::<i64>(), 0u32..=19).prop_map(|(v, k)| i128::from(v) * 10i128.pow(k)),
            (any::<i32>(), 0u32..=6).prop_map(|(v, p)| i128::from(v) * 1024i128.pow(p) * N),
        ]
    }

    proptest! {
        #[test]
        fn canonical_text_is_a_fixed_point(nanos in any_nanos(), format in any_format()) {
            let quantity = Quantity::from_nanos(nanos, format);
            let text = quantity.to_string();
            let reparsed = Quantity::parse(&text).unwrap();
            prop_assert_eq!(reparsed, quantity);
            prop_assert_eq!(reparsed.nanos(), nanos);
            prop_assert_eq!(reparsed.to_string(), text);
        }

        #[test]
        fn addition_is_commutative_and_exact(
            a in any::<i64>(), b in any::<i64>(), fa in any_format(), fb in any_format()
        ) {
            let qa = Quantity::from_nanos(a.into(), fa);
            let qb = Quantity::from_nanos(b.into(), fb);
            let ab = qa.checked_add(&qb).unwrap();
            let ba = qb.checked_add(&qa).unwrap();
            prop_assert_eq!(ab, ba);
            prop_assert_eq!(ab.nanos(), i128::from(a) + i128::from(b));
            prop_assert_eq!(ab.checked_sub(&qb).unwrap(), qa);
        }

        #[test]
        fn parse_never_panics_and_accepted_text_round_trips(
            s in "[-+]?[0-9]{0,24}(\\.[0-9]{0,12})?([eEinumkKMGTP]{0,2}[-+]?[0-9]{0,3})?"
        ) {
            if let Ok(quantity) = Quantity::parse(&s) {
                let text = quantity.to_string();
                prop_assert_eq!(Quantity::parse(&text).unwrap(), quantity);
            }
        }

        #[test]
        fn parse_never_panics_on_arbitrary_text(s in any::<String>()) {
            let _ = Quantity::parse(&s);
        }
    }
}
