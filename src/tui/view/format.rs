//! Numbers as a projector audience reads them.

pub use crate::numbers::{count, count_or_num, duration_s as fmt_duration_s, num as fmt_num};

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
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(85_064.0), "85 064");
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
