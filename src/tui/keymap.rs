//! Keys to actions: one table, read by [`resolve`], the footer and the
//! help overlay, so the three can never disagree.

use std::sync::LazyLock;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Everything the user can ask for. What an action means may depend on
/// what is open (e.g. `Up` moves in a menu); [`super::app::App::update`]
/// decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `q`: asks first in a dashboard (a second `q` or `y` quits).
    Quit,
    /// Ctrl-C: quits at once, without asking.
    ForceQuit,
    /// `y`: yes to the question on screen.
    Yes,
    /// `n`: no to the question on screen (any other key says no too).
    No,
    /// Esc: closes an overlay (never quits).
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
    /// `v`: compare with another policy side by side ("versus"), and back.
    Compare,
    /// Restart as the scenario says (its policy, rates and switches).
    Restart,
    /// Restart from the start, keeping the policy, rate and switches set live.
    RestartKeep,
    /// Back to the world picker.
    Picker,
    FocusNext,
    FocusPrev,
    /// Open the picker's entry number `n` (0-based), as numbered there.
    SwitchWorld(u8),
    PageUp,
    PageDown,
    Home,
    End,
    /// `/`: filter the event log.
    Filter,
    /// `o`: cycle the focused table's sort column (its order).
    Sort,
    /// `s`: save the screen as text and as an SVG picture.
    Screenshot,
    /// `e`: enlarge the focused panel to the whole body, and back.
    Enlarge,
    Help,
    Up,
    Down,
    Left,
    Right,
    Confirm,
}

/// When a key is worth a place in the footer (the help lists every key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Always,
    /// The world has more than one policy.
    Policies,
    /// The world has faults to inject.
    Faults,
    /// Faults are in force.
    ActiveFaults,
    /// The world has switches.
    Toggles,
    /// The focused panel scrolls (a table or the event log).
    Scrolls,
    /// The focused panel is a table.
    Table,
    /// The event log has focus.
    Log,
}

/// What the footer knows of the screen, to choose its keys.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    pub policies: bool,
    pub faults: bool,
    pub active_faults: bool,
    pub toggles: bool,
    pub table: bool,
    pub log: bool,
}

impl Context {
    #[must_use]
    pub fn shows(&self, w: When) -> bool {
        match w {
            When::Always => true,
            When::Policies => self.policies,
            When::Faults => self.faults,
            When::ActiveFaults => self.active_faults,
            When::Toggles => self.toggles,
            When::Scrolls => self.table || self.log,
            When::Table => self.table,
            When::Log => self.log,
        }
    }
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
    /// What it does, for the help overlay; empty keeps the row out of the
    /// help (the digits after `1` share its row).
    pub help: &'static str,
    /// A short word for the footer; `None` keeps the key out of the footer.
    pub hint: Option<&'static str>,
    /// When the footer shows it.
    pub when: When,
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
        when: When::Always,
    }
}

const fn when(b: Binding, w: When) -> Binding {
    Binding { when: w, ..b }
}

/// Every key the dashboard knows, in the order the help overlay lists them.
pub static KEYMAP: LazyLock<Vec<Binding>> = LazyLock::new(|| {
    let mut out = Vec::with_capacity(FIXED.len() + 9);
    for b in FIXED {
        out.push(*b);
        if b.action == Action::Picker {
            out.extend(world_keys());
        }
    }
    out
});

/// `1` … `9`: the picker's entries by their numbers there.
fn world_keys() -> impl Iterator<Item = Binding> {
    (0..9u8).map(|i| {
        key(
            KeyCode::Char(char::from(b'1' + i)),
            Action::SwitchWorld(i),
            if i == 0 { "1-9" } else { "" },
            if i == 0 {
                "open the picker's world N"
            } else {
                ""
            },
            None,
        )
    })
}

/// The keys, in help order.
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
    when(
        key(
            KeyCode::Char('p'),
            Action::NextPolicy,
            "p",
            "next policy",
            Some("policy"),
        ),
        When::Policies,
    ),
    key(
        KeyCode::Char('P'),
        Action::PrevPolicy,
        "P",
        "previous policy",
        None,
    ),
    when(
        key(
            KeyCode::Char('f'),
            Action::OpenFaultMenu,
            "f",
            "fault menu: aim, inject",
            Some("fault"),
        ),
        When::Faults,
    ),
    when(
        key(
            KeyCode::Char('c'),
            Action::ClearFaults,
            "c",
            "clear all faults",
            Some("clear"),
        ),
        When::ActiveFaults,
    ),
    key(
        KeyCode::Char('['),
        Action::ArrivalsDown,
        "[",
        "arrival rate ÷ 1.1",
        Some("arrivals"),
    ),
    key(
        KeyCode::Char(']'),
        Action::ArrivalsUp,
        "]",
        "arrival rate × 1.1",
        None,
    ),
    when(
        key(
            KeyCode::Char('t'),
            Action::OpenToggles,
            "t",
            "world switches on / off",
            Some("switch"),
        ),
        When::Toggles,
    ),
    // Not in the footer (its row is full): the help lists it.
    key(
        KeyCode::Char('v'),
        Action::Compare,
        "v",
        "compare policies (versus)",
        None,
    ),
    key(
        KeyCode::Char('r'),
        Action::Restart,
        "r",
        "restart as the scenario",
        Some("restart"),
    ),
    key(
        KeyCode::Char('R'),
        Action::RestartKeep,
        "R",
        "restart, keep settings",
        None,
    ),
    key(
        KeyCode::Char('w'),
        Action::Picker,
        "w",
        "back to the world picker",
        Some("worlds"),
    ),
    // The world keys `1`…`9` go here (see `KEYMAP`).
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
    when(
        key(
            KeyCode::Char('e'),
            Action::Enlarge,
            "e",
            "enlarge focused panel",
            Some("enlarge"),
        ),
        When::Scrolls,
    ),
    when(
        key(
            KeyCode::Up,
            Action::Up,
            "↑",
            "menu up · scroll",
            Some("scroll"),
        ),
        When::Scrolls,
    ),
    key(KeyCode::Down, Action::Down, "↓", "menu down · scroll", None),
    key(KeyCode::Left, Action::Left, "←", "menu: less", None),
    key(KeyCode::Right, Action::Right, "→", "menu: more", None),
    key(
        KeyCode::PageUp,
        Action::PageUp,
        "PgUp",
        "scroll a page back",
        None,
    ),
    key(
        KeyCode::PageDown,
        Action::PageDown,
        "PgDn",
        "scroll a page on",
        None,
    ),
    key(
        KeyCode::Home,
        Action::Home,
        "Home",
        "oldest / first row",
        None,
    ),
    key(KeyCode::End, Action::End, "End", "newest / last row", None),
    when(
        key(
            KeyCode::Char('o'),
            Action::Sort,
            "o",
            "table: next sort order",
            Some("sort"),
        ),
        When::Table,
    ),
    key(
        KeyCode::Char('s'),
        Action::Screenshot,
        "s",
        "save screen: .svg, .txt",
        None,
    ),
    when(
        key(
            KeyCode::Char('/'),
            Action::Filter,
            "/",
            "log: filter lines",
            Some("filter"),
        ),
        When::Log,
    ),
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
        "help: keys and signs",
        Some("help"),
    ),
    key(KeyCode::Esc, Action::Back, "Esc", "close a menu", None),
    key(
        KeyCode::Char('q'),
        Action::Quit,
        "q",
        "quit (asks: q or y)",
        Some("quit"),
    ),
    key(
        KeyCode::Char('y'),
        Action::Yes,
        "y",
        "yes (quit, take over)",
        None,
    ),
    // The question on screen names it, `(y/n)`: kept out of the help,
    // which fits 80×24 as it is.
    key(KeyCode::Char('n'), Action::No, "n", "", None),
    Binding {
        code: KeyCode::Char('c'),
        ctrl: true,
        action: Action::ForceQuit,
        keys: "Ctrl-C",
        help: "quit at once",
        hint: None,
        when: When::Always,
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

/// The footer's hints, e.g. `space pause`, `+/- speed`, from the table,
/// for the keys that apply in `ctx`.
#[must_use]
pub fn footer_hints(ctx: &Context) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for b in KEYMAP.iter() {
        let Some(hint) = b.hint else { continue };
        if !ctx.shows(b.when) {
            continue;
        }
        // Keys sharing a hint word's action pair (+/-, p/P, [/], ↑↓, r/R) are joined.
        let partner = KEYMAP.iter().find(|o| {
            o.hint.is_none()
                && !o.ctrl
                && matches!(
                    (b.action, o.action),
                    (Action::SpeedUp, Action::SpeedDown)
                        | (Action::NextPolicy, Action::PrevPolicy)
                        | (Action::ArrivalsDown, Action::ArrivalsUp)
                        | (Action::Up, Action::Down)
                        | (Action::Restart, Action::RestartKeep)
                )
        });
        let keys = match partner {
            Some(p) => format!("{}{}", b.keys, p.keys),
            None => b.keys.to_string(),
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
            Some(Action::ForceQuit)
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
            (KeyCode::Char('v'), A::Compare),
            (KeyCode::Char('r'), A::Restart),
            (KeyCode::Char('R'), A::RestartKeep),
            (KeyCode::Char('w'), A::Picker),
            (KeyCode::Char('y'), A::Yes),
            (KeyCode::Char('n'), A::No),
            (KeyCode::Char('e'), A::Enlarge),
            (KeyCode::Char('o'), A::Sort),
            (KeyCode::Char('s'), A::Screenshot),
            (KeyCode::Char('/'), A::Filter),
            (KeyCode::PageUp, A::PageUp),
            (KeyCode::PageDown, A::PageDown),
            (KeyCode::Home, A::Home),
            (KeyCode::End, A::End),
            (KeyCode::Tab, A::FocusNext),
            (KeyCode::Char('1'), A::SwitchWorld(0)),
            (KeyCode::Char('2'), A::SwitchWorld(1)),
            (KeyCode::Char('7'), A::SwitchWorld(6)),
            (KeyCode::Char('9'), A::SwitchWorld(8)),
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
    fn footer_comes_from_the_table_and_the_context() {
        let all = Context {
            policies: true,
            faults: true,
            active_faults: true,
            toggles: true,
            table: true,
            log: false,
        };
        let hints = footer_hints(&all);
        assert!(hints.contains(&("space".to_string(), "pause")));
        assert!(hints.contains(&("+/-".to_string(), "speed")));
        assert!(hints.contains(&("pP".to_string(), "policy")));
        assert!(hints.contains(&("[]".to_string(), "arrivals")));
        assert!(hints.contains(&("rR".to_string(), "restart")));
        assert!(hints.contains(&("w".to_string(), "worlds")));
        assert!(hints.contains(&("t".to_string(), "switch")));
        assert!(hints.contains(&("o".to_string(), "sort")));
        assert!(hints.contains(&("↑↓".to_string(), "scroll")));
        assert!(
            !hints.iter().any(|h| h.1 == "filter"),
            "the log is not focused"
        );
        assert!(hints.contains(&("?".to_string(), "help")));
        assert!(hints.contains(&("q".to_string(), "quit")));
        let bare = footer_hints(&Context::default());
        for word in ["policy", "switch", "fault", "clear", "sort", "scroll"] {
            assert!(!bare.iter().any(|h| h.1 == word), "{word}");
        }
    }

    #[test]
    fn the_arrival_keys_say_what_they_do() {
        // `[`/`]` divide and multiply by 1.1 (see `App::update`).
        let find = |a| KEYMAP.iter().find(|b| b.action == a).map(|b| b.help);
        assert_eq!(find(Action::ArrivalsUp), Some("arrival rate × 1.1"));
        assert_eq!(find(Action::ArrivalsDown), Some("arrival rate ÷ 1.1"));
    }
}
