//! Helpers shared by the number functions: exact decimal rounding and float → integer.

/// A number written out in decimal, for rounding and formatting without binary surprises:
/// floats are taken in their shortest form (`1.005`, not `1.00499999…`), so rounding
/// gives what a reader of the number expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    negative: bool,
    /// ASCII digits of the integer part followed by those of the fraction.
    digits: Vec<u8>,
    /// How many of `digits` are before the decimal point (at least one).
    int_len: usize,
}

impl Decimal {
    /// The decimal form of an integer.
    pub(crate) fn from_i64(n: i64) -> Decimal {
        let digits = n.unsigned_abs().to_string().into_bytes();
        Decimal {
            negative: n < 0,
            int_len: digits.len(),
            digits,
        }
    }

    /// The shortest decimal form of a finite float (Rust prints floats without exponent).
    pub(crate) fn from_f64(f: f64) -> Decimal {
        let text = f.abs().to_string();
        let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
        let mut digits = Vec::with_capacity(int.len() + frac.len());
        digits.extend_from_slice(int.as_bytes());
        digits.extend_from_slice(frac.as_bytes());
        Decimal {
            negative: f.is_sign_negative(),
            int_len: int.len().max(1),
            digits,
        }
    }

    /// Rounds half away from zero to `places` digits after the point (negative: to tens,
    /// hundreds, …) and pads the fraction with zeros to exactly `max(places, 0)` digits.
    pub(crate) fn round(&mut self, places: i32) {
        // A leading zero absorbs a carry out of the first digit (9.99 → 10.0).
        self.digits.insert(0, b'0');
        self.int_len += 1;
        let keep = self.int_len as i64 + i64::from(places);
        if keep <= 0 {
            self.digits.clear();
        } else if let Ok(keep) = usize::try_from(keep)
            && keep < self.digits.len()
        {
            let up = self.digits[keep] >= b'5';
            self.digits.truncate(keep);
            if up {
                for d in self.digits.iter_mut().rev() {
                    if *d == b'9' {
                        *d = b'0';
                    } else {
                        *d += 1;
                        break;
                    }
                }
            }
        }
        let fraction = usize::try_from(places.max(0)).unwrap_or(0);
        self.digits.resize(self.int_len + fraction, b'0');
        let leading = self.digits[..self.int_len - 1]
            .iter()
            .take_while(|&&d| d == b'0')
            .count();
        self.digits.drain(..leading);
        self.int_len -= leading;
        if self.digits.iter().all(|&d| d == b'0') {
            self.negative = false;
        }
    }

    fn int_digits(&self) -> &[u8] {
        &self.digits[..self.int_len]
    }

    fn frac_digits(&self) -> &[u8] {
        &self.digits[self.int_len..]
    }

    /// The integer part as an `i64`, or `None` when it does not fit.
    pub(crate) fn to_i64(&self) -> Option<i64> {
        let mut n: i64 = 0;
        for &d in self.int_digits() {
            n = n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
        }
        if self.negative {
            Some(n)
        } else {
            n.checked_neg()
        }
    }

    /// The value as a float (the nearest one to the decimal).
    pub(crate) fn to_f64(&self) -> f64 {
        self.format(".", "").parse().unwrap_or(f64::NAN)
    }

    /// The text of the number with the given separators (`-1.234,50`).
    pub(crate) fn format(&self, decimal_separator: &str, thousands_separator: &str) -> String {
        let int = self.int_digits();
        let frac = self.frac_digits();
        let mut out = String::with_capacity(self.digits.len() + 8);
        if self.negative {
            out.push('-');
        }
        for (i, &d) in int.iter().enumerate() {
            if i > 0 && (int.len() - i).is_multiple_of(3) {
                out.push_str(thousands_separator);
            }
            out.push(char::from(d));
        }
        if !frac.is_empty() {
            out.push_str(decimal_separator);
            out.extend(frac.iter().map(|&d| char::from(d)));
        }
        out
    }
}

/// A float with no fractional part as an `i64`, or `None` when it is out of range.
pub(crate) fn float_to_int(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; every float below it (and ≥ -2^63) fits.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounded(f: f64, places: i32) -> String {
        let mut d = Decimal::from_f64(f);
        d.round(places);
        d.format(".", ",")
    }

    #[test]
    fn rounds_the_shortest_decimal_half_away_from_zero() {
        assert_eq!(rounded(1.005, 2), "1.01");
        assert_eq!(rounded(2.675, 2), "2.68");
        assert_eq!(rounded(-0.125, 2), "-0.13");
        assert_eq!(rounded(9.995, 2), "10.00");
        assert_eq!(rounded(0.5, 0), "1");
        assert_eq!(rounded(0.4, 0), "0");
        assert_eq!(rounded(-0.004, 2), "0.00");
        assert_eq!(rounded(1234.5, -2), "1,200");
        assert_eq!(rounded(1250.0, -2), "1,300");
        assert_eq!(rounded(999.0, -3), "1,000");
        assert_eq!(rounded(499.0, -3), "0");
        assert_eq!(rounded(12.0, -5), "0");
        assert_eq!(rounded(0.1, 3), "0.100");
        assert_eq!(rounded(1e21, 0), "1,000,000,000,000,000,000,000");
        assert_eq!(rounded(1e-7, 8), "0.00000010");
    }

    #[test]
    fn integers_convert_back_with_overflow_checks() {
        let mut d = Decimal::from_i64(i64::MIN);
        assert_eq!(d.to_i64(), Some(i64::MIN));
        d.round(-1);
        assert_eq!(d.to_i64(), None);
        assert_eq!(Decimal::from_i64(i64::MAX).to_i64(), Some(i64::MAX));
        assert_eq!(Decimal::from_i64(-1234567).format(",", "."), "-1.234.567");
    }

    #[test]
    fn floats_convert_to_integers_in_range_only() {
        assert_eq!(float_to_int(-3.0), Some(-3));
        assert_eq!(float_to_int(3.5), None);
        assert_eq!(float_to_int(9.3e18), None);
        assert_eq!(float_to_int(-9_223_372_036_854_775_808.0), Some(i64::MIN));
        assert_eq!(float_to_int(f64::NAN), None);
    }
}
