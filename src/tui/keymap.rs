//! Keys to actions: one table, read by [`resolve`], the footer and the
//! help overlay, so the three can never disagree.

use std::sync::LazyLock;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Everything the user can ask for. What an action means may depend on
/// what is open (e.g. `Up` moves in a menu); [`super::app::App::update`]
/// decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Esc: closes an overlay, or quits when none is open.
    Back,
    TogglePause,
    Step,
    SpeedUp,
    SpeedDown,
    NextPolicy,
    PrevPolicy,
    OpenFaultMenu,
    ClearFaults,
    ArrivalsDown,
    ArrivalsUp,
    OpenToggles,
    Restart,
    FocusNext,
    FocusPrev,
    /// Switch to the first built-in of world kind number `n` (0-based).
    SwitchWorld(u8),
    Help,
    Up,
    Down,
    Left,
    Right,
    Confirm,
}

/// One row of the key table.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub code: KeyCode,
    /// Modifiers that must be held (Shift is ignored for characters: the
    /// character already says it).
    pub ctrl: bool,
    pub action: Action,
    /// The key as the help overlay and footer write it.
    pub keys: &'static str,
    /// What it does, for the help overlay.
    pub help: &'static str,
    /// A short word for the footer; `None` keeps the key out of the footer.
    pub hint: Option<&'static str>,
}

const fn key(
    code: KeyCode,
    action: Action,
    keys: &'static str,
    help: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        code,
        ctrl: false,
        action,
        keys,
        help,
        hint,
    }
}

/// The world kinds keys `1`…`N` switch to, in order: the registry's.
pub const WORLD_KEYS: &[&str] = crate::world::KINDS;

/// Every key the dashboard knows, in the order the help overlay lists them:
/// the fixed keys with one key per world kind of the registry.
pub static KEYMAP: LazyLock<Vec<Binding>> = LazyLock::new(|| {
    let mut out = Vec::with_capacity(FIXED.len() + WORLD_KEYS.len());
    for b in FIXED {
        out.push(*b);
        if b.action == Action::FocusPrev {
            out.extend(world_keys());
        }
    }
    out
});

/// `1` … `9`: one per world kind (the registry has at most nine).
fn world_keys() -> impl Iterator<Item = Binding> {
    const DIGITS: [&str; 9] = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
    WORLD_KEYS
        .iter()
        .zip(DIGITS)
        .enumerate()
        .map(|(i, (kind, digit))| {
            // Built once per process for the help overlay's table.
            let help: &'static str = Box::leak(format!("world: {kind}").into_boxed_str());
            key(
                KeyCode::Char(char::from(b'1' + i as u8)),
                Action::SwitchWorld(i as u8),
                digit,
                help,
                (i == 0).then_some("worlds"),
            )
        })
}

/// The keys that do not depend on the registry.
const FIXED: &[Binding] = &[
    key(
        KeyCode::Char(' '),
        Action::TogglePause,
        "space",
        "pause / resume",
        Some("pause"),
    ),
    key(
        KeyCode::Char('.'),
        Action::Step,
        ".",
        "step 1 s (and pause)",
        Some("step"),
    ),
    key(
        KeyCode::Char('+'),
        Action::SpeedUp,
        "+",
        "faster (up to ×10 000)",
        Some("speed"),
    ),
    key(
        KeyCode::Char('='),
        Action::SpeedUp,
        "=",
        "faster (same as +)",
        None,
    ),
    key(
        KeyCode::Char('-'),
        Action::SpeedDown,
        "-",
        "slower (down to ×0.25)",
        None,
    ),
    key(
        KeyCode::Char('p'),
        Action::NextPolicy,
        "p",
        "next policy",
        Some("policy"),
    ),
    key(
        KeyCode::Char('P'),
        Action::PrevPolicy,
        "P",
        "previous policy",
        None,
    ),
    key(
        KeyCode::Char('f'),
        Action::OpenFaultMenu,
        "f",
        "fault menu: aim, inject",
        Some("fault"),
    ),
    key(
        KeyCode::Char('c'),
        Action::ClearFaults,
        "c",
        "clear all faults",
        Some("clear"),
    ),
    key(
        KeyCode::Char('['),
        Action::ArrivalsDown,
        "[",
        "arrival rate −10 %",
        Some("arrivals"),
    ),
    key(
        KeyCode::Char(']'),
        Action::ArrivalsUp,
        "]",
        "arrival rate +10 %",
        None,
    ),
    key(
        KeyCode::Char('t'),
        Action::OpenToggles,
        "t",
        "world switches on / off",
        Some("switch"),
    ),
    key(
        KeyCode::Char('r'),
        Action::Restart,
        "r",
        "restart, same seed",
        Some("restart"),
    ),
    key(
        KeyCode::Tab,
        Action::FocusNext,
        "Tab",
        "focus next panel",
        Some("focus"),
    ),
    key(
        KeyCode::BackTab,
        Action::FocusPrev,
        "Shift-Tab",
        "focus previous panel",
        None,
    ),
    // The world keys `1`…`N` go here (see `KEYMAP`).
    key(KeyCode::Up, Action::Up, "↑", "menu up · log older", None),
    key(
        KeyCode::Down,
        Action::Down,
        "↓",
        "menu down · log newer",
        None,
    ),
    key(KeyCode::Left, Action::Left, "←", "menu: less", None),
    key(KeyCode::Right, Action::Right, "→", "menu: more", None),
    key(
        KeyCode::Enter,
        Action::Confirm,
        "Enter",
        "menu: choose / inject",
        None,
    ),
    key(
        KeyCode::Char('?'),
        Action::Help,
        "?",
        "this help",
        Some("help"),
    ),
    key(
        KeyCode::Esc,
        Action::Back,
        "Esc",
        "close overlay, else quit",
        None,
    ),
    key(KeyCode::Char('q'), Action::Quit, "q", "quit", Some("quit")),
    Binding {
        code: KeyCode::Char('c'),
        ctrl: true,
        action: Action::Quit,
        keys: "Ctrl-C",
        help: "quit",
        hint: None,
    },
];

/// The action for a key event: only presses count (not repeats or
/// releases, which some terminals report).
#[must_use]
pub fn resolve(ev: KeyEvent) -> Option<Action> {
    if ev.kind != KeyEventKind::Press {
        return None;
    }
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    if ev
        .modifiers
        .intersects(KeyModifiers::ALT | KeyModifiers::SUPER)
    {
        return None;
    }
    KEYMAP
        .iter()
        .find(|b| b.code == ev.code && b.ctrl == ctrl)
        .map(|b| b.action)
}

/// The footer's hints, e.g. `space pause`, `+/- speed`, from the table.
#[must_use]
pub fn footer_hints() -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let last_world = Action::SwitchWorld(WORLD_KEYS.len().saturating_sub(1) as u8);
    for b in KEYMAP.iter() {
        let Some(hint) = b.hint else { continue };
        // Keys sharing a hint word's action pair (+/-, p/P, [/]) are joined.
        let partner = KEYMAP.iter().find(|o| {
            o.hint.is_none()
                && !o.ctrl
                && (matches!(
                    (b.action, o.action),
                    (Action::SpeedUp, Action::SpeedDown)
                        | (Action::NextPolicy, Action::PrevPolicy)
                        | (Action::ArrivalsDown, Action::ArrivalsUp)
                ) || (b.action == Action::SwitchWorld(0) && o.action == last_world))
        });
        let keys = match (b.action, partner) {
            (Action::SwitchWorld(_), Some(p)) => format!("{}-{}", b.keys, p.keys),
            (_, Some(p)) => format!("{}{}", b.keys, p.keys),
            (_, None) => b.keys.to_string(),
        };
        let keys = if keys == "+-" {
            "+/-".to_string()
        } else {
            keys
        };
        out.push((keys, hint));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn only_presses_count() {
        let mut ev = press(KeyCode::Char(' '));
        assert_eq!(resolve(ev), Some(Action::TogglePause));
        ev.kind = KeyEventKind::Release;
        assert_eq!(resolve(ev), None);
        ev.kind = KeyEventKind::Repeat;
        assert_eq!(resolve(ev), None);
    }

    #[test]
    fn ctrl_c_quits_but_c_clears() {
        assert_eq!(
            resolve(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            resolve(press(KeyCode::Char('c'))),
            Some(Action::ClearFaults)
        );
        // Ctrl with another key means nothing.
        assert_eq!(
            resolve(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(
            resolve(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::ALT)),
            None
        );
    }

    #[test]
    fn shifted_characters_resolve_by_character() {
        let ev = KeyEvent {
            code: KeyCode::Char('P'),
            modifiers: KeyModifiers::SHIFT,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        };
        assert_eq!(resolve(ev), Some(Action::PrevPolicy));
        let plus = KeyEvent::new(KeyCode::Char('+'), KeyModifiers::SHIFT);
        assert_eq!(resolve(plus), Some(Action::SpeedUp));
        let back_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(resolve(back_tab), Some(Action::FocusPrev));
    }

    #[test]
    fn every_key_of_the_spec() {
        use Action as A;
        let cases = [
            (KeyCode::Char(' '), A::TogglePause),
            (KeyCode::Char('.'), A::Step),
            (KeyCode::Char('+'), A::SpeedUp),
            (KeyCode::Char('-'), A::SpeedDown),
            (KeyCode::Char('p'), A::NextPolicy),
            (KeyCode::Char('P'), A::PrevPolicy),
            (KeyCode::Char('f'), A::OpenFaultMenu),
            (KeyCode::Char('c'), A::ClearFaults),
            (KeyCode::Char('['), A::ArrivalsDown),
            (KeyCode::Char(']'), A::ArrivalsUp),
            (KeyCode::Char('t'), A::OpenToggles),
            (KeyCode::Char('r'), A::Restart),
            (KeyCode::Tab, A::FocusNext),
            (KeyCode::Char('1'), A::SwitchWorld(0)),
            (KeyCode::Char('2'), A::SwitchWorld(1)),
            (KeyCode::Char('3'), A::SwitchWorld(2)),
            (KeyCode::Char('4'), A::SwitchWorld(3)),
            (KeyCode::Char('?'), A::Help),
            (KeyCode::Char('q'), A::Quit),
            (KeyCode::Esc, A::Back),
            (KeyCode::Enter, A::Confirm),
            (KeyCode::Up, A::Up),
            (KeyCode::Down, A::Down),
            (KeyCode::Left, A::Left),
            (KeyCode::Right, A::Right),
        ];
        for (code, action) in cases {
            assert_eq!(resolve(press(code)), Some(action), "{code:?}");
        }
        assert_eq!(resolve(press(KeyCode::Char('z'))), None);
        assert_eq!(resolve(press(KeyCode::F(5))), None);
    }

    #[test]
    fn help_lines_are_short_enough_for_two_columns_in_80_columns() {
        for b in KEYMAP.iter() {
            assert!(b.help.chars().count() <= 25, "{}", b.help);
            assert!(b.keys.chars().count() <= 9, "{}", b.keys);
        }
    }

    #[test]
    fn footer_comes_from_the_table() {
        let hints = footer_hints();
        assert!(hints.contains(&("space".to_string(), "pause")));
        assert!(hints.contains(&("+/-".to_string(), "speed")));
        assert!(hints.contains(&("pP".to_string(), "policy")));
        assert!(hints.contains(&("[]".to_string(), "arrivals")));
        assert!(hints.contains(&(format!("1-{}", crate::world::KINDS.len()), "worlds")));
        assert!(hints.contains(&("?".to_string(), "help")));
        assert!(hints.contains(&("q".to_string(), "quit")));
    }
}
