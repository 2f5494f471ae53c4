//! Numbers as a projector audience reads them: one formatter for every
//! text the dashboard shows (the worlds' gauges, tables and status lines
//! as well as the dashboard's own panels).
//!
//! - counts: whole, thousands separated by a space (`3 254 899`);
//! - other values: a precision that suits their size (`12.3`, `0.494`),
//!   thousands separated as counts from 1 000 on;
//! - durations in the unit a person reads (`850 ms`, `60 s`, `5 min`, `2.9 h`);
//! - rupees in Indian units (`₹85 000`, `₹7.4 lakh`, `₹4.1 cr`);
//! - never a negative zero.

/// `1 234 567` for a whole number of things (rounded; `-0` reads `0`).
#[must_use]
pub fn count(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let r = v.round();
    if r == 0.0 {
        return "0".to_string();
    }
    group(r as i64)
}

/// `1 234`, `250`, `12.3`, `1.23`, `0.012`, `1.2e-9`; `—` for no number.
#[must_use]
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let a = v.abs();
    let s = if a >= 1000.0 {
        group(v.round() as i64)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.001 {
        format!("{v:.3}")
    } else if a == 0.0 {
        "0".to_string()
    } else {
        format!("{v:.1e}")
    };
    no_negative_zero(s)
}

/// A value that counts things when it is whole (`4`, not `4.00`), as
/// [`num`] otherwise.
#[must_use]
pub fn count_or_num(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 {
        count(v)
    } else {
        num(v)
    }
}

/// A rate per something: whole from 10 on (`85 064`, `48`), one decimal below.
#[must_use]
pub fn rate(v: f64) -> String {
    if v.is_finite() && v.abs() >= 10.0 {
        count(v)
    } else if v.is_finite() {
        no_negative_zero(format!("{v:.1}"))
    } else {
        "—".to_string()
    }
}

/// `-0`, `-0.0`, `-0.00` read as zero.
fn no_negative_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// Thousands separated by a space.
fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// `850 ms`, `2.40 s`, `35.4 s`, `60 s`, `5 min`, `3.5 min`, `2.9 h`.
#[must_use]
pub fn duration_s(s: f64) -> String {
    if !s.is_finite() {
        return "—".to_string();
    }
    let a = s.abs();
    if a < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if a < 10.0 {
        format!("{s:.2} s")
    } else if a < 60.0 {
        format!("{s:.1} s")
    } else if a < 100.0 && (s - s.round()).abs() < 0.05 {
        format!("{s:.0} s")
    } else if a < 3600.0 {
        let m = s / 60.0;
        if (m - m.round()).abs() < 0.05 {
            format!("{m:.0} min")
        } else {
            format!("{m:.1} min")
        }
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// Indian style: `₹4.1 cr`, `₹7.4 lakh`, `₹85 000`.
#[must_use]
pub fn rupees(v: f64) -> String {
    let a = v.abs();
    if a >= 1.0e7 {
        no_negative_zero(format!("₹{:.1} cr", v / 1.0e7))
    } else if a >= 1.0e5 {
        no_negative_zero(format!("₹{:.1} lakh", v / 1.0e5))
    } else {
        format!("₹{}", count(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_numbers() {
        assert_eq!(count(3_254_899.0), "3 254 899");
        assert_eq!(count(85_064.0), "85 064");
        assert_eq!(count(4.0), "4");
        assert_eq!(count(-0.2), "0");
        assert_eq!(num(85_064.4), "85 064");
        assert_eq!(num(1007.0), "1 007");
        assert_eq!(num(250.0), "250");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(4.0), "4.00");
        assert_eq!(num(0.0123), "0.012");
        assert_eq!(num(1.2e-9), "1.2e-9");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(-0.0004), "-4.0e-4");
        assert_eq!(num(f64::NAN), "—");
        assert_eq!(count_or_num(4.0), "4");
        assert_eq!(count_or_num(4.5), "4.50");
        assert_eq!(rate(-0.01), "0.0");
        assert_eq!(rate(-0.4), "-0.4");
        assert_eq!(rate(10_444.2), "10 444");
    }

    #[test]
    fn durations_and_money() {
        assert_eq!(duration_s(0.85), "850 ms");
        assert_eq!(duration_s(2.4), "2.40 s");
        assert_eq!(duration_s(35.39), "35.4 s");
        assert_eq!(duration_s(60.0), "60 s");
        assert_eq!(duration_s(300.0), "5 min");
        assert_eq!(duration_s(210.0), "3.5 min");
        assert_eq!(duration_s(2.9 * 3600.0), "2.9 h");
        assert_eq!(rupees(85_000.0), "₹85 000");
        assert_eq!(rupees(740_000.0), "₹7.4 lakh");
        assert_eq!(rupees(41_000_000.0), "₹4.1 cr");
    }
}
