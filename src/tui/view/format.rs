//! Numbers as a projector audience reads them.

/// `1 234 567`, `12.3`, `1.23`, `0.0123`, `1.2e-9`.
#[must_use]
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if a >= 100_000.0 {
        group(v.round() as i64)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.001 {
        format!("{v:.3}")
    } else {
        format!("{v:.1e}")
    }
}

/// Thousands separated by thin spaces' plain cousin, a space.
fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `850 ms`, `2.40 s`, `35.4 s`, `3.5 min`, `1.2 h`.
#[must_use]
pub fn fmt_duration_s(s: f64) -> String {
    if !s.is_finite() {
        "—".to_string()
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 10.0 {
        format!("{s:.2} s")
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// A text bar of `width` cells for `ratio` (0–1), in eighths.
#[must_use]
pub fn bar(ratio: f64, width: usize) -> (String, String) {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let r = if ratio.is_finite() {
        ratio.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let cells = r * width as f64;
    let full = cells.floor() as usize;
    let part = ((cells - full as f64) * 8.0).floor() as usize;
    let mut filled: String = "█".repeat(full);
    let mut rest = width - full;
    if rest > 0 && part > 0 {
        filled.push(EIGHTHS[part]);
        rest -= 1;
    }
    (filled, "·".repeat(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(4.0), "4.00");
        assert_eq!(fmt_num(12.34), "12.3");
        assert_eq!(fmt_num(250.0), "250");
        assert_eq!(fmt_num(1_234_567.0), "1 234 567");
        assert_eq!(fmt_num(0.0123), "0.012");
        assert_eq!(fmt_num(0.4941), "0.494");
        assert_eq!(fmt_num(1.2e-9), "1.2e-9");
        assert_eq!(fmt_num(f64::NAN), "—");
        assert_eq!(fmt_duration_s(0.85), "850 ms");
        assert_eq!(fmt_duration_s(2.4), "2.40 s");
        assert_eq!(fmt_duration_s(35.39), "35.4 s");
        assert_eq!(fmt_duration_s(210.0), "3.5 min");
    }

    #[test]
    fn bars_fill_their_width() {
        let (f, r) = bar(0.5, 10);
        assert_eq!(f.chars().count() + r.chars().count(), 10);
        assert_eq!(f, "█████");
        let (f, r) = bar(2.0, 4);
        assert_eq!((f.as_str(), r.as_str()), ("████", ""));
        let (f, r) = bar(f64::NAN, 3);
        assert_eq!((f.as_str(), r.as_str()), ("", "···"));
        let (f, _) = bar(0.55, 10);
        assert_eq!(f, "█████▌");
    }
}
