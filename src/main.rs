//! The `chaoswala` command: picks the dashboard or a headless mode, nothing else.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use chaoswala::report::{self, Format, RunOptions};
use chaoswala::scenario::{self, BUILTINS, DEFAULT_SCENARIO};

/// A terminal laboratory for queues, load balancers and failures:
/// an Andheri platform, the Tatkal 10:00 rush, the IPL-final order surge
/// and three roads into BKC. Run with no arguments to open the dashboard.
#[derive(Parser, Debug)]
#[command(
    name = "chaoswala",
    version,
    after_help = "Examples:\n  chaoswala                          open the dashboard\n  chaoswala list                     the built-in scenarios\n  chaoswala run platform --format json --seed 7\n  chaoswala run bkc-traffic --policy least-time --set demand_per_h=1800\n  chaoswala run platform --compare entrance --replications 10\n  chaoswala check my-scenario.ron"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// List the built-in scenarios: name and title.
    List,
    /// Validate scenario files; exit 0 when all are valid, 2 otherwise.
    Check {
        /// Scenario files (or built-in names).
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Run a scenario headless and print a report.
    Run {
        /// A built-in name (see `chaoswala list`) or a path to a .ron file.
        scenario: String,
        #[command(flatten)]
        common: Common,
        /// Simulated seconds to run (default: the scenario's duration_s).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// Simulated seconds at the start whose statistics are discarded.
        #[arg(long, value_name = "SECONDS")]
        warmup: Option<f64>,
        /// Independent replications; metrics become means with 95 % intervals.
        #[arg(long, default_value_t = 1, value_name = "N",
              value_parser = clap::value_parser!(u32).range(1..=i64::from(report::MAX_REPLICATIONS)))]
        replications: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Write the report to PATH instead of standard output.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
        /// The most events the run may process over all replications; a
        /// run estimated above it is refused, one that passes it stopped.
        #[arg(long, value_name = "N", default_value_t = chaoswala::work::MAX_EVENTS)]
        max_events: u64,
        #[command(flatten)]
        plot: PlotArgs,
    },
    /// Run a grid of runs: every combination of --vary values and
    /// --policies, each replicated, on all cores; one row per point.
    #[command(
        after_help = "Examples:\n  chaoswala sweep platform --vary arrival_rate_per_min=100..240:20 --set servers=1 --set capacity=10 --replications 8 --format csv\n  chaoswala sweep bkc-traffic --policies all --vary demand_per_h=1800,3000\n  chaoswala sweep platform --vary arrival_rate_per_min=100..240:20 --shard 2/8 --out part-2.json\n  chaoswala merge part-*.json --format csv"
    )]
    Sweep {
        /// A built-in name or a path to a .ron file.
        scenario: String,
        /// KEY=LIST: a world parameter and its values, `a,b,c` or a range
        /// `LO..HI:STEP` (HI included); repeatable (the grid is the product).
        #[arg(long = "vary", value_name = "KEY=LIST")]
        vary: Vec<String>,
        /// Policies to compare, comma-separated, or `all`.
        #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
        policies: Vec<String>,
        /// Random seed (default: the scenario's seed).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Set a world parameter for every point (repeatable), as in `run`.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Simulated seconds each run covers (default: the scenario's).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// Simulated seconds whose statistics are discarded.
        #[arg(long, value_name = "SECONDS")]
        warmup: Option<f64>,
        /// Replications per point (the same seeds at every point).
        #[arg(long, default_value_t = 1, value_name = "N",
              value_parser = clap::value_parser!(u32).range(1..=i64::from(report::MAX_REPLICATIONS)))]
        replications: u32,
        /// Run only the I-th of N interleaved parts of the grid and write a
        /// part file (JSON) for `chaoswala merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// Output format (a part file is always JSON).
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Write the output to PATH instead of standard output.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
        /// The most events the sweep (or this part of it) may process over
        /// all its runs; a sweep estimated above it is refused before it
        /// starts.
        #[arg(long, value_name = "N", default_value_t = chaoswala::work::MAX_EVENTS)]
        max_events: u64,
        #[command(flatten)]
        plot: PlotArgs,
    },
    /// Run a chaos experiment file: control vs treatment on the same seeds,
    /// probes with 95 % intervals, a verdict. Exit 0 when the hypothesis
    /// held, 1 when it deviated, 2 for bad input.
    #[command(
        after_help = "Examples:\n  chaoswala experiment experiments/tatkal-payment-latency.ron\n  chaoswala experiment experiments/platform-monkey.ron --format json --out journal.json"
    )]
    Experiment {
        /// An experiment file (.ron).
        file: String,
        /// Replications (default: the file's).
        #[arg(long, value_name = "N")]
        replications: Option<u32>,
        /// Simulated seconds each run covers (default: the file's, else the scenario's).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// Random seed (default: the file's, else the scenario's).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Set a world parameter after the file's own `set` (repeatable),
        /// e.g. a smaller rush: --set scale=0.02
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Output format: a table, or the JSON journal.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Write the output to PATH instead of standard output.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
        /// Draw control and treatment side by side for each probe (SVG).
        #[arg(long, value_name = "FILE.svg")]
        plot: Option<std::path::PathBuf>,
        /// The most events the experiment may process (control and every
        /// treatment); one estimated above it is refused before it starts.
        #[arg(long, value_name = "N", default_value_t = chaoswala::work::MAX_EVENTS)]
        max_events: u64,
    },
    /// Combine the part files of a sharded sweep into the output the
    /// unsharded sweep gives.
    Merge {
        /// Part files written by `chaoswala sweep … --shard I/N`.
        #[arg(required = true)]
        parts: Vec<std::path::PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Write the output to PATH instead of standard output.
        #[arg(long, value_name = "PATH")]
        out: Option<std::path::PathBuf>,
    },
    /// Open the dashboard on one scenario.
    #[cfg(feature = "tui")]
    Tui {
        /// A built-in name or a path to a .ron file.
        scenario: String,
        #[command(flatten)]
        common: Common,
        /// Record the session to FILE as it goes (a scenario: `run FILE`
        /// replays it headless, `check FILE` validates it).
        #[arg(long, value_name = "FILE.ron")]
        record: Option<std::path::PathBuf>,
        /// Write the session as an asciicast v2 file (play it with
        /// `asciinema play FILE.cast`).
        #[arg(long, value_name = "FILE.cast")]
        cast: Option<std::path::PathBuf>,
        /// Replace the --record and --cast files if they exist.
        #[arg(long)]
        force: bool,
        /// Colours: `default`, `light` (dark text on a white frame, for a lit
        /// room or a projector), `mono` (no colour; the default when NO_COLOR
        /// is set), or a theme file (see themes/default.ron).
        #[arg(long, value_name = "NAME|FILE.ron")]
        theme: Option<String>,
    },
    /// Play a recorded session in the dashboard: the same screens at the
    /// same simulated instants. Speed, pause and the viewing keys work; a
    /// key that would change the simulation asks to take over (y: the rest
    /// of the recording is dropped and the session is live). At the
    /// recording's end it pauses. Only recordings are played: a plain
    /// scenario is refused (open it with `chaoswala tui FILE`).
    #[cfg(feature = "tui")]
    #[command(
        after_help = "Examples:\n  chaoswala tui platform --record demo.ron\n  chaoswala replay demo.ron\n  chaoswala replay demo.ron --record demo-2.ron --force"
    )]
    Replay {
        /// A recording written by `chaoswala tui SCENARIO --record FILE`.
        file: String,
        /// Record this session to FILE (the replayed commands, then the
        /// live ones after a take-over).
        #[arg(long, value_name = "FILE.ron")]
        record: Option<std::path::PathBuf>,
        /// Write the session as an asciicast v2 file (play it with
        /// `asciinema play FILE.cast`).
        #[arg(long, value_name = "FILE.cast")]
        cast: Option<std::path::PathBuf>,
        /// Replace the --record and --cast files if they exist.
        #[arg(long)]
        force: bool,
        /// Colours: `default`, `light`, `mono` or a theme file, as on `tui`.
        #[arg(long, value_name = "NAME|FILE.ron")]
        theme: Option<String>,
    },
    /// Write the demo assets into DIR: for each world a short recorded
    /// session (NAME.ron), its replay as an asciicast (NAME.cast) and a
    /// picture of its last screen (NAME.svg). Deterministic: running it
    /// again writes the same bytes.
    #[cfg(feature = "tui")]
    #[command(after_help = "Example:\n  cargo run --release -- demo assets/")]
    Demo {
        /// Where the files go (created if missing).
        dir: std::path::PathBuf,
    },
}

/// Flags shared by `run` and `tui`.
#[derive(Args, Debug, Clone)]
struct Common {
    /// Random seed (default: the scenario's seed).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Balancing / routing policy by name (default: the scenario's).
    #[arg(long, value_name = "NAME")]
    policy: Option<String>,
    /// Set a world parameter by its RON name, VALUE in RON syntax
    /// (repeatable; nested with dots, a network's nodes by name), e.g. --set arrival_rate_per_min=54 or --set nodes.db.servers=8
    #[arg(long = "set", value_name = "KEY=VALUE")]
    sets: Vec<String>,
    /// Compare with POLICY side by side on the same seeds (common random
    /// numbers): left the scenario's policy or --policy, right POLICY; `run`
    /// adds left − right per metric, paired by seed, with its 95 % interval.
    #[arg(long, value_name = "POLICY")]
    compare: Option<String>,
}

/// `--plot` and the metric it draws.
#[derive(Args, Debug, Clone, Default)]
struct PlotArgs {
    /// Draw a plot (SVG): for `run`, the metric over simulated time on the
    /// story clock with the faults shaded (replication 1); for `sweep`, the
    /// metric against the first --vary parameter, a line per policy, 95 %
    /// bands and the closed form dashed.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<std::path::PathBuf>,
    /// The metric to plot (run: in_system; sweep: the first with a closed
    /// form, else the first).
    #[arg(long, value_name = "NAME", requires = "plot")]
    plot_metric: Option<String>,
}

/// `--format`: the report's formats, as the command line spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FormatArg {
    Table,
    Json,
    Csv,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
        }
    }
}

/// Exit code for bad input (flags, values, scenario files).
const BAD_INPUT: u8 = 2;

/// A line on standard error; a closed or full stderr is not worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes `text` to standard output and flushes it: the one way this
/// program prints. A closed pipe (`| head`, `| true`) ends output quietly,
/// as Unix tools do; any other failure (a full disk) is an error.
fn emit(text: &str) -> Result<(), Emit> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Emit::Closed),
        Err(e) => {
            say!("chaoswala: cannot write to standard output: {e}");
            Err(Emit::Failed)
        }
    }
}

/// Why standard output took no more.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Emit {
    /// The reader went away: stop quietly.
    Closed,
    /// Reported already: exit 1.
    Failed,
}

/// The exit code of a finished command whose output is `emitted`.
fn exit_after(emitted: Result<(), Emit>, code: ExitCode) -> ExitCode {
    match emitted {
        Err(Emit::Failed) => ExitCode::FAILURE,
        Ok(()) | Err(Emit::Closed) => code,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => default_run(),
        Some(Cmd::List) => {
            let mut text = String::new();
            for b in BUILTINS {
                let _ = match scenario::parse(b.name, b.text) {
                    Ok(s) => writeln!(text, "{:<22} {}", b.name, s.title),
                    Err(e) => writeln!(text, "{:<22} (invalid: {e})", b.name),
                };
            }
            exit_after(emit(&text), ExitCode::SUCCESS)
        }
        Some(Cmd::Check { files }) => check(&files),
        Some(Cmd::Run {
            scenario,
            common,
            duration,
            warmup,
            replications,
            format,
            out,
            max_events,
            plot,
        }) => {
            let opts = RunOptions {
                duration_s: duration,
                warmup_s: warmup,
                seed: common.seed,
                policy: common.policy.clone(),
                replications,
                max_events: Some(max_events),
            };
            run(
                &scenario,
                &common.sets,
                &opts,
                common.compare.as_deref(),
                format.into(),
                out.as_deref(),
                &plot,
            )
        }
        Some(Cmd::Sweep {
            scenario,
            vary,
            policies,
            seed,
            sets,
            duration,
            warmup,
            replications,
            shard,
            format,
            out,
            max_events,
            plot,
        }) => {
            let args = SweepArgs {
                vary,
                policies,
                seed,
                duration,
                warmup,
                replications,
                shard,
                max_events,
            };
            sweep(
                &scenario,
                &sets,
                &args,
                format.into(),
                out.as_deref(),
                &plot,
            )
        }
        Some(Cmd::Experiment {
            file,
            replications,
            duration,
            seed,
            sets,
            format,
            out,
            plot,
            max_events,
        }) => {
            let over = chaoswala::experiment::Overrides {
                replications,
                duration_s: duration,
                seed,
                sets,
                max_events: Some(max_events),
            };
            experiment(&file, &over, format.into(), out.as_deref(), plot.as_deref())
        }
        Some(Cmd::Merge { parts, format, out }) => merge(&parts, format.into(), out.as_deref()),
        #[cfg(feature = "tui")]
        Some(Cmd::Tui {
            scenario,
            common,
            record,
            cast,
            force,
            theme,
        }) => {
            let loaded = match load_with_sets(&scenario, &common.sets) {
                Ok(l) => l,
                Err(code) => return code,
            };
            let theme = match choose_theme(theme.as_deref()) {
                Ok(t) => t,
                Err(code) => return code,
            };
            // Bad input is refused before the terminal is taken over; the
            // world itself is built once, by the dashboard.
            if let Err(code) = refuse_existing(&[&record, &cast], force) {
                return code;
            }
            let w = chaoswala::work::estimate(&loaded.scenario.world, loaded.scenario.duration_s);
            if let Err(e) = chaoswala::work::check_memory(w, 1) {
                say!("chaoswala: {e}");
                return ExitCode::from(BAD_INPUT);
            }
            if let Some(p) = &common.policy
                && let Err(e) = chaoswala::compare::check_policy(&loaded.scenario, "--policy", p)
            {
                say!("chaoswala: {e}");
                return ExitCode::from(BAD_INPUT);
            }
            if let Some(p) = &common.compare
                && let Err(e) = chaoswala::compare::check_policy(&loaded.scenario, "--compare", p)
            {
                say!("chaoswala: {e}");
                return ExitCode::from(BAD_INPUT);
            }
            // Without a terminal on both ends there is nothing to draw on:
            // refuse before anything is written to standard output.
            if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
                say!("chaoswala: the dashboard needs a terminal; try `chaoswala run {scenario}`");
                return ExitCode::from(BAD_INPUT);
            }
            let opts = chaoswala::tui::Options {
                seed: common.seed,
                policy: common.policy,
                record: record.map(|p| (p, force)),
                cast: cast.map(|p| (p, force)),
                compare: common.compare,
                theme: Some(theme),
            };
            finish_tui(chaoswala::tui::run_scenario(loaded, &opts))
        }
        #[cfg(feature = "tui")]
        Some(Cmd::Replay {
            file,
            record,
            cast,
            force,
            theme,
        }) => replay(&file, record, cast, force, theme.as_deref()),
        #[cfg(feature = "tui")]
        Some(Cmd::Demo { dir }) => match chaoswala::tui::demo::write_assets(&dir) {
            Ok(files) => {
                let mut text = String::new();
                for f in files {
                    let _ = writeln!(text, "{}", f.display());
                }
                exit_after(emit(&text), ExitCode::SUCCESS)
            }
            Err(e) => {
                say!("chaoswala: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Refuses, before the terminal is taken over, an output file that exists
/// (unless `force`).
#[cfg(feature = "tui")]
fn refuse_existing(paths: &[&Option<std::path::PathBuf>], force: bool) -> Result<(), ExitCode> {
    for p in paths.iter().copied().flatten() {
        if p.exists() && !force {
            say!(
                "chaoswala: {} exists; pass --force to replace it",
                p.display()
            );
            return Err(ExitCode::from(BAD_INPUT));
        }
    }
    Ok(())
}

/// `chaoswala replay FILE`: bad input is refused before the terminal is
/// taken over.
#[cfg(feature = "tui")]
fn replay(
    file: &str,
    record: Option<std::path::PathBuf>,
    cast: Option<std::path::PathBuf>,
    force: bool,
    theme: Option<&str>,
) -> ExitCode {
    let loaded = match load_with_sets(file, &[]) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let theme = match choose_theme(theme) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Err(e) = scenario::recording::split(&loaded.origin, &loaded.text, &loaded.scenario) {
        say!("{e}");
        return ExitCode::from(BAD_INPUT);
    }
    if let Err(code) = refuse_existing(&[&record, &cast], force) {
        return code;
    }
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        say!("chaoswala: the dashboard needs a terminal; try `chaoswala run {file}`");
        return ExitCode::from(BAD_INPUT);
    }
    let opts = chaoswala::tui::Options {
        record: record.map(|p| (p, force)),
        cast: cast.map(|p| (p, force)),
        theme: Some(theme),
        ..chaoswala::tui::Options::default()
    };
    finish_tui(chaoswala::tui::run_replay(&loaded, &opts))
}

/// The dashboard's palette from `--theme` (and `NO_COLOR`); bad input is
/// refused before the terminal is taken over.
#[cfg(feature = "tui")]
fn choose_theme(theme: Option<&str>) -> Result<chaoswala::tui::theme::Theme, ExitCode> {
    use chaoswala::tui::theme::{Theme, ThemeError, no_color_set};
    match Theme::choose(theme, no_color_set()) {
        Ok(t) => Ok(t),
        // A file's error already starts with FILE:LINE:COL.
        Err(e @ ThemeError::Parse(_)) => {
            say!("{e}");
            Err(ExitCode::from(BAD_INPUT))
        }
        Err(e) => {
            say!("chaoswala: {e}");
            Err(ExitCode::from(BAD_INPUT))
        }
    }
}

#[cfg(feature = "tui")]
fn finish_tui(r: anyhow::Result<u8>) -> ExitCode {
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say!("chaoswala: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// No arguments: the dashboard in a terminal, the headless report otherwise.
fn default_run() -> ExitCode {
    #[cfg(feature = "tui")]
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return finish_tui(chaoswala::tui::run_picker());
    }
    let _ = std::io::stdout().is_terminal();
    run(
        DEFAULT_SCENARIO,
        &[],
        &RunOptions::default(),
        None,
        Format::Table,
        None,
        &PlotArgs::default(),
    )
}

fn load_with_sets(name: &str, sets: &[String]) -> Result<scenario::Loaded, ExitCode> {
    let mut loaded = scenario::load(name).map_err(|e| {
        say!("{e}");
        ExitCode::from(BAD_INPUT)
    })?;
    loaded.scenario.apply_sets(sets).map_err(|e| {
        say!("{e}");
        ExitCode::from(BAD_INPUT)
    })?;
    Ok(loaded)
}

fn check(files: &[String]) -> ExitCode {
    let mut bad = 0;
    // After a closed pipe the files are still checked (the exit code
    // tells), only nothing more is printed.
    let mut emitted = Ok(());
    for f in files {
        match scenario::load(f) {
            Ok(l) => {
                if emitted.is_ok() {
                    emitted = emit(&format!(
                        "{f}: ok ({}, world {})\n",
                        l.scenario.title,
                        l.scenario.world.kind()
                    ));
                }
            }
            Err(e) => {
                bad += 1;
                say!("{e}");
            }
        }
    }
    let code = if bad == 0 {
        ExitCode::SUCCESS
    } else {
        say!(
            "{bad} of {} file{} invalid",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        ExitCode::from(BAD_INPUT)
    };
    exit_after(emitted, code)
}

/// The report's destination for `--out`: a temporary file beside it,
/// created before the run (so that an unwritable path is refused at once)
/// and renamed over PATH once the report is written whole.
struct OutFile {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: std::fs::File,
}

impl OutFile {
    fn create(path: &std::path::Path) -> Result<OutFile, String> {
        if path.is_dir() {
            return Err(format!("cannot write {}: it is a folder", path.display()));
        }
        let name = path
            .file_name()
            .ok_or_else(|| format!("cannot write {}: not a file name", path.display()))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.tmp", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(OutFile {
            path: path.to_path_buf(),
            tmp,
            file,
        })
    }

    fn commit(mut self, text: &str) -> Result<(), String> {
        let written = self
            .file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_all())
            .and_then(|()| std::fs::rename(&self.tmp, &self.path));
        written.map_err(|e| {
            let _ = std::fs::remove_file(&self.tmp);
            format!("cannot write {}: {e}", self.path.display())
        })
    }

    fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// `run SCENARIO --compare POLICY`: both columns and the paired difference.
fn run_compare(
    s: &scenario::Scenario,
    opts: &RunOptions,
    right: &str,
    format: Format,
    out_file: Option<OutFile>,
) -> ExitCode {
    let copts = chaoswala::compare::CompareOptions {
        run: opts.clone(),
        right: right.to_string(),
    };
    let progress = Progress::new();
    let result = chaoswala::compare::run_with_progress(s, &copts, &|f| progress.show(f));
    progress.finish();
    match result {
        Ok(c) => deliver(
            out_file,
            &chaoswala::compare::render(&c, format),
            ExitCode::SUCCESS,
        ),
        Err(e) => {
            if let Some(o) = out_file {
                o.abandon();
            }
            say!("chaoswala: {e}");
            ExitCode::from(BAD_INPUT)
        }
    }
}

fn run(
    name: &str,
    sets: &[String],
    opts: &RunOptions,
    compare: Option<&str>,
    format: Format,
    out: Option<&std::path::Path>,
    plot: &PlotArgs,
) -> ExitCode {
    let loaded = match load_with_sets(name, sets) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let out_file = match out.map(OutFile::create).transpose() {
        Ok(o) => o,
        Err(m) => {
            say!("chaoswala: {m}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    if let Some(right) = compare {
        if plot.plot.is_some() {
            say!("chaoswala: --plot draws one run; leave out --compare to plot");
            return ExitCode::from(BAD_INPUT);
        }
        return run_compare(&loaded.scenario, opts, right, format, out_file);
    }
    let progress = Progress::new();
    let report = report::run_with_progress(&loaded.scenario, opts, &|f| progress.show(f));
    progress.finish();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            if let Some(o) = out_file {
                o.abandon();
            }
            say!("chaoswala: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    // The plot after the run, which checked the work caps first.
    if let Some(path) = &plot.plot {
        let s = &loaded.scenario;
        let metric = plot.plot_metric.as_deref().unwrap_or("in_system");
        let duration = opts.duration_s.unwrap_or_else(|| s.run_duration_s());
        let svg = match chaoswala::plot::run(
            s,
            opts.seed.unwrap_or(s.seed),
            opts.policy.as_deref(),
            duration,
            metric,
        ) {
            Ok(svg) => svg,
            Err(chaoswala::plot::PlotError::Run(e)) => {
                say!("chaoswala: {e}");
                if let Some(o) = out_file {
                    o.abandon();
                }
                return ExitCode::from(BAD_INPUT);
            }
            Err(m) => {
                say!("chaoswala: --plot: {m}");
                if let Some(o) = out_file {
                    o.abandon();
                }
                return ExitCode::from(BAD_INPUT);
            }
        };
        if let Err(code) = write_plot(path, &svg) {
            if let Some(o) = out_file {
                o.abandon();
            }
            return code;
        }
    }
    let text = report::render(&report, format);
    match out_file {
        Some(o) => match o.commit(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(m) => {
                say!("chaoswala: {m}");
                ExitCode::FAILURE
            }
        },
        None => exit_after(emit(&text), ExitCode::SUCCESS),
    }
}

/// Progress of a long headless run on standard error: a bar with the time
/// left when stderr is a terminal, a line every ten seconds otherwise.
/// Nothing at all for runs that end within a couple of seconds.
struct Progress {
    started: std::time::Instant,
    bar: Option<indicatif::ProgressBar>,
    last_line: std::sync::Mutex<f64>,
}

impl Progress {
    /// Seconds before anything is shown.
    const QUIET_S: f64 = 2.0;
    /// Seconds between lines when stderr is not a terminal.
    const LINE_EVERY_S: f64 = 10.0;

    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::with_draw_target(
                Some(1000),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} simulating {bar:40} {percent:>3} % · {elapsed} elapsed · about {eta} left",
            ) {
                b.set_style(style);
            }
            b
        });
        Progress {
            started: std::time::Instant::now(),
            bar,
            last_line: std::sync::Mutex::new(0.0),
        }
    }

    fn show(&self, fraction: f64) {
        let elapsed = self.started.elapsed().as_secs_f64();
        if elapsed < Self::QUIET_S {
            return;
        }
        if let Some(b) = &self.bar {
            if b.is_hidden() {
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            b.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
            return;
        }
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if elapsed - *last >= Self::LINE_EVERY_S {
            *last = elapsed;
            let left = if fraction > 0.0 {
                elapsed * (1.0 - fraction) / fraction
            } else {
                f64::NAN
            };
            say!(
                "chaoswala: {:.0} % simulated, {elapsed:.0} s elapsed, about {left:.0} s left",
                fraction * 100.0
            );
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `sweep`'s flags, as given.
struct SweepArgs {
    vary: Vec<String>,
    policies: Vec<String>,
    seed: Option<u64>,
    duration: Option<f64>,
    warmup: Option<f64>,
    replications: u32,
    shard: Option<String>,
    max_events: u64,
}

/// Writes `text` to `--out` (atomically) or standard output.
fn deliver(out_file: Option<OutFile>, text: &str, code: ExitCode) -> ExitCode {
    match out_file {
        Some(o) => match o.commit(text) {
            Ok(()) => code,
            Err(m) => {
                say!("chaoswala: {m}");
                ExitCode::FAILURE
            }
        },
        None => exit_after(emit(text), code),
    }
}

/// `--out`, opened before any work (an unwritable path is refused at once).
fn open_out(out: Option<&std::path::Path>) -> Result<Option<OutFile>, ExitCode> {
    out.map(OutFile::create).transpose().map_err(|m| {
        say!("chaoswala: {m}");
        ExitCode::from(BAD_INPUT)
    })
}

fn sweep(
    name: &str,
    sets: &[String],
    args: &SweepArgs,
    format: Format,
    out: Option<&std::path::Path>,
    plot: &PlotArgs,
) -> ExitCode {
    use chaoswala::sweep as sw;
    let loaded = match load_with_sets(name, sets) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let bad = |e: &dyn std::fmt::Display| {
        say!("chaoswala: {e}");
        ExitCode::from(BAD_INPUT)
    };
    let mut vary = Vec::new();
    for v in &args.vary {
        match sw::Axis::parse(v) {
            Ok(a) => vary.push(a),
            Err(e) => return bad(&e),
        }
    }
    let shard = match args.shard.as_deref().map(sw::parse_shard).transpose() {
        Ok(s) => s,
        Err(e) => return bad(&e),
    };
    let req = sw::Request {
        vary,
        policies: args.policies.clone(),
        replications: args.replications,
        seed: args.seed,
        duration_s: args.duration,
        warmup_s: args.warmup,
        shard,
        max_events: Some(args.max_events),
    };
    let plan = match sw::plan(name, &loaded.text, &loaded.scenario, sets, &req) {
        Ok(p) => p,
        Err(e) => return bad(&e),
    };
    let out_file = match open_out(out) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let bar = progress_bar(plan.runs(), plan.rows());
    let rows_done = std::sync::atomic::AtomicU64::new(0);
    let events = std::sync::atomic::AtomicU64::new(0);
    let started = std::time::Instant::now();
    let on_run = |ev: u64, row_done: bool| {
        use std::sync::atomic::Ordering::Relaxed;
        let total = events.fetch_add(ev, Relaxed) + ev;
        let rows = rows_done.fetch_add(u64::from(row_done), Relaxed) + u64::from(row_done);
        if let Some(b) = &bar {
            b.inc(1);
            b.set_message(format!(
                "rows {rows}/{} · {:.2} M events/s",
                plan.rows(),
                total as f64 / started.elapsed().as_secs_f64().max(1e-9) / 1e6
            ));
        }
    };
    let result = sw::run(&plan, &on_run);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(o) = out_file {
                o.abandon();
            }
            return bad(&e);
        }
    };
    if let Some(path) = &plot.plot {
        let metric = plot.plot_metric.clone().or_else(|| {
            let first = result.rows.first()?;
            first
                .closed_form
                .iter()
                .find(|(_, v)| v.is_some())
                .or_else(|| first.mean.iter().next())
                .map(|(k, _)| k.clone())
        });
        let svg = match chaoswala::plot::sweep(&result, metric.as_deref().unwrap_or("")) {
            Ok(svg) => svg,
            Err(m) => {
                if let Some(o) = out_file {
                    o.abandon();
                }
                say!("chaoswala: --plot: {m}");
                return ExitCode::from(BAD_INPUT);
            }
        };
        if let Err(code) = write_plot(path, &svg) {
            if let Some(o) = out_file {
                o.abandon();
            }
            return code;
        }
    }
    let format = if shard.is_some() {
        Format::Json
    } else {
        format
    };
    deliver(out_file, &sw::render(&result, format), ExitCode::SUCCESS)
}

/// A progress bar on standard error when it is a terminal.
fn progress_bar(runs: u64, rows: usize) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(runs),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} runs · ETA {eta} · {msg}")
    {
        bar.set_style(style);
    }
    bar.set_message(format!("rows 0/{rows}"));
    Some(bar)
}

fn merge(parts: &[std::path::PathBuf], format: Format, out: Option<&std::path::Path>) -> ExitCode {
    let mut texts = Vec::new();
    for p in parts {
        let name = p.display().to_string();
        match read_part(p) {
            Ok(t) => texts.push((name, t)),
            Err(e) => {
                say!("chaoswala: {name}: {e}");
                return ExitCode::from(BAD_INPUT);
            }
        }
    }
    let merged = match chaoswala::sweep::merge(&texts) {
        Ok(m) => m,
        Err(e) => {
            say!("chaoswala: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let out_file = match open_out(out) {
        Ok(o) => o,
        Err(code) => return code,
    };
    deliver(
        out_file,
        &chaoswala::sweep::render(&merged, format),
        ExitCode::SUCCESS,
    )
}

/// Most bytes read of a part file.
const MAX_PART_BYTES: u64 = 256 << 20;

fn read_part(p: &std::path::Path) -> Result<String, String> {
    use std::io::Read as _;
    let meta = std::fs::metadata(p).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut text = String::new();
    std::fs::File::open(p)
        .and_then(|f| f.take(MAX_PART_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| format!("cannot read: {e}"))?;
    if text.len() as u64 > MAX_PART_BYTES {
        return Err(format!("larger than {MAX_PART_BYTES} bytes"));
    }
    Ok(text)
}

fn experiment(
    file: &str,
    over: &chaoswala::experiment::Overrides,
    format: Format,
    out: Option<&std::path::Path>,
    plot: Option<&std::path::Path>,
) -> ExitCode {
    use chaoswala::experiment as ex;
    if format == Format::Csv {
        say!(
            "chaoswala: an experiment prints a table or its JSON journal; --format csv is for run and sweep"
        );
        return ExitCode::from(BAD_INPUT);
    }
    let ready = match ex::load(file, over) {
        Ok(r) => r,
        Err(e) => {
            say!("{e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let out_file = match open_out(out) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let journal = match ex::run(&ready) {
        Ok(j) => j,
        Err(e) => {
            if let Some(o) = out_file {
                o.abandon();
            }
            say!("chaoswala: {e}");
            return ExitCode::from(BAD_INPUT);
        }
    };
    let text = match format {
        Format::Json => ex::to_json(&journal),
        Format::Table | Format::Csv => ex::to_table(&journal),
    };
    if let Some(path) = plot {
        match chaoswala::plot::experiment(&journal) {
            Ok(svg) => {
                if let Err(code) = write_plot(path, &svg) {
                    return code;
                }
            }
            Err(m) => {
                say!("chaoswala: --plot: {m}");
                return ExitCode::FAILURE;
            }
        }
    }
    let code = if journal.held {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    deliver(out_file, &text, code)
}

/// Writes a plot atomically.
fn write_plot(path: &std::path::Path, svg: &str) -> Result<(), ExitCode> {
    let file = OutFile::create(path).map_err(|m| {
        say!("chaoswala: --plot: {m}");
        ExitCode::from(BAD_INPUT)
    })?;
    file.commit(svg).map_err(|m| {
        say!("chaoswala: --plot: {m}");
        ExitCode::FAILURE
    })
}
