//! `s` in the dashboard: the screen as plain text and as an SVG picture of
//! the terminal (colours, bold, italics and underlines kept), both made
//! from a ratatui [`Buffer`], so whatever draws into a buffer (the
//! dashboard, the demo assets) can be pictured the same way.

use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use ratatui::buffer::{Buffer, Cell, CellWidth as _};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::widgets::Widget;

use super::app::App;

/// Width of a cell in the SVG, pixels (0.6 em of the font size).
const CELL_W: f64 = 8.4;
/// Height of a cell (a line), pixels.
const CELL_H: f64 = 18.0;
/// The font size, pixels.
const FONT: f64 = 14.0;
/// The terminal's own colours, for `Color::Reset`.
const DEFAULT_FG: &str = "#d4d4d4";
const DEFAULT_BG: &str = "#1e1e1e";

/// The 16 colours of the terminal, in ANSI order.
const ANSI: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
];

/// The cells of row `y` that are drawn (a wide character hides the cells
/// it covers), with their columns.
fn row_cells(buf: &Buffer, y: u16) -> Vec<(u16, &Cell)> {
    let mut out = Vec::new();
    let mut hidden: u16 = 0;
    for x in 0..buf.area.width {
        let c = &buf[(buf.area.x + x, buf.area.y + y)];
        if hidden == 0 {
            out.push((x, c));
        }
        hidden = hidden.max(c.cell_width()).saturating_sub(1);
    }
    out
}

/// The screen as text: one line a row, as the terminal shows it.
#[must_use]
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for (_, c) in row_cells(buf, y) {
            out.push_str(c.symbol());
        }
        out.push('\n');
    }
    out
}

fn hex(c: Color, default: &str) -> String {
    match c {
        Color::Reset => default.to_string(),
        Color::Black => ANSI[0].into(),
        Color::Red => ANSI[1].into(),
        Color::Green => ANSI[2].into(),
        Color::Yellow => ANSI[3].into(),
        Color::Blue => ANSI[4].into(),
        Color::Magenta => ANSI[5].into(),
        Color::Cyan => ANSI[6].into(),
        Color::Gray => ANSI[7].into(),
        Color::DarkGray => ANSI[8].into(),
        Color::LightRed => ANSI[9].into(),
        Color::LightGreen => ANSI[10].into(),
        Color::LightYellow => ANSI[11].into(),
        Color::LightBlue => ANSI[12].into(),
        Color::LightMagenta => ANSI[13].into(),
        Color::LightCyan => ANSI[14].into(),
        Color::White => ANSI[15].into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => indexed(i),
    }
}

/// xterm's 256 colours.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => ANSI[usize::from(i)].to_string(),
        16..=231 => {
            let n = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            format!(
                "#{:02x}{:02x}{:02x}",
                level(n / 36),
                level((n / 6) % 6),
                level(n % 6)
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

/// A cell's colours as drawn: (text, background), reversed when asked.
fn colours(c: &Cell) -> (String, String) {
    let fg = hex(c.fg, DEFAULT_FG);
    let bg = hex(c.bg, DEFAULT_BG);
    if c.modifier.contains(Modifier::REVERSED) {
        (bg, fg)
    } else {
        (fg, bg)
    }
}

fn escape(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters have no place in XML text.
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The screen as an SVG picture of a terminal: a background rectangle
/// for each run of cells of one background colour, and one `<text>` a row
/// whose `<tspan>`s (one a run of one style) sit on the cell grid.
#[must_use]
pub fn svg(buf: &Buffer) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let (pw, ph) = (f64::from(w) * CELL_W, f64::from(h) * CELL_H);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{pw}\" height=\"{ph}\" \
         viewBox=\"0 0 {pw} {ph}\">"
    );
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{pw}\" height=\"{ph}\" fill=\"{DEFAULT_BG}\"/>"
    );
    // Backgrounds.
    out.push_str("<g shape-rendering=\"crispEdges\">\n");
    for y in 0..h {
        let cells = row_cells(buf, y);
        let mut i = 0;
        while i < cells.len() {
            let bg = colours(cells[i].1).1;
            let start = cells[i].0;
            let mut j = i + 1;
            while j < cells.len() && colours(cells[j].1).1 == bg {
                j += 1;
            }
            let end = cells.get(j).map_or(w, |(x, _)| *x);
            if bg != DEFAULT_BG {
                let _ = writeln!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{CELL_H}\" fill=\"{bg}\"/>",
                    f64::from(start) * CELL_W,
                    f64::from(y) * CELL_H,
                    f64::from(end - start) * CELL_W
                );
            }
            i = j;
        }
    }
    out.push_str("</g>\n");
    // Text.
    let _ = writeln!(
        out,
        "<g font-family=\"'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace\" \
         font-size=\"{FONT}\" xml:space=\"preserve\">"
    );
    let style_of = |c: &Cell| {
        let m = c.modifier;
        (
            colours(c).0,
            m & (Modifier::BOLD
                | Modifier::DIM
                | Modifier::ITALIC
                | Modifier::UNDERLINED
                | Modifier::CROSSED_OUT
                | Modifier::HIDDEN),
        )
    };
    for y in 0..h {
        let cells = row_cells(buf, y);
        let base = f64::from(y) * CELL_H + CELL_H * 0.75;
        let mut line = String::new();
        let mut i = 0;
        while i < cells.len() {
            let style = style_of(cells[i].1);
            let start = cells[i].0;
            let mut j = i + 1;
            while j < cells.len() && style_of(cells[j].1) == style {
                j += 1;
            }
            let end = cells.get(j).map_or(w, |(x, _)| *x);
            let content: String = cells[i..j].iter().map(|(_, c)| c.symbol()).collect();
            let (fill, m) = &style;
            let blank = content.trim().is_empty()
                && !m.intersects(Modifier::UNDERLINED | Modifier::CROSSED_OUT);
            if !blank && !m.contains(Modifier::HIDDEN) {
                let _ = write!(
                    line,
                    "<tspan x=\"{:.1}\" textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\" fill=\"{fill}\"",
                    f64::from(start) * CELL_W,
                    f64::from(end - start) * CELL_W
                );
                if m.contains(Modifier::BOLD) {
                    line.push_str(" font-weight=\"bold\"");
                }
                if m.contains(Modifier::DIM) {
                    line.push_str(" fill-opacity=\"0.6\"");
                }
                if m.contains(Modifier::ITALIC) {
                    line.push_str(" font-style=\"italic\"");
                }
                match (
                    m.contains(Modifier::UNDERLINED),
                    m.contains(Modifier::CROSSED_OUT),
                ) {
                    (true, true) => line.push_str(" text-decoration=\"underline line-through\""),
                    (true, false) => line.push_str(" text-decoration=\"underline\""),
                    (false, true) => line.push_str(" text-decoration=\"line-through\""),
                    (false, false) => {}
                }
                line.push('>');
                escape(&content, &mut line);
                line.push_str("</tspan>");
            }
            i = j;
        }
        if !line.is_empty() {
            let _ = writeln!(out, "<text y=\"{base:.1}\">{line}</text>");
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// Draws the dashboard as it is now into a buffer of `width`×`height`.
#[must_use]
pub fn draw(app: &App, width: u16, height: u16) -> Buffer {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    app.render(area, &mut buf);
    buf
}

/// `platform`, `my-demo`: a scenario's name as a file name's part (the
/// stem of a path, anything but letters, digits, `-` and `_` made `-`).
fn file_part(s: &str) -> String {
    let stem = Path::new(s)
        .file_stem()
        .and_then(|x| x.to_str())
        .unwrap_or(s);
    let part: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let part = part.trim_matches('-').to_string();
    if part.is_empty() {
        "screen".into()
    } else {
        part
    }
}

/// The file stem for a screenshot of `name` at story clock `clock`:
/// `chaoswala-platform-08-04-59` (`+1d` becomes `-1d`).
#[must_use]
pub fn stem(name: &str, clock: &str) -> String {
    let clock: String = clock
        .chars()
        .filter_map(|c| match c {
            ':' | ' ' => Some('-'),
            '+' => None,
            c => Some(c),
        })
        .collect();
    format!("chaoswala-{}-{clock}", file_part(name))
}

/// Writes `buf` as `STEM.svg` and `STEM.txt` into `dir`, never over a
/// file that is there: `STEM-2`, `STEM-3`, … when taken. Returns the two
/// paths.
pub fn save(dir: &Path, stem: &str, buf: &Buffer) -> io::Result<(PathBuf, PathBuf)> {
    for n in 1..10_000u32 {
        let name = if n == 1 {
            stem.to_string()
        } else {
            format!("{stem}-{n}")
        };
        let svg_path = dir.join(format!("{name}.svg"));
        let txt_path = dir.join(format!("{name}.txt"));
        if txt_path.exists() {
            continue;
        }
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&svg_path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        };
        f.write_all(svg(buf).as_bytes())?;
        let mut t = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&txt_path)?;
        t.write_all(text(buf).as_bytes())?;
        return Ok((svg_path, txt_path));
    }
    Err(io::Error::other(format!(
        "{stem}: too many screenshots of this instant already"
    )))
}

/// `s`: the dashboard as it is now, saved into `dir` (see [`save`]), at
/// the terminal's size.
pub fn save_app(app: &App, dir: &Path) -> io::Result<(PathBuf, PathBuf)> {
    let (w, h) = app.screen_size;
    let buf = draw(app, w, h);
    let name = app
        .session
        .as_ref()
        .map_or("picker", |s| s.launch.meta.name.as_str());
    save(dir, &stem(name, &app.clock(app.now())), &buf)
}
